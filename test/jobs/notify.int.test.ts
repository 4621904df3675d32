// From a scheduled run to Slack: the run's finalizer hands its band changes to the notifications
// queue, whose job opens one case and one thread per account that fell into risk, through the
// gateway (real Redis pacing) on the fake Slack, exactly once, waiting out a 429.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { formatDay } from "../../src/domain/dates.ts";
import { notifyBandChanges, notifyJobId } from "../../src/jobs/definitions/notify-band-changes.ts";
import { enqueue } from "../../src/jobs/enqueue.ts";
import { startRunFlow } from "../../src/jobs/run-flow.ts";
import { updateSettings } from "../../src/services/workspace-settings.ts";
import { startFakeSlack, type FakeSlack } from "../../src/sandbox/slack-api.ts";
import { runCli } from "../support/cli.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { importPortfolio, PORTFOLIO_END } from "../support/portfolio.ts";
import { openTestQueues, waitFor } from "../support/queues.ts";
import { startTestWorkers, type TestWorkers } from "../support/workers.ts";

const ALERTS = "C0ALERTS";
const TEAM = "T0TEST";

describe("notifications after a run", () => {
  let db: TestDatabase;
  let queues: ReturnType<typeof openTestQueues>;
  let fake: FakeSlack;
  let workers: TestWorkers | undefined;
  let workspaceId: number;

  beforeEach(async () => {
    db = await createTestDatabase("postgres");
    queues = openTestQueues();
    fake = await startFakeSlack({ tokens: ["xoxb-test"] });
    fake.addChannel({ id: ALERTS, name: "cs-alerts" });
    const workspace = await ensureWorkspace(db.prisma, "acme");
    workspaceId = workspace.id;
    await db.prisma.workspace.update({ where: { id: workspaceId }, data: { slackTeamId: TEAM } });
    await updateSettings(db.prisma, workspaceId, { alert_channel: ALERTS, timezone: "UTC" }, "test");
    workers = startTestWorkers({ db, queues, slack: { apiUrl: fake.apiUrl }, shardSize: 20 });
  });

  afterEach(async () => {
    await workers?.close();
    await fake.close();
    await queues.dispose();
    await db.close();
  });

  async function runDay(day: number) {
    await startRunFlow(db.prisma, queues, {
      workspaceId,
      asOf: day,
      slot: `test-${formatDay(day)}`,
      trigger: "manual",
      shardSize: 20,
    });
    return waitFor(
      async () =>
        (await db.prisma.recomputeRun.findFirst({
          where: { workspaceId, slot: `test-${formatDay(day)}`, status: "succeeded" },
        })) ?? undefined,
      60_000,
      "the run",
    );
  }

  async function notified(run: { id: bigint; startedAt: Date }) {
    const job = await waitFor(
      async () => (await queues.queue.notify.getJob(notifyJobId(run))) ?? undefined,
      30_000,
      "the notify job",
    );
    await waitFor(async () => ((await job.isCompleted()) ? true : undefined), 30_000, "the notify job");
  }

  /**
   * The day before, with alerts off: the accounts already at risk get their cases (without threads);
   * then everyone is relabelled healthy, so that today's at-risk accounts are band changes into risk.
   */
  async function dayBefore() {
    await updateSettings(db.prisma, workspaceId, { alert_channel: null }, "test");
    await importPortfolio(db.prisma, workspaceId, { accounts: 60 });
    await notified(await runDay(PORTFOLIO_END - 1));
    await db.prisma.scoreSnapshot.updateMany({
      where: { workspaceId, score: { not: null } },
      data: { band: "healthy" },
    });
  }

  it("opens one thread per account that fell into risk, once, after waiting out a 429", async () => {
    await dayBefore();
    expect(fake.callsTo("chat.postMessage")).toEqual([]);
    await updateSettings(db.prisma, workspaceId, { alert_channel: ALERTS }, "test");
    // Someone watches every account (told of each band change once).
    const accounts = await db.prisma.account.findMany({ where: { workspaceId } });
    await db.prisma.accountWatch.createMany({
      data: accounts.map((a) => ({
        workspaceId,
        accountId: a.id,
        slackUserId: "U0WATCHER",
        lastBand: "healthy",
      })),
    });
    fake.failNext("chat.postMessage", { status: 429, retryAfter: 1 });
    const run = await runDay(PORTFOLIO_END);
    const fell = await db.prisma.bandChange.count({
      where: { workspaceId, runId: run.id, fromBand: "healthy", toBand: "at_risk" },
    });
    expect(fell).toBeGreaterThan(0);
    await waitFor(
      () => Promise.resolve(fake.messages(ALERTS).length === fell ? true : undefined),
      30_000,
      `${fell} parent messages`,
    );
    await notified(run);
    const changed = await db.prisma.bandChange.count({ where: { workspaceId, runId: run.id } });
    expect(fake.messages("U0WATCHER")).toHaveLength(changed);
    expect(fake.messages("U0WATCHER")[0]!.text).toMatch(/^:eyes: \*.+\* is now /);
    // One call was answered 429 and retried later.
    expect(fake.callsTo("chat.postMessage").length).toBe(fell + changed + 1);
    // Every account at risk has one open case with its own thread; yesterday's cases of accounts no
    // longer at risk closed without a word (nobody had been told of them).
    expect(await db.prisma.followUp.count({ where: { workspaceId, status: "open" } })).toBe(fell);
    const threads = await db.prisma.followUp.findMany({
      where: { workspaceId, status: "open" },
      select: { threadTs: true },
    });
    expect(new Set(threads.map((t) => t.threadTs)).size).toBe(fell);
    expect(await db.prisma.followUp.count({ where: { workspaceId, threadTs: null, status: "open" } })).toBe(
      0,
    );

    // The same run's notifications again (a duplicate, or another id): nothing new is posted.
    await enqueue(queues, notifyBandChanges, { workspaceId, runId: run.id.toString() }, notifyJobId(run));
    const again = await enqueue(
      queues,
      notifyBandChanges,
      { workspaceId, runId: run.id.toString() },
      "again",
    );
    const job = await queues.queue.notify.getJob(again);
    await waitFor(
      async () => ((await job?.isCompleted()) ? true : undefined),
      30_000,
      "the second notify job",
    );
    expect(fake.messages(ALERTS)).toHaveLength(fell);
    expect(fake.messages("U0WATCHER")).toHaveLength(changed);
  });

  it("records a channel the bot cannot post to, and does not retry", async () => {
    await dayBefore();
    await updateSettings(db.prisma, workspaceId, { alert_channel: "C0GONE" }, "test");
    const run = await runDay(PORTFOLIO_END);
    const entry = await waitFor(
      async () =>
        (await db.prisma.auditLogEntry.findFirst({
          where: { workspaceId, action: "slack.delivery_failed" },
        })) ?? undefined,
      30_000,
      "the recorded failure",
    );
    expect(entry.details).toMatchObject({
      method: "chat.postMessage",
      error: "channel_not_found",
      channel: "C0GONE",
    });
    const job = await queues.queue.notify.getJob(notifyJobId(run));
    await waitFor(async () => ((await job?.isFailed()) ? true : undefined), 10_000, "the failed job");
    expect((await queues.queue.notify.getJob(notifyJobId(run)))?.attemptsMade).toBe(1);
    expect(fake.callsTo("chat.postMessage")).toHaveLength(1);
    // The cases exist; their threads are posted by the next notification once the channel is fixed.
    const waiting = await db.prisma.followUp.count({
      where: { workspaceId, threadTs: null, status: "open" },
    });
    expect(waiting).toBeGreaterThan(0);
    await updateSettings(db.prisma, workspaceId, { alert_channel: ALERTS }, "test");
    const next = await enqueue(
      queues,
      notifyBandChanges,
      { workspaceId, runId: run.id.toString() },
      "after-fix",
    );
    const nextJob = await queues.queue.notify.getJob(next);
    await waitFor(
      async () => ((await nextJob?.isCompleted()) ? true : undefined),
      30_000,
      "the next notify job",
    );
    expect(fake.messages(ALERTS)).toHaveLength(waiting);
    expect(await db.prisma.followUp.count({ where: { workspaceId, threadTs: null, status: "open" } })).toBe(
      0,
    );
  });

  it("routes the run's cases as the playbook stored with the command says, through the workers", async () => {
    await dayBefore();
    // No case yet (the day before's, opened while alerts were off, are gone): every case today is the
    // playbook's.
    await db.prisma.followUp.deleteMany({ where: { workspaceId } });
    await updateSettings(
      db.prisma,
      workspaceId,
      { alert_channel: ALERTS, case_threads_per_day: 500 },
      "test",
    );
    const ENTERPRISE = "C0ENTERPRISE";
    fake.addChannel({ id: ENTERPRISE, name: "cs-enterprise" });
    // Routed by MRR around the median, so both plays have accounts whatever the generated portfolio.
    const mrrs = (await db.prisma.account.findMany({ where: { workspaceId }, select: { mrr: true } }))
      .map((a) => Number(a.mrr ?? 0))
      .sort((a, b) => a - b);
    const median = mrrs[Math.floor(mrrs.length / 2)]!;
    const file = join(await mkdtemp(join(tmpdir(), "css-plays-")), "playbook.yaml");
    await writeFile(
      file,
      `name: routed
plays:
  - key: large_risk
    trigger: { band_entered: [lowest] }
    when: { mrr: { min: ${median} } }
    actions:
      - open_case: { channel: ${ENTERPRISE} }
  - key: other_risk
    trigger: { band_entered: [lowest] }
    actions:
      - open_case: { channel: alert_channel }
`,
    );
    const set = await runCli(["plays", "set", file, "--workspace", "acme"], { DATABASE_URL: db.url });
    expect(set.stdout).toContain('stored playbook "routed" as version 1');
    const run = await runDay(PORTFOLIO_END);
    await notified(run);
    // Every account at risk has one case: the larger ones in their channel, the others in the alert
    // channel.
    const today = await db.prisma.followUp.findMany({
      where: { workspaceId, status: "open" },
      include: { account: { select: { mrr: true } } },
    });
    expect(today.length).toBeGreaterThan(0);
    for (const c of today) {
      expect([c.playKey, c.channelId]).toEqual(
        Number(c.account.mrr ?? 0) >= median ? ["large_risk", ENTERPRISE] : ["other_risk", ALERTS],
      );
    }
    const enterprise = today.filter((c) => c.playKey === "large_risk").length;
    expect(enterprise).toBeGreaterThan(0);
    expect(enterprise).toBeLessThan(today.length);
    expect(fake.messages(ENTERPRISE)).toHaveLength(enterprise);
    expect(fake.messages(ALERTS)).toHaveLength(today.length - enterprise);
    // The run is as of a past day (the fixture's), older than yesterday: a backfill, whose news is
    // old, so no play fires; the cases, which follow the accounts' bands, still open.
    expect(await db.prisma.playFire.count({ where: { workspaceId } })).toBe(0);
  });
});
