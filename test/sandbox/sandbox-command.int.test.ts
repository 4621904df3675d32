// `css-bot sandbox` on an install's own data (PostgreSQL here): the real process runs the bot against
// the sandbox's Slack, and what the page sends reaches it as Slack's requests would.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { runCli } from "../support/cli.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { importPortfolio, PORTFOLIO_END } from "../support/portfolio.ts";
import { spawnCssBot, type CssBotProcess } from "../support/processes.ts";
import { openTestQueues, testRedisUrl, waitFor } from "../support/queues.ts";
import { formatDay } from "../../src/domain/dates.ts";

interface State {
  conversations: { id: string; messages: { text?: string; blocks?: unknown[]; ephemeral: boolean }[] }[];
  home: { blocks?: unknown[] } | null;
  day: string | null;
}

describe("css-bot sandbox", () => {
  let db: TestDatabase;
  let queues: ReturnType<typeof openTestQueues>;
  let bot: CssBotProcess;
  let url: string;
  let accountId: string;

  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    queues = openTestQueues();
    const workspace = await ensureWorkspace(db.prisma, "local");
    await importPortfolio(db.prisma, workspace.id, { accounts: 20 });
    const env = { DATABASE_URL: db.url!, REDIS_URL: testRedisUrl, CSS_QUEUE_PREFIX: queues.prefix };
    expect((await runCli(["recompute", "--as-of", formatDay(PORTFOLIO_END)], env)).code).toBe(0);
    accountId = (await db.prisma.account.findFirstOrThrow({ orderBy: { externalId: "asc" } })).externalId;
    bot = spawnCssBot(["sandbox"], { ...env, PORT: "0", CSS_HEALTH_PORT: "0", CSS_SANDBOX_PORT: "0" });
    url = await waitFor(
      () => Promise.resolve(/Sandbox: (http:\/\/127\.0\.0\.1:\d+)/.exec(bot.output())?.[1]),
      90_000,
      "the sandbox's line",
    );
  }, 150_000);

  afterAll(async () => {
    await bot?.dispose();
    await queues?.dispose();
    await db?.close();
  });

  const state = async (user: string) =>
    (await (await fetch(`${url}/sandbox/state?user=${user}`)).json()) as State;
  const post = (path: string, body: unknown) =>
    fetch(`${url}/sandbox/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  it("answers /css typed in the sandbox with the account's card, for the one who asked", async () => {
    const name = (await db.prisma.account.findFirstOrThrow({ where: { externalId: accountId } })).name;
    expect(
      (await post("command", { user: "U0MAYA", channel: "C0GENERAL", text: `/css ${accountId}` })).status,
    ).toBe(200);
    const general = await waitFor(
      async () => {
        const c = (await state("U0MAYA")).conversations.find((x) => x.id === "C0GENERAL")!;
        return c.messages.some((m) => JSON.stringify(m.blocks ?? "").includes(name)) ? c : undefined;
      },
      30_000,
      "the card",
    );
    expect(general.messages.every((m) => m.ephemeral)).toBe(true);
    const other = (await state("U0DANIEL")).conversations.find((x) => x.id === "C0GENERAL")!;
    expect(other.messages).toEqual([]);
  });

  it("opens the App Home for a member, and has no clock without the demo", async () => {
    expect((await post("home", { user: "U0LEAD" })).status).toBe(200);
    const home = await waitFor(
      async () => (await state("U0LEAD")).home ?? undefined,
      30_000,
      "the home view",
    );
    expect(JSON.stringify(home.blocks)).toContain("Your accounts");
    expect((await state("U0LEAD")).day).toBeNull();
    const clock = await post("clock/next-day", {});
    expect(clock.status).toBe(409);
  });
});
