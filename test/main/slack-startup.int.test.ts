// Real `css-bot start` processes against the fake Slack: a refused token or no route to Slack leaves
// the process serving the ingest API, /readyz saying why, one log line for the outage and the check
// retried with backoff; a good token binds the css workspace to its team when the process starts, so
// the first recompute's at-risk case gets its thread with nobody having typed /css.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { formatDay } from "../../src/domain/dates.ts";
import { startRunFlow } from "../../src/jobs/run-flow.ts";
import { createApiKey } from "../../src/services/api-keys.ts";
import { updateSettings } from "../../src/services/workspace-settings.ts";
import { startFakeSlack, type FakeSlack } from "../../src/sandbox/slack-api.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { importPortfolio, PORTFOLIO_END } from "../support/portfolio.ts";
import { freePort, getJson, spawnCssBot, type CssBotProcess } from "../support/processes.ts";
import { openTestQueues, testRedisUrl, waitFor } from "../support/queues.ts";

const ALERTS = "C0ALERTS";

describe("Slack when css-bot starts", () => {
  let db: TestDatabase;
  let queues: ReturnType<typeof openTestQueues>;
  let fake: FakeSlack;
  let workspaceId: number;
  const processes: CssBotProcess[] = [];
  const fakes: FakeSlack[] = [];

  beforeEach(async () => {
    db = await createTestDatabase("postgres");
    queues = openTestQueues();
    fake = await startFakeSlack({ tokens: ["xoxb-test"] });
    fakes.push(fake);
    workspaceId = (await ensureWorkspace(db.prisma, "local")).id;
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.dispose();
    for (const f of fakes.splice(0)) await f.close();
    await queues.dispose();
    await db.close();
  });

  /** `css-bot start` in one-workspace mode; resolves once it listens, with its base URL. */
  async function start(env: Record<string, string>) {
    const p = spawnCssBot(["start"], {
      DATABASE_URL: db.url!,
      REDIS_URL: testRedisUrl,
      CSS_QUEUE_PREFIX: queues.prefix,
      CSS_WORKER_CONCURRENCY: "1",
      PORT: "0",
      SLACK_SIGNING_SECRET: "signing-secret-for-tests",
      SLACK_API_URL: fake.apiUrl,
      ...env,
    });
    processes.push(p);
    const { port } = await p.waitForLine("web process listening");
    await p.waitForLine("worker started");
    return { p, url: `http://127.0.0.1:${String(port)}` };
  }

  const slackOf = async (url: string) => {
    const ready = await getJson(`${url}/readyz`);
    expect(ready).toMatchObject({ status: 200, body: { ok: true, database: true, redis: true } });
    return ready.body.slack as { ok: boolean; reason?: string; attempts?: number; team?: string };
  };
  const teamOf = async () =>
    (await db.prisma.workspace.findUniqueOrThrow({ where: { id: workspaceId } })).slackTeamId;
  const outageLines = (p: CssBotProcess) => p.lines().filter((l) => l.msg.includes("auth.test) failed"));

  it("with a refused token: serves the ingest API, /readyz says why, one log line, retries with backoff", async () => {
    const { p, url } = await start({ SLACK_BOT_TOKEN: "xoxb-revoked" });
    const { key } = await createApiKey(db.prisma, workspaceId, "test", "test");
    const res = await fetch(`${url}/api/v1/accounts`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify([{ account_id: "ACME-1", name: "Acme" }]),
    });
    expect(res.status).toBe(200);
    // The first check at once, then after 1 s and 2 s more.
    await waitFor(
      () => Promise.resolve(fake.callsTo("auth.test").length >= 3 ? true : undefined),
      20_000,
      "three checks",
    );
    expect(await slackOf(url)).toMatchObject({
      ok: false,
      reason: "Slack refused auth.test: invalid_auth",
      attempts: expect.any(Number) as number,
    });
    expect(outageLines(p)).toHaveLength(1);
    expect(outageLines(p)[0]).toMatchObject({ level: "error" });
    expect(outageLines(p)[0]!.msg).toContain("SLACK_BOT_TOKEN");
    expect(p.output()).not.toContain("xoxb-revoked");
    expect(p.child.exitCode).toBeNull();
    expect(await teamOf()).toBeNull();

    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
  });

  it("with no route to Slack: the same, then binds the workspace once Slack answers", async () => {
    const port = await freePort();
    const { p, url } = await start({
      SLACK_BOT_TOKEN: "xoxb-test",
      SLACK_API_URL: `http://127.0.0.1:${port}/api/`,
    });
    const failing = await waitFor(
      async () => {
        const slack = await slackOf(url);
        return (slack.attempts ?? 0) >= 2 ? slack : undefined;
      },
      20_000,
      "two failed checks",
    );
    expect(failing).toMatchObject({
      ok: false,
      reason: expect.stringMatching(
        /^Slack auth\.test failed: fetch failed \(connect ECONNREFUSED/,
      ) as string,
    });
    expect(outageLines(p)).toHaveLength(1);
    expect(await teamOf()).toBeNull();

    // Slack is back where the process expects it: the next check binds the workspace.
    fakes.push(await startFakeSlack({ tokens: ["xoxb-test"], port }));
    await p.waitForLine("auth.test) works again", 30_000);
    expect(await slackOf(url)).toMatchObject({ ok: true, team: "T0TEST", workspace: "local" });
    expect(await teamOf()).toBe("T0TEST");
    expect(outageLines(p)).toHaveLength(1);
    expect(p.child.exitCode).toBeNull();
  });

  it("with a good token: binds the workspace at start, and a recompute's at-risk case gets its thread", async () => {
    fake.addChannel({ id: ALERTS, name: "cs-alerts" });
    await updateSettings(db.prisma, workspaceId, { alert_channel: ALERTS, timezone: "UTC" }, "test");
    await importPortfolio(db.prisma, workspaceId, { accounts: 60 });
    const { url } = await start({ SLACK_BOT_TOKEN: "xoxb-test" });
    // No request from Slack has reached the process: the start-up check bound the workspace.
    expect(await waitFor(async () => (await teamOf()) ?? undefined, 20_000, "the binding")).toBe("T0TEST");
    expect(await slackOf(url)).toMatchObject({ ok: true, team: "T0TEST", workspace: "local" });

    const runDay = async (day: number) => {
      const slot = `test-${formatDay(day)}`;
      await startRunFlow(db.prisma, queues, {
        workspaceId,
        asOf: day,
        slot,
        trigger: "manual",
        shardSize: 20,
      });
      await waitFor(
        async () =>
          (await db.prisma.recomputeRun.findFirst({ where: { workspaceId, slot, status: "succeeded" } })) ??
          undefined,
        60_000,
        `the run of ${slot}`,
      );
    };
    await runDay(PORTFOLIO_END - 1);
    // Yesterday everyone was healthy: today's at-risk accounts are band changes into risk.
    await db.prisma.scoreSnapshot.updateMany({
      where: { workspaceId, score: { not: null } },
      data: { band: "healthy" },
    });
    await runDay(PORTFOLIO_END);
    const cases = await waitFor(
      async () => {
        const open = await db.prisma.followUp.findMany({ where: { workspaceId } });
        return open.length > 0 && open.every((c) => c.threadTs !== null) ? open : undefined;
      },
      30_000,
      "the cases' threads",
    );
    const parents = fake.messages(ALERTS).filter((m) => m.thread_ts === undefined);
    expect(parents.map((m) => m.ts).sort()).toEqual(cases.map((c) => c.threadTs).sort());
  });

  it("in Socket Mode with a refused app token: keeps running, /readyz says why, the workspace is bound", async () => {
    const { p, url } = await start({
      SLACK_BOT_TOKEN: "xoxb-test",
      SLACK_APP_TOKEN: "xapp-revoked",
      SLACK_SIGNING_SECRET: "",
    });
    await waitFor(
      () => Promise.resolve(fake.callsTo("apps.connections.open").length >= 3 ? true : undefined),
      20_000,
      "three connection attempts",
    );
    expect(await slackOf(url)).toMatchObject({
      ok: false,
      reason: "Slack refused apps.connections.open: invalid_auth",
    });
    expect(p.lines().filter((l) => l.msg.includes("Socket Mode connection failed"))).toHaveLength(1);
    expect(p.output()).not.toContain("xapp-revoked");
    expect(await teamOf()).toBe("T0TEST");
    expect(p.child.exitCode).toBeNull();
  });
});
