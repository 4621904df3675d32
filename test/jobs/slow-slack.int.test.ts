// Exactly once toward Slack when its answers come too late. The fake stores each post at once and
// answers only after 4.5 s, past the client's timeout (SLACK_TIMEOUT_MS, here 3 s), for 15 s: the
// worker sees every post of that time fail, although each reached the channel. The real notification
// and digest jobs run on real workers (PostgreSQL, Redis) against the fake over HTTP, and must leave
// one thread per case, one digest, one reply: what a retry finds it adopts instead of posting again.
// And when a post really did not arrive (answered 503 with nothing stored, or no answer and nothing
// stored), the retry looks, finds nothing, and posts it.
import { WebClient } from "@slack/web-api";
import { afterEach, describe, expect, it } from "vitest";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { dayToDate, formatDay } from "../../src/domain/dates.ts";
import { digestTick } from "../../src/jobs/definitions/digest-tick.ts";
import { notifyBandChanges } from "../../src/jobs/definitions/notify-band-changes.ts";
import { enqueue } from "../../src/jobs/enqueue.ts";
import type { QueueKind } from "../../src/jobs/queues.ts";
import { silentLogger, type Logger } from "../../src/log.ts";
import { recomputeWorkspace } from "../../src/services/recompute.ts";
import { updateSettings } from "../../src/services/workspace-settings.ts";
import { BOT_SCOPES } from "../../src/slack/app.ts";
import { backlogNoticeMetadata } from "../../src/slack/post-once.ts";
import { workspaceToday } from "../../src/slack/workspace-today.ts";
import { startFakeSlack, type FakeSlack } from "../../src/sandbox/slack-api.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { importPortfolio, PORTFOLIO_END } from "../support/portfolio.ts";
import { openTestQueues, waitFor } from "../support/queues.ts";
import { startTestWorkers, WORKER_BOT_TOKEN } from "../support/workers.ts";

const ALERTS = "C0ALERTS";
const DIGESTS = "C0DIGEST";
const TEAM = "T0TEST";
const TOKEN = WORKER_BOT_TOKEN;
/** The client's timeout (SLACK_TIMEOUT_MS), and how late the slow fake answers: later than that. */
const TIMEOUT_MS = 3000;
const SLOW_MS = 4500;
const SLOW_FOR_MS = 15_000;

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

interface Setup {
  db: TestDatabase;
  workspaceId: number;
  fake: FakeSlack;
  queues: ReturnType<typeof openTestQueues>;
  warnings: string[];
}

/** A workspace with `accounts` accounts, its channels set, the fake, and workers with Slack. */
async function setUp(accounts: number): Promise<Setup> {
  const fake = await startFakeSlack({ tokens: [TOKEN] });
  cleanup.push(() => fake.close());
  fake.addChannel({ id: ALERTS, name: "cs-alerts" });
  fake.addChannel({ id: DIGESTS, name: "cs-digest", is_private: true });
  const db = await createTestDatabase("postgres");
  cleanup.push(() => db.close());
  const workspace = await ensureWorkspace(db.prisma, "acme");
  await db.prisma.workspace.update({ where: { id: workspace.id }, data: { slackTeamId: TEAM } });
  const settings = { alert_channel: ALERTS, digest_channel: DIGESTS, case_threads_per_day: 100 };
  await updateSettings(db.prisma, workspace.id, settings, "test");
  await importPortfolio(db.prisma, workspace.id, { accounts });
  const queues = openTestQueues();
  cleanup.push(() => queues.dispose());
  const warnings: string[] = [];
  const log: Logger = { ...silentLogger, warn: (msg) => void warnings.push(msg) };
  const workers = startTestWorkers({
    db,
    queues,
    slack: { apiUrl: fake.apiUrl, timeoutMs: TIMEOUT_MS, log },
  });
  cleanup.push(() => workers.close());
  return { db, workspaceId: workspace.id, fake, queues, warnings };
}

/** Every account in the risk band: the notification job opens a case, and a thread, for each. */
async function putAllAtRisk(s: Setup): Promise<number> {
  return s.db.prisma.$executeRawUnsafe(
    `UPDATE accounts SET status = 'active', current_band = 'at_risk', current_score = 30 WHERE workspace_id = $1`,
    s.workspaceId,
  );
}

/** Slack answers late for SLOW_FOR_MS from now (each call takes effect at once). */
function slowSlack(fake: FakeSlack): void {
  fake.setSlowAfterCommit(SLOW_MS);
  const timer = setTimeout(() => fake.setSlowAfterCommit(0), SLOW_FOR_MS);
  cleanup.push(() => Promise.resolve(clearTimeout(timer)));
}

async function finished(s: Setup, queue: QueueKind, id: string, timeoutMs = 150_000) {
  return waitFor(
    async () => {
      const job = await s.queues.queue[queue].getJob(id);
      const state = await job?.getState();
      if (state !== "completed" && state !== "failed") return undefined;
      // failedReason stays the last retry's even when a later attempt completed.
      return { state, reason: job?.failedReason ?? null, attempts: job?.attemptsMade ?? 0 };
    },
    timeoutMs,
    `job ${id}`,
  );
}

/** The top-level messages of a channel (threads' replies left out). */
const topLevel = (fake: FakeSlack, channel: string) => fake.messages(channel).filter((m) => !m.thread_ts);

describe("exactly once toward a slow Slack", () => {
  it("opens one thread per case, with no orphan copy, while posts time out for 15 s", async () => {
    const s = await setUp(40);
    expect(await putAllAtRisk(s)).toBe(40);
    slowSlack(s.fake);
    const id = await enqueue(s.queues, notifyBandChanges, { workspaceId: s.workspaceId }, "cases-slow");
    expect(await finished(s, "notify", id)).toMatchObject({ state: "completed" });

    const cases = await s.db.prisma.followUp.findMany({ orderBy: { id: "asc" } });
    expect(cases).toHaveLength(40);
    const posted = topLevel(s.fake, ALERTS);
    // Exactly one parent per case, and every parent is its case's thread: no copy with live buttons.
    expect(posted).toHaveLength(40);
    expect(new Set(posted.map((m) => m.ts))).toEqual(new Set(cases.map((c) => c.threadTs)));
    expect(cases.every((c) => c.threadAttemptAt === null)).toBe(true);
    // Each carries its case's id, and the fault did hit: the job found a post it had been told failed.
    expect(posted.map((m) => (m.metadata?.event_payload as { case_id: string }).case_id).sort()).toEqual(
      cases.map((c) => String(c.id)).sort(),
    );
    expect(s.fake.callsTo("chat.postMessage")).toHaveLength(40);
    expect(s.fake.callsTo("conversations.history").length).toBeGreaterThan(0);
  }, 200_000);

  it("posts the digest once, its row naming what is in the channel", async () => {
    const s = await setUp(60);
    await recomputeWorkspace(s.db, s.workspaceId, PORTFOLIO_END - 1);
    await s.db.prisma.scoreSnapshot.updateMany({
      where: { score: { not: null } },
      data: { band: "healthy" },
    });
    await recomputeWorkspace(s.db, s.workspaceId, PORTFOLIO_END);
    // No chart: its upload is not a message that can carry metadata (see the report).
    s.fake.setScopes(
      TOKEN,
      BOT_SCOPES.filter((scope) => scope !== "files:write"),
    );
    slowSlack(s.fake);
    const payload = { workspaceId: s.workspaceId, localDate: PORTFOLIO_END };
    const id = await enqueue(s.queues, digestTick, payload, "digest-slow");
    expect(await finished(s, "notify", id)).toMatchObject({ state: "completed" });

    const row = await s.db.prisma.digest.findFirstOrThrow({ where: { workspaceId: s.workspaceId } });
    const posted = topLevel(s.fake, DIGESTS);
    expect(row.status).toBe("posted");
    expect(posted.length).toBeGreaterThan(0);
    expect(row.messageTs).toEqual(posted.map((m) => m.ts));
    expect(posted.map((m) => m.metadata?.event_payload)).toEqual(
      posted.map((_, part) => ({ digest_id: String(row.id), part })),
    );
    // Private channel: found through groups:history.
    expect(s.fake.callsTo("conversations.history").length).toBeGreaterThan(0);
  }, 200_000);

  it("replies once in a case's thread", async () => {
    const s = await setUp(1);
    await putAllAtRisk(s);
    const first = await enqueue(s.queues, notifyBandChanges, { workspaceId: s.workspaceId }, "cases-1");
    await finished(s, "notify", first);
    const opened = await s.db.prisma.followUp.findFirstOrThrow();
    // A reply decided by a later run (an escalation, here), waiting in the case's outbox.
    await s.db.prisma.followUp.update({
      where: { id: opened.id },
      data: { escalatedAt: null, threadPostedAt: new Date("2026-01-01T00:00:00Z") },
    });
    slowSlack(s.fake);
    const second = await enqueue(s.queues, notifyBandChanges, { workspaceId: s.workspaceId }, "cases-2");
    expect(await finished(s, "notify", second)).toMatchObject({ state: "completed" });

    const replies = s.fake.replies(ALERTS, opened.threadTs!);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.text).toContain("Nobody has claimed this case");
    expect(s.fake.callsTo("conversations.replies").length).toBeGreaterThan(0);
    expect((await s.db.prisma.followUp.findFirstOrThrow()).pendingReply).toBeNull();
  }, 200_000);

  it("posts on retry what really did not arrive: a 503, and a timeout that stored nothing", async () => {
    const s = await setUp(2);
    await putAllAtRisk(s);
    s.fake.failNext("chat.postMessage", { status: 503 });
    s.fake.failNext("chat.postMessage", { dropAfterMs: SLOW_MS });
    const id = await enqueue(s.queues, notifyBandChanges, { workspaceId: s.workspaceId }, "cases-lost");
    expect(await finished(s, "notify", id)).toMatchObject({ state: "completed" });

    const cases = await s.db.prisma.followUp.findMany();
    const posted = topLevel(s.fake, ALERTS);
    expect(posted).toHaveLength(2);
    expect(new Set(posted.map((m) => m.ts))).toEqual(new Set(cases.map((c) => c.threadTs)));
    // Looked twice (after each failure), found nothing, and sent it again.
    expect(s.fake.callsTo("conversations.history")).toHaveLength(2);
    expect(s.fake.callsTo("chat.postMessage")).toHaveLength(4);
  }, 120_000);

  it("without channels:history, says so once and posts again as before", async () => {
    const s = await setUp(2);
    await putAllAtRisk(s);
    s.fake.setScopes(
      TOKEN,
      BOT_SCOPES.filter((scope) => scope !== "channels:history"),
    );
    s.fake.failNext("chat.postMessage", { status: 503 }, 2);
    const id = await enqueue(s.queues, notifyBandChanges, { workspaceId: s.workspaceId }, "cases-noscope");
    expect(await finished(s, "notify", id)).toMatchObject({ state: "completed" });

    expect(topLevel(s.fake, ALERTS)).toHaveLength(2);
    expect(s.fake.callsTo("conversations.history")).toHaveLength(2);
    expect(s.warnings.filter((w) => w.includes("lacks channels:history"))).toHaveLength(1);
  }, 120_000);

  it("takes over a backlog notice whose worker died mid-post, and keeps the notice it finds", async () => {
    const s = await setUp(3);
    await putAllAtRisk(s);
    await updateSettings(s.db.prisma, s.workspaceId, { case_threads_per_day: 1 }, "test");
    const workspace = await s.db.prisma.workspace.findUniqueOrThrow({ where: { id: s.workspaceId } });
    const today = workspaceToday(workspace);
    // A worker claimed today's notice, sent it, and was killed before Slack's answer was stored.
    await s.db.prisma.caseBacklogNotice.create({
      data: {
        workspaceId: s.workspaceId,
        localDate: dayToDate(today),
        waiting: 2,
        channelId: ALERTS,
        messageTs: "posting",
        attemptAt: new Date(Date.now() - 10 * 60_000),
      },
    });
    const lost = await new WebClient(TOKEN, { slackApiUrl: s.fake.apiUrl }).chat.postMessage({
      channel: ALERTS,
      text: "2 more accounts are at risk and waiting for a thread here.",
      metadata: backlogNoticeMetadata(s.workspaceId, formatDay(today)),
    });
    const id = await enqueue(s.queues, notifyBandChanges, { workspaceId: s.workspaceId }, "cases-notice");
    expect(await finished(s, "notify", id)).toMatchObject({ state: "completed" });

    const notice = await s.db.prisma.caseBacklogNotice.findFirstOrThrow();
    expect(notice).toMatchObject({ messageTs: lost.ts, attemptAt: null });
    // One thread (one a day) and the one notice.
    expect(topLevel(s.fake, ALERTS)).toHaveLength(2);
  }, 120_000);
});
