// GET /metrics in Prometheus's text format, on the real process: queue depths, job outcomes, runs
// and accounts scored, records the ingest API accepted and refused; Slack calls by outcome through
// the gateway on the fake.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { silentLogger } from "../../src/log.ts";
import { registry } from "../../src/metrics/registry.ts";
import { createApiKey } from "../../src/services/api-keys.ts";
import { SlackGateway } from "../../src/slack/gateway.ts";
import { startFakeSlack } from "../../src/sandbox/slack-api.ts";
import { runCli } from "../support/cli.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { importPortfolio, PORTFOLIO_END } from "../support/portfolio.ts";
import { startCssBot, type CssBotProcess } from "../support/processes.ts";
import { openTestQueues, testRedisUrl, uniquePrefix, waitFor } from "../support/queues.ts";
import { formatDay } from "../../src/domain/dates.ts";

/** A sample's value from Prometheus text: `name{labels} value`. */
function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? undefined : Number(line.split(" ").at(-1));
}

describe("metrics", () => {
  let db: TestDatabase;
  let queues: ReturnType<typeof openTestQueues>;
  let bot: CssBotProcess;
  let url: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    queues = openTestQueues();
    const workspace = await ensureWorkspace(db.prisma, "local");
    await importPortfolio(db.prisma, workspace.id, { accounts: 30 });
    env = {
      DATABASE_URL: db.url!,
      REDIS_URL: testRedisUrl,
      CSS_QUEUE_PREFIX: queues.prefix,
      PORT: "0",
      CSS_HEALTH_PORT: "0",
    };
    ({ bot, url } = await startCssBot(env));
  }, 120_000);

  afterAll(async () => {
    await bot?.dispose();
    await queues?.dispose();
    await db?.close();
  });

  it("counts the ingest API's records, runs and jobs, and shows the queues", async () => {
    const workspace = await db.prisma.workspace.findFirstOrThrow({ where: { slug: "local" } });
    const { key } = await createApiKey(db.prisma, workspace.id, "metrics", "test");
    const post = (records: unknown[]) =>
      fetch(`${url}/api/v1/metrics`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(records),
      });
    const row = { account_id: "ACC-00001", metric: "logins", value: 3, observed_at: "2026-06-30" };
    expect((await post([row, { ...row, observed_at: "2026-06-29" }])).status).toBe(200);
    expect((await post([row, { ...row, value: "many" }, { ...row, value: 1e308 }])).status).toBe(422);
    await runCli(["recompute", "--queue", "--as-of", formatDay(PORTFOLIO_END)], env);
    await waitFor(
      async () =>
        (await db.prisma.recomputeRun.count({ where: { status: "succeeded" } })) > 0 ? true : undefined,
      60_000,
      "the queued run",
    );
    const scraped = await waitFor(
      async () => {
        const res = await fetch(`${url}/metrics`);
        const text = await res.text();
        return sample(text, "css_bot_jobs_total", 'job="recompute-finalize",outcome="completed"')
          ? text
          : undefined;
      },
      30_000,
      "the finalizer in /metrics",
    );
    expect(sample(scraped, "css_bot_ingest_records_total", 'kind="metrics",outcome="accepted"')).toBe(2);
    expect(sample(scraped, "css_bot_ingest_records_total", 'kind="metrics",outcome="refused"')).toBe(3);
    expect(
      sample(scraped, "css_bot_jobs_total", 'job="recompute-shard",outcome="completed"'),
    ).toBeGreaterThan(0);
    expect(scraped).toContain("css_bot_run_duration_seconds_count 1");
    const active = await db.prisma.account.count({ where: { status: "active" } });
    expect(scraped).toContain(`css_bot_accounts_scored_total ${active}`);
    expect(sample(scraped, "css_bot_queue_jobs", 'queue="recompute",state="completed"')).toBeGreaterThan(0);
  });

  it("counts Slack calls by method and outcome", async () => {
    const fake = await startFakeSlack({ tokens: ["xoxb-test"] });
    const redis = new Redis(testRedisUrl);
    try {
      fake.addChannel({ id: "C0OK", name: "ok" });
      const slack = new SlackGateway({
        apiUrl: fake.apiUrl,
        timeoutMs: 5000,
        redis,
        keyPrefix: `${uniquePrefix()}:pace`,
        log: silentLogger,
      }).forToken("xoxb-test", "T0TEST");
      const count = async (outcome: string) =>
        sample(
          await registry.metrics(),
          "css_bot_slack_calls_total",
          `method="chat.postMessage",outcome="${outcome}"`,
        ) ?? 0;
      const before = {
        ok: await count("ok"),
        refused: await count("refused"),
        limited: await count("rate_limited"),
      };
      await slack.postMessage({ channel: "C0OK", text: "hello" });
      await expect(slack.postMessage({ channel: "C0GONE", text: "hello" })).rejects.toThrow();
      fake.failNext("chat.postMessage", { status: 429, retryAfter: 1 });
      await expect(slack.postMessage({ channel: "C0OK", text: "again" })).rejects.toThrow();
      expect(await count("ok")).toBe(before.ok + 1);
      expect(await count("refused")).toBe(before.refused + 1);
      expect(await count("rate_limited")).toBe(before.limited + 1);
    } finally {
      redis.disconnect();
      await fake.close();
    }
  });
});
