// `css-bot start` in Socket Mode (SLACK_BOT_TOKEN + SLACK_APP_TOKEN, no signing secret, no public
// URL) against the fake Slack's WebSocket: a slash command, a button and the App Home arrive as
// envelopes and are acked on the socket; Slack's "disconnect, refresh_requested" makes the process
// open a new connection by itself, quietly, and the next command is answered on it; a connection
// closed for good (link_disabled) is an outage, reported and retried.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { formatScore } from "../../src/slack/blocks/account-card.ts";
import { ACTIONS } from "../../src/slack/ids.ts";
import { recomputeWorkspace } from "../../src/services/recompute.ts";
import { startFakeSlack, type FakeSlack } from "../../src/sandbox/slack-api.ts";
import type { SocketAck } from "../../src/sandbox/slack-socket-mode.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { importPortfolio, PORTFOLIO_END } from "../support/portfolio.ts";
import { getJson, startCssBot, type CssBotProcess } from "../support/processes.ts";
import { openTestQueues, testRedisUrl, waitFor } from "../support/queues.ts";
import { buttonActionBody, commandBody } from "../support/slack-requests.ts";

const APP_TOKEN = "xapp-1-A0FAKEAPP-1-socket-mode-test";
const NAME = "Acme Rocket Works";

type Block = { type: string; text?: { text: string }; elements?: { action_id?: string; value?: string }[] };
type Reply = { response_type?: string; text?: string; blocks?: Block[] };

describe("css-bot start in Socket Mode", () => {
  let db: TestDatabase;
  let queues: ReturnType<typeof openTestQueues>;
  let fake: FakeSlack;
  let bot: CssBotProcess;
  let url: string;
  let account: { externalId: string; score: string };

  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    queues = openTestQueues();
    const workspace = await ensureWorkspace(db.prisma, "local");
    await importPortfolio(db.prisma, workspace.id, { accounts: 20 });
    await recomputeWorkspace(db, workspace.id, PORTFOLIO_END);
    const first = await db.prisma.account.findFirstOrThrow({
      where: { workspaceId: workspace.id },
      orderBy: { id: "asc" },
    });
    await db.prisma.account.update({ where: { id: first.id }, data: { name: NAME } });
    const snapshot = await db.prisma.scoreSnapshot.findFirstOrThrow({
      where: { accountId: first.id, score: { not: null } },
      orderBy: { asOf: "desc" },
    });
    account = { externalId: first.externalId, score: formatScore(snapshot.score) };

    fake = await startFakeSlack({ tokens: ["xoxb-test"], appTokens: [APP_TOKEN] });
    const started = await startCssBot({
      DATABASE_URL: db.url!,
      REDIS_URL: testRedisUrl,
      CSS_QUEUE_PREFIX: queues.prefix,
      PORT: "0",
      // Socket Mode as docs/slack.md's install step 4 says: the bot token and an app-level token, nothing else.
      SLACK_BOT_TOKEN: "xoxb-test",
      SLACK_APP_TOKEN: APP_TOKEN,
      SLACK_API_URL: fake.apiUrl,
    });
    ({ bot, url } = started);
  }, 180_000);

  afterAll(async () => {
    await bot?.dispose();
    await fake?.close();
    await queues?.dispose();
    await db?.close();
  });

  /** /readyz's slack part once it is ok (the connection is opened in the background). */
  const slackReady = () =>
    waitFor(
      async () => {
        const ready = await getJson(`${url}/readyz`);
        const slack = ready.body.slack as { ok: boolean } | undefined;
        return ready.status === 200 && slack?.ok ? ready.body : undefined;
      },
      20_000,
      "slack ok in /readyz",
    );

  /** `/css <text>` as a slash_commands envelope: the reply, from the ack or from the response URL. */
  async function css(text: string, responseId: string): Promise<{ ack: SocketAck; reply: Reply }> {
    const form = commandBody({ text, response_url: fake.responseUrl(responseId) });
    const envelope = fake.socketMode.send("slash_commands", Object.fromEntries(new URLSearchParams(form)));
    const ack = await fake.socketMode.waitForAck(envelope);
    const acked = ack.payload as Reply | undefined;
    // A slow lookup is acked with a notice and answered at the response URL (css.ts).
    if (acked?.text && acked.text !== "Looking it up…") return { ack, reply: acked };
    const posted = await waitFor(
      () => Promise.resolve(fake.responses.find((r) => r.id === responseId)),
      10_000,
      `the reply at response URL ${responseId}`,
    );
    return { ack, reply: posted.body };
  }
  const headline = (reply: Reply) => reply.blocks?.[0]?.text?.text ?? "";

  it("connects with the app token: hello received, /readyz shows slack ok with the token's team", async () => {
    await fake.socketMode.waitForConnections(1);
    const ready = await slackReady();
    expect(ready).toMatchObject({
      ok: true,
      database: true,
      redis: true,
      slack: { ok: true, team: "T0TEST", workspace: "local" },
    });
    expect(fake.callsTo("apps.connections.open").map((c) => c.token)).toEqual([APP_TOKEN]);
  });

  it("answers /css <account id> with the account's card: its name and score", async () => {
    const { ack, reply } = await css(account.externalId, "css-1");
    expect(ack.connection).toBe(1);
    expect(reply.response_type).toBe("ephemeral");
    expect(headline(reply)).toContain(`*${NAME}* · *${account.score}*`);
    expect(reply.text).toContain(NAME);
  });

  it("runs a button's handler: Share in channel posts the card at the interaction's response URL", async () => {
    const { reply } = await css(account.externalId, "css-2");
    const share = reply.blocks
      ?.flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id === ACTIONS.shareCard);
    expect(share?.value).toBeDefined();
    const form = buttonActionBody({
      action_id: ACTIONS.shareCard,
      value: share!.value!,
      response_url: fake.responseUrl("share"),
      user_id: "U0BOB",
    });
    const payload = JSON.parse(new URLSearchParams(form).get("payload")!) as Record<string, unknown>;
    const envelope = fake.socketMode.send("interactive", payload);
    await fake.socketMode.waitForAck(envelope);
    const shared = await waitFor(
      () => Promise.resolve(fake.responses.find((r) => r.id === "share")),
      10_000,
      "the shared card",
    );
    const body = shared.body as Reply;
    expect(body.response_type).toBe("in_channel");
    expect(headline(body)).toContain(`*${NAME}* · *${account.score}*`);
    expect(JSON.stringify(body.blocks)).toContain("Shared by <@U0BOB>");
  });

  it("publishes the Home tab when a user opens it (app_home_opened)", async () => {
    const envelope = fake.socketMode.send("events_api", {
      token: "legacy-verification-token",
      team_id: "T0TEST",
      api_app_id: "A0FAKEAPP",
      type: "event_callback",
      event_id: "Ev0SOCKETHOME",
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ team_id: "T0TEST", user_id: "UBOT", is_bot: true }],
      event: { type: "app_home_opened", user: "U0HOME", channel: "D0HOME", tab: "home", event_ts: "1.1" },
    });
    await fake.socketMode.waitForAck(envelope);
    const published = await waitFor(
      () => Promise.resolve(fake.views.find((v) => v.method === "views.publish" && v.user_id === "U0HOME")),
      10_000,
      "views.publish for U0HOME",
    );
    expect(published.view.type).toBe("home");
    expect(fake.callsTo("views.publish").at(-1)?.token).toBe("xoxb-test");
  });

  it("reconnects by itself when Slack asks (disconnect, refresh_requested), and answers on the new connection", async () => {
    fake.socketMode.disconnect("refresh_requested");
    await fake.socketMode.waitForConnections(2);
    // The process closed the old connection and asked for a new URL with its app token.
    expect(fake.socketMode.closedByTheApp).toBe(1);
    expect(fake.callsTo("apps.connections.open").map((c) => c.token)).toEqual([APP_TOKEN, APP_TOKEN]);
    expect(await slackReady()).toMatchObject({ slack: { ok: true, team: "T0TEST" } });
    // Slack refreshes connections regularly: that is no outage to report.
    expect(bot.lines().filter((l) => l.level === "error")).toEqual([]);

    const { ack, reply } = await css(account.externalId, "css-3");
    expect(ack.connection).toBe(2);
    expect(headline(reply)).toContain(`*${NAME}* · *${account.score}*`);
    expect(fake.socketMode.strays).toEqual([]);
    expect(bot.child.exitCode).toBeNull();
  });

  it("reports Slack closing the connection for good (link_disabled) as an outage, and keeps trying", async () => {
    fake.socketMode.disconnect("link_disabled");
    const outage = await bot.waitForLine("Socket Mode connection failed", 20_000);
    expect(outage).toMatchObject({ level: "error" });
    expect(outage.msg).toContain("Slack closed the connection (link_disabled)");
    // The fake still hands out URLs: the next attempt, after the backoff, connects again.
    await fake.socketMode.waitForConnections(3);
    await bot.waitForLine("the Socket Mode connection works again", 20_000);
    expect(await slackReady()).toMatchObject({ slack: { ok: true } });
  });
});
