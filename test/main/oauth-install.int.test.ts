// Multi-workspace installs on the real process: `css-bot start` with SLACK_CLIENT_ID,
// SLACK_CLIENT_SECRET, SLACK_STATE_SECRET and CSS_ENCRYPTION_KEY starts (Bolt refused to, given both
// an authorize and the installer's options), sends a browser from /slack/install to Slack's authorize
// URL with a state, completes the install at /slack/oauth_redirect through oauth.v2.access on the
// fake, stores the installation sealed (its token nowhere in the database in plain text), answers a
// /css from that team from that team's own workspace, and forgets the install when the app is
// uninstalled or its tokens are revoked.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeSlack, type FakeSlack } from "../../src/sandbox/slack-api.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { startCssBot, type CssBotProcess } from "../support/processes.ts";
import { openTestQueues, testRedisUrl } from "../support/queues.ts";
import { commandBody, postSigned } from "../support/slack-requests.ts";

const SIGNING_SECRET = "signing-secret-for-oauth-tests";

describe("OAuth installs on css-bot start", () => {
  let db: TestDatabase;
  let queues: ReturnType<typeof openTestQueues>;
  let fake: FakeSlack;
  let bot: CssBotProcess;
  let url: string;

  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    queues = openTestQueues();
    fake = await startFakeSlack({ tokens: [] });
    ({ bot, url } = await startCssBot({
      DATABASE_URL: db.url!,
      REDIS_URL: testRedisUrl,
      CSS_QUEUE_PREFIX: queues.prefix,
      CSS_WORKER_CONCURRENCY: "1",
      PORT: "0",
      CSS_HEALTH_PORT: "0",
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_CLIENT_ID: "1234.5678",
      SLACK_CLIENT_SECRET: "client-secret",
      SLACK_STATE_SECRET: "state-secret-0123456789",
      CSS_ENCRYPTION_KEY: randomBytes(32).toString("hex"),
      SLACK_API_URL: fake.apiUrl,
    }));
  }, 120_000);

  afterAll(async () => {
    await bot?.dispose();
    await fake?.close();
    await queues?.dispose();
    await db?.close();
  });

  const signedEvent = (teamId: string, event: Record<string, unknown>) =>
    postSigned(
      `${url}/slack/events`,
      JSON.stringify({
        token: "legacy",
        team_id: teamId,
        api_app_id: "A0FAKEAPP",
        type: "event_callback",
        event_id: `Ev${Date.now()}${Math.random().toString(36).slice(2, 6)}`,
        event_time: Math.floor(Date.now() / 1000),
        event,
      }),
      { contentType: "application/json", secret: SIGNING_SECRET },
    );

  async function install(): Promise<string> {
    const start = await fetch(`${url}/slack/install`, { redirect: "manual" });
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.get("location")!);
    expect(authorize.pathname).toBe("/oauth/v2/authorize");
    expect(authorize.searchParams.get("client_id")).toBe("1234.5678");
    expect(authorize.searchParams.get("scope")).toContain("commands");
    const state = authorize.searchParams.get("state")!;
    expect(state).toBeTruthy();
    const cookie = (start.headers.get("set-cookie") ?? "").split(";")[0]!;
    // Slack sends the browser back with a code and the state.
    const back = await fetch(
      `${url}/slack/oauth_redirect?code=good-code&state=${encodeURIComponent(state)}`,
      { headers: { cookie }, redirect: "manual" },
    );
    expect(back.status).toBe(200);
    expect(fake.callsTo("oauth.v2.access").length).toBeGreaterThan(0);
    const [row] = await db.prisma.$queryRawUnsafe<{ team: string }[]>(
      `SELECT w.slack_team_id AS team FROM slack_installations i JOIN workspaces w ON w.id = i.workspace_id
       ORDER BY i.workspace_id DESC LIMIT 1`,
    );
    return row!.team;
  }

  it("installs through Slack's authorize URL and stores the installation sealed", async () => {
    const team = await install();
    expect(team).toMatch(/^T0OAUTH/);
    const workspace = await db.prisma.workspace.findFirstOrThrow({ where: { slackTeamId: team } });
    expect(workspace.slug).toBe(`slack-${team.toLowerCase()}`);
    // No bot token in plain text anywhere in the database: every table, as text (bytea as hex).
    const token = "xoxb-oauth-";
    const hex = Buffer.from(token).toString("hex");
    const tables = await db.prisma.$queryRawUnsafe<{ name: string }[]>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'`,
    );
    expect(tables.length).toBeGreaterThan(10);
    for (const { name } of tables) {
      const [dump] = await db.prisma.$queryRawUnsafe<{ text: string | null }[]>(
        `SELECT string_agg(t::text, ' ') AS text FROM "${name}" t`,
      );
      expect(dump?.text ?? "", name).not.toContain(token);
      expect(dump?.text ?? "", name).not.toContain(hex);
    }
  });

  it("answers a /css from the installed team, from that team's workspace; a team never installed gets nothing", async () => {
    const team = (
      await db.prisma.workspace.findFirstOrThrow({ where: { slackTeamId: { startsWith: "T0OAUTH" } } })
    ).slackTeamId!;
    const workspace = await db.prisma.workspace.findFirstOrThrow({ where: { slackTeamId: team } });
    await db.prisma.account.create({
      data: { workspaceId: workspace.id, externalId: "oa-1", name: "Installed Team Account" },
    });
    const asked = await postSigned(
      `${url}/slack/events`,
      commandBody({
        text: "Installed Team Account",
        team_id: team,
        response_url: fake.responseUrl("oauth-css"),
      }),
      { secret: SIGNING_SECRET },
    );
    expect(asked.status).toBe(200);
    expect(JSON.stringify(asked.json ?? fake.responses)).toContain("Installed Team Account");
    // A team that never installed the app has no installation to authorize with.
    const stranger = await postSigned(
      `${url}/slack/events`,
      commandBody({
        text: "Installed Team Account",
        team_id: "T0STRANGER",
        response_url: fake.responseUrl("x"),
      }),
      { secret: SIGNING_SECRET },
    );
    expect(JSON.stringify(stranger.json ?? "")).not.toContain("Installed Team Account");
  });

  it("forgets the installation on tokens_revoked and on app_uninstalled", async () => {
    const first = (
      await db.prisma.workspace.findFirstOrThrow({ where: { slackTeamId: { startsWith: "T0OAUTH" } } })
    ).slackTeamId!;
    const revoked = await signedEvent(first, { type: "tokens_revoked", tokens: { bot: ["UBOT"] } });
    expect(revoked.status).toBe(200);
    const gone = async (team: string) =>
      (await db.prisma.slackInstallation.count({ where: { workspace: { slackTeamId: team } } })) === 0;
    await expect.poll(() => gone(first), { timeout: 10_000 }).toBe(true);

    const second = await install();
    expect(await gone(second)).toBe(false);
    const uninstalled = await signedEvent(second, { type: "app_uninstalled" });
    expect(uninstalled.status).toBe(200);
    await expect.poll(() => gone(second), { timeout: 10_000 }).toBe(true);
  });
});
