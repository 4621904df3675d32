// At-risk cases: every account in the risk band has one open case, discussed in one Slack thread,
// owned by someone.
//
//   in the risk band, no case        open one (at the first score too, and when alerts are first
//                                    configured): openMissingCases, after every run
//   ... its last case resolved       quiet, until the account recovered out of the risk band since
//                                    (a recorded recovery) or fell reopen_points below its closing score
//   moves while its case is open     a reply in the case's thread; "back at risk" only after a
//                                    recorded recovery
//   enters risk, snoozed             silent, unless the snooze ended or the score fell a further
//                                    reopen_points
//   leaves risk                      reply "recovered" and update the parent
//   assign / resolve                 optimistic on the case's version: a stale click changes nothing
//
// Threads are posted by deliverPending, at most case_threads_per_day in any 24 hours, highest MRR
// first, with one notice a day saying how many wait: a backlog is triaged, not dumped.
//
// Every account is handled under a transaction-scoped advisory lock on its id, and opening cases in
// bulk under the workspace's lock, so two runs (or a retried notification job) never open two cases
// or post twice for the same change. Beneath the locks, a unique index allows one case not resolved
// per account (migration 20261207054143_one_open_case_per_account).
import { randomUUID } from "node:crypto";
import { readSettings, type WorkspaceSettings } from "../config/workspace-settings.ts";
import { audit } from "../db/repositories/audit-log.ts";
import { insertMissingCases, openMissingCaseRows } from "../db/repositories/cases.ts";
import { dateToDay, dayToDate, formatDay, type Day } from "../domain/dates.ts";
import type { Driver } from "../domain/scoring/explain.ts";
import { addBusinessDays, businessDaysBetween } from "../domain/schedule/business-days.ts";
import { localDay } from "../domain/schedule/slots.ts";
import { Prisma, type FollowUp, type PrismaClient } from "../generated/prisma/client.ts";
import {
  caseParentMessage,
  caseReply,
  movedReply,
  snoozeEndedReply,
  type CaseView,
} from "../slack/blocks/at-risk-case.ts";
import type { SlackMessage } from "../slack/blocks/account-card.ts";
import { esc, mentionUser } from "../slack/blocks/text.ts";
import type { PostedQuery, PostMetadata, SentMessage } from "../slack/gateway.ts";
import {
  backlogNoticeMetadata,
  caseReplyMetadata,
  caseThreadMetadata,
  postOnce,
  type PostAttempt,
} from "../slack/post-once.ts";
import { conditionsHold } from "../domain/plays/conditions.ts";
import { quietUntil } from "../domain/plays/guards.ts";
import { resolveBands, type CasePlay } from "../domain/plays/case-plays.ts";
import { accountFacts } from "./account-card.ts";
import { caseChannel, caseEscalation, loadCasePlan, playOf, type CasePlan } from "./plays/case-plan.ts";
import { readPlayAccounts } from "./plays/play-accounts.ts";
import { prismaRead } from "../db/handle.ts";

/** What the cases need of Slack (the gateway provides it; null: Slack is not configured). */
export interface CaseSlack {
  postMessage(args: {
    channel: string;
    text: string;
    blocks?: unknown[];
    thread_ts?: string;
    metadata?: PostMetadata;
  }): Promise<SentMessage>;
  /** A post whose answer was lost, found by its metadata (slack/post-once.ts). */
  findPosted(query: PostedQuery): Promise<SentMessage | null>;
  updateMessage(args: { channel: string; ts: string; text: string; blocks?: unknown[] }): Promise<void>;
  sendDm(userId: string, args: { text: string; blocks?: unknown[] }): Promise<unknown>;
}

/** Business days from assignment to the follow-up's due date. */
export const DUE_BUSINESS_DAYS = 5;

/** How long a notification job may hold a case's outbox before another may deliver it. */
const DELIVERY_LEASE_MS = 2 * 60_000;

const OPEN = ["open", "snoozed"] as const;

/** A thread reply waiting in a case's outbox; `id` is sent as its metadata, `attempt_at` once tried. */
interface PendingReply {
  text: string;
  blocks: unknown[];
  id?: string;
  attempt_at?: string;
}

/**
 * A case's outbox holds one reply. An escalation or a snooze's end is written only where none is
 * waiting (Slack was unreachable): the one waiting is delivered first, and the case's news decided
 * again on the next pass. (A band change's reply replaces a waiting one: the newer move is the news.)
 */
const OUTBOX_EMPTY = { pendingReply: { equals: Prisma.DbNull } } satisfies Prisma.FollowUpWhereInput;

/** A reply for the outbox, with an id of its own (a later reply replacing it is another message). */
function outboxReply(message: SlackMessage): Prisma.InputJsonValue {
  const reply: PendingReply = { text: message.text, blocks: message.blocks, id: randomUUID() };
  return reply as unknown as Prisma.InputJsonValue;
}

export interface ReportSummary {
  opened: number;
  replies: number;
  recovered: number;
  unchanged: number;
  /** Cases in the risk band still waiting for their thread (the backlog). */
  waiting: number;
}

interface ChangeRow {
  account_id: number;
  from_band: string | null;
  to_band: string;
  from_score: number | null;
  to_score: number | null;
  drivers: Driver[];
}

/**
 * Turns a run's band changes into replies on open cases, opens a case for every account in the risk
 * band that should have one, then delivers what Slack has not been told yet. Deciding and delivering
 * are apart (an outbox on the case: pending reply, stale parent, parent not yet posted), so a Slack
 * failure loses nothing: the next notification delivers it. Safe to run again. Without a run, only
 * opens the missing cases and delivers (after the alert channel is set, say).
 */
export async function reportBandChanges(
  prisma: PrismaClient,
  workspaceId: number,
  runId: bigint | null,
  slack: CaseSlack | null,
  today: Day,
  now: Date = new Date(),
): Promise<ReportSummary> {
  const workspace = await prisma.workspace.findUniqueOrThrow({ where: { id: workspaceId } });
  const settings = readSettings(workspace.settings);
  const plan = await loadCasePlan(prisma, workspaceId);
  const risk = new Set(plan.risk);
  const changes =
    runId === null
      ? []
      : await prisma.$queryRawUnsafe<ChangeRow[]>(
          `SELECT account_id, from_band, to_band, from_score, to_score, drivers FROM band_changes
           WHERE workspace_id = $1 AND run_id = $2 ORDER BY account_id`,
          workspaceId,
          runId,
        );
  const summary: ReportSummary = { opened: 0, replies: 0, recovered: 0, unchanged: 0, waiting: 0 };
  for (const change of changes) {
    const outcome = await prisma.$transaction((tx) =>
      decide(tx as PrismaClient, workspaceId, change, risk, settings, today),
    );
    if (outcome === "recovered") summary.recovered++;
    else if (outcome === "unchanged") summary.unchanged++;
  }
  summary.opened = await openMissingCases(prisma, workspaceId, [...risk], settings, { plan, today });
  const delivered = await deliverPending(prisma, workspaceId, slack, settings, today, now, plan);
  summary.replies = delivered.replies;
  summary.waiting = delivered.waiting;
  return summary;
}

type Decision = "recovered" | "replied" | "unchanged";

const lockAccount = (tx: PrismaClient, workspaceId: number, accountId: number) =>
  // Shared on the workspace (openMissingCases takes it exclusively), exclusive on the account.
  tx.$queryRawUnsafe(
    `SELECT pg_advisory_xact_lock_shared(hashtext('css-cases'), $1)::text AS ws,
            pg_advisory_xact_lock(hashtext('css-case'), $2)::text AS account`,
    workspaceId,
    accountId,
  );

/**
 * One account's band change, under a lock on the account: what its open case says of it. Opening a
 * case is openMissingCases' alone; a move out of risk after a case was resolved is recorded on that
 * case, since it is what lets a later fall open a new one.
 */
async function decide(
  tx: PrismaClient,
  workspaceId: number,
  change: ChangeRow,
  risk: ReadonlySet<string>,
  settings: WorkspaceSettings,
  today: Day,
): Promise<Decision> {
  const entered = risk.has(change.to_band) && !risk.has(change.from_band ?? "");
  const left = risk.has(change.from_band ?? "") && !risk.has(change.to_band);
  await lockAccount(tx, workspaceId, change.account_id);
  const latest = await tx.followUp.findFirst({
    where: { workspaceId, accountId: change.account_id },
    orderBy: [{ openedAt: "desc" }, { id: "desc" }],
  });
  if (!latest) return "unchanged";
  if (latest.status === "resolved") {
    // A recovery after the case was closed is what lets a later fall open a new case.
    if (left && (latest.recoveredAt === null || latest.recoveredAt < (latest.resolvedAt ?? new Date(0)))) {
      await tx.followUp.update({ where: { id: latest.id }, data: { recoveredAt: new Date() } });
      return "recovered";
    }
    return "unchanged";
  }
  const open = latest;
  // Hourly runs of one day repeat the day's band change: only a new state is news.
  if (open.lastBand === change.to_band && open.lastScore === change.to_score) return "unchanged";
  let kind: "recovered" | "back" | "fell" | "changed" | null = null;
  const data: Prisma.FollowUpUpdateInput = { lastBand: change.to_band, lastScore: change.to_score };
  if (left) {
    kind = "recovered";
    data.recoveredAt = new Date();
  } else if (entered && open.status === "snoozed") {
    const floor = (open.snoozeScore ?? open.openedScore ?? 0) - settings.reopen_points;
    const ended = open.snoozedUntil !== null && dateToDay(open.snoozedUntil) <= today;
    if (ended || (change.to_score !== null && change.to_score <= floor)) {
      kind = ended ? "back" : "fell";
      Object.assign(data, { status: "open", snoozedUntil: null, recoveredAt: null });
    }
  } else if (entered && open.recoveredAt !== null) {
    // Back at risk only after a recorded recovery; the same fall replayed by a later run is no news.
    kind = "back";
    data.recoveredAt = null;
  } else if (!entered && open.status === "open") {
    kind = "changed";
  }
  const updated = await tx.followUp.update({
    where: { id: open.id },
    data: { ...data, version: { increment: 1 }, ...(kind ? { parentStale: true } : {}) },
  });
  if (!kind) return "unchanged";
  const reply = movedReply(kind, await caseView(tx, updated), change.to_band, settings.reopen_points);
  await tx.followUp.update({
    where: { id: open.id },
    data: { pendingReply: outboxReply(reply) },
  });
  return kind === "recovered" ? "recovered" : "replied";
}

/**
 * Makes the cases match the accounts: opens one for every active account in the risk band that has
 * none, unless its last case was resolved and nothing since says to reopen it (a recorded recovery,
 * or a fall of reopen_points below the score it was closed at); and closes, quietly, a case whose
 * thread was never posted when its account is no longer in the risk band (it recovered before anyone
 * was told; the recovery is recorded, so a later fall opens a new case), unless a post of its thread
 * got no answer: that one may be in the channel, and is found (or posted) first. Under the workspace's
 * exclusive case lock, so a concurrent decide() or another job never opens a second case. Returns
 * the cases opened.
 */
export async function openMissingCases(
  prisma: PrismaClient,
  workspaceId: number,
  riskBandKeys: readonly string[],
  settings: Pick<WorkspaceSettings, "alert_channel" | "reopen_points">,
  plays?: { plan: CasePlan; today: Day },
): Promise<number> {
  // The cases of level plays only: a case an edge play opened (a sharp drop, say) is not closed
  // because its account is not in a band.
  const levelKeys = plays ? plays.plan.level.map((p) => p.key) : null;
  // Conditions are read before the lock: which accounts in a play's bands meet them.
  const openings = plays ? await levelOpenings(prisma, workspaceId, plays.plan) : null;
  return prisma.$transaction(async (tx) => {
    await tx.$queryRawUnsafe(
      `SELECT pg_advisory_xact_lock(hashtext('css-cases'), $1)::text AS locked`,
      workspaceId,
    );
    await tx.$executeRawUnsafe(
      `UPDATE follow_ups f SET status = 'resolved', resolved_at = now(), recovered_at = now(),
              closed_score = a.current_score, last_score = a.current_score, last_band = a.current_band,
              pending_reply = NULL, parent_stale = false, version = f.version + 1
       FROM accounts a
       WHERE f.workspace_id = $1 AND a.workspace_id = f.workspace_id AND a.id = f.account_id
         AND f.status IN ('open', 'snoozed') AND f.thread_ts IS NULL AND f.delivery_lease IS NULL
         AND f.thread_attempt_at IS NULL
         AND ($3::text[] IS NULL OR f.play_key IS NULL OR f.play_key = ANY($3::text[]))
         AND (a.status <> 'active' OR a.current_band IS NULL OR NOT (a.current_band = ANY($2::text[])))`,
      workspaceId,
      [...riskBandKeys],
      levelKeys,
    );
    if (!openings || !plays)
      return insertMissingCases(
        tx,
        workspaceId,
        riskBandKeys,
        settings.alert_channel,
        settings.reopen_points,
      );
    let opened = 0;
    for (const { play, bands, accountIds } of openings) {
      const rows = await openMissingCaseRows(tx, workspaceId, bands, null, settings.reopen_points, {
        playKey: play.key,
        accountIds,
        tasks: play.tasks,
      });
      await assignAtOpening(tx as PrismaClient, workspaceId, play, rows, plays.today);
      opened += rows.length;
    }
    return opened;
  });
}

/** Each level play's bands, and the accounts in them its conditions hold for (null: no conditions). */
async function levelOpenings(
  prisma: PrismaClient,
  workspaceId: number,
  plan: CasePlan,
): Promise<{ play: CasePlay; bands: string[]; accountIds: number[] | null }[]> {
  const openings = [];
  for (const play of plan.level) {
    const bands = resolveBands(play.bands, plan.lowest);
    let accountIds: number[] | null = null;
    if (Object.keys(play.when).length > 0) {
      const accounts = await readPlayAccounts(prismaRead(prisma), workspaceId, { bands }, plan.model);
      accountIds = accounts.filter((a) => conditionsHold(play.when, a)).map((a) => a.id);
    }
    openings.push({ play, bands, accountIds });
  }
  return openings;
}

/**
 * A play that names an owner gives the cases it opens to them at once, due in the play's business
 * days: the account's owner (when matched to Slack), a fixed user, or each of a list in turn (counted
 * over the play's cases so far, so the turn survives restarts).
 */
export async function assignAtOpening(
  tx: PrismaClient,
  workspaceId: number,
  play: CasePlay,
  opened: readonly { id: bigint; account_id: number }[],
  today: Day,
): Promise<void> {
  if (opened.length === 0 || play.owner === "none") return;
  const due = dayToDate(addBusinessDays(today, play.dueBusinessDays));
  const ids = opened.map((c) => c.id);
  if (play.owner === "account_owner") {
    await tx.$executeRawUnsafe(
      `UPDATE follow_ups f SET owner_slack_user_id = a.owner_slack_user_id, assigned_by = 'css-bot',
              due_date = $3::date
       FROM accounts a
       WHERE f.workspace_id = $1 AND f.id = ANY($2::bigint[]) AND a.id = f.account_id
         AND a.workspace_id = f.workspace_id AND a.owner_slack_user_id IS NOT NULL`,
      workspaceId,
      ids,
      formatDay(dateToDay(due)),
    );
    return;
  }
  const owners = typeof play.owner === "string" ? [play.owner] : play.owner.round_robin;
  const before = await tx.followUp.count({
    where: { workspaceId, playKey: play.key, assignedBy: "css-bot", id: { notIn: ids } },
  });
  const sorted = [...opened].sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const [i, c] of sorted.entries()) {
    await tx.followUp.update({
      where: { id: c.id },
      data: { ownerSlackUserId: owners[(before + i) % owners.length]!, assignedBy: "css-bot", dueDate: due },
    });
  }
}

/**
 * Delivers every case's outbox in the workspace: the parent message not yet posted (at most
 * case_threads_per_day new threads in any 24 hours, highest MRR first, and one notice a day saying
 * how many wait), a pending thread reply, a parent that no longer shows the case as it is. Each is
 * cleared once Slack accepted it; a post's try is recorded before the call, so one whose answer was
 * lost (a timeout, a crash before that write) is looked for in Slack before it is sent again
 * (slack/post-once.ts). A case is leased while it is delivered, so two jobs never deliver it at once.
 */
export async function deliverPending(
  prisma: PrismaClient,
  workspaceId: number,
  slack: CaseSlack | null,
  settings: Pick<WorkspaceSettings, "alert_channel" | "digest_channel" | "case_threads_per_day" | "timezone">,
  today: Day,
  now: Date = new Date(),
  plan: CasePlan | null = null,
): Promise<{ replies: number; waiting: number }> {
  const channel = settings.alert_channel;
  const channelOf = (playKey: string | null) => caseChannel(plan && playOf(plan, playKey), settings);
  // In the playbook's quiet hours, new threads and replies of plays that respect them wait for the
  // morning (a parent brought up to date notifies nobody, so it goes).
  const quiet = plan ? quietUntil(now, settings.timezone, plan.playbook.quiet_hours) !== null : false;
  const holds = (playKey: string | null) => quiet && (playOf(plan!, playKey)?.quiet ?? true);
  const unposted = await waitingCases(prisma, workspaceId);
  if (!slack) return { replies: 0, waiting: unposted.length };
  const postedLastDay = await prisma.followUp.count({
    where: { workspaceId, threadPostedAt: { gt: new Date(now.getTime() - 86_400_000) } },
  });
  const capacity = Math.max(0, settings.case_threads_per_day - postedLastDay);
  // A case waits while its play's channel is not set; the others open in the backlog's order.
  const newThreads = unposted
    .filter((c) => channelOf(c.play_key) !== null && !holds(c.play_key))
    .slice(0, capacity)
    .map((c) => c.id);
  const cases = await prisma.followUp.findMany({
    where: {
      workspaceId,
      OR: [
        { id: { in: newThreads } },
        { threadTs: { not: null }, pendingReply: { not: Prisma.DbNull } },
        { threadTs: { not: null }, parentStale: true },
      ],
    },
  });
  // New threads in the backlog's order (highest MRR first), then the replies and updates.
  const order = new Map(newThreads.map((id, i) => [id, i]));
  cases.sort((a, b) => (order.get(a.id) ?? Infinity) - (order.get(b.id) ?? Infinity) || Number(a.id - b.id));
  let replies = 0;
  let posted = 0;
  for (const candidate of cases) {
    const leased = await leaseCase(prisma, candidate.id, now);
    if (!leased) continue;
    try {
      const result = await deliverCase(
        prisma,
        leased,
        slack,
        channelOf(leased.playKey),
        now,
        holds(leased.playKey),
      );
      replies += result.replies;
      posted += result.posted;
    } finally {
      await prisma.followUp.update({ where: { id: candidate.id }, data: { deliveryLease: null } });
    }
  }
  const waiting = unposted.length - posted;
  if (channel && waiting > 0)
    await postBacklogNotice(prisma, workspaceId, slack, channel, today, waiting, settings);
  return { replies, waiting };
}

/** The open cases without a thread, highest MRR first (the order their threads open in). */
async function waitingCases(
  prisma: PrismaClient,
  workspaceId: number,
): Promise<{ id: bigint; play_key: string | null }[]> {
  return prisma.$queryRawUnsafe<{ id: bigint; play_key: string | null }[]>(
    `SELECT f.id, f.play_key FROM follow_ups f JOIN accounts a ON a.id = f.account_id AND a.workspace_id = f.workspace_id
     WHERE f.workspace_id = $1 AND f.thread_ts IS NULL AND f.status IN ('open', 'snoozed')
     ORDER BY a.mrr DESC NULLS LAST, f.last_score ASC NULLS LAST, f.id`,
    workspaceId,
  );
}

async function leaseCase(prisma: PrismaClient, id: bigint, now: Date): Promise<FollowUp | null> {
  const claimed = await prisma.followUp.updateMany({
    where: {
      id,
      OR: [{ deliveryLease: null }, { deliveryLease: { lt: new Date(now.getTime() - DELIVERY_LEASE_MS) } }],
    },
    data: { deliveryLease: now },
  });
  return claimed.count === 1 ? prisma.followUp.findUnique({ where: { id } }) : null;
}

/** One case's outbox, in order: its parent (when it has none yet), its pending reply, its update. */
async function deliverCase(
  prisma: PrismaClient,
  c: FollowUp,
  slack: CaseSlack,
  channel: string | null,
  now: Date,
  holdReplies = false,
): Promise<{ replies: number; posted: number }> {
  let posted = 0;
  let replies = 0;
  if (c.threadTs === null) {
    // A parent never posted goes where alerts go now (the admin may have fixed the channel since).
    if (!channel || c.status === "resolved") return { replies, posted };
    const id = c.id;
    const attempt: PostAttempt = {
      at: c.threadAttemptAt,
      channel: c.channelId,
      begin: (at) =>
        prisma.followUp.update({ where: { id }, data: { threadAttemptAt: at, channelId: channel } }),
      forget: () => prisma.followUp.update({ where: { id }, data: { threadAttemptAt: null } }),
    };
    const message = caseParentMessage(await caseView(prisma, c));
    const sent = await postOnce(slack, { channel, ...message }, caseThreadMetadata(id), attempt, now);
    posted++;
    c = await prisma.followUp.update({
      where: { id },
      // The reply decided before the thread existed is told by the parent itself.
      data: {
        channelId: sent.channel,
        threadTs: sent.ts,
        threadPostedAt: now,
        threadAttemptAt: null,
        parentStale: sent.found,
        pendingReply: Prisma.DbNull,
      },
    });
  }
  const reply = c.pendingReply as PendingReply | null;
  if (reply && c.channelId && c.threadTs && !holdReplies) {
    const args = { channel: c.channelId, thread_ts: c.threadTs, text: reply.text, blocks: reply.blocks };
    const metadata = caseReplyMetadata(c.id, reply.id ?? "none");
    await postOnce(slack, args, metadata, replyAttempt(prisma, c.id, reply), now);
    replies++;
    await prisma.$executeRawUnsafe(
      `UPDATE follow_ups SET pending_reply = NULL
       WHERE id = $1 AND pending_reply->>'id' IS NOT DISTINCT FROM $2`,
      c.id,
      reply.id ?? null,
    );
    c = await prisma.followUp.findUniqueOrThrow({ where: { id: c.id } });
  }
  if (c.parentStale && c.channelId && c.threadTs) {
    await slack.updateMessage({
      channel: c.channelId,
      ts: c.threadTs,
      ...caseParentMessage(await caseView(prisma, c)),
    });
    await prisma.followUp.update({ where: { id: c.id }, data: { parentStale: false } });
  }
  return { replies, posted };
}

/**
 * A pending reply's try, recorded in the reply itself: a reply decided meanwhile replaces it with its
 * own id (and no try), so each write names the reply it is about.
 */
function replyAttempt(prisma: PrismaClient, caseId: bigint, reply: PendingReply): PostAttempt {
  const mark = (at: Date | null) =>
    prisma.$executeRawUnsafe(
      `UPDATE follow_ups SET pending_reply = CASE WHEN $3::text IS NULL THEN pending_reply - 'attempt_at'
         ELSE jsonb_set(pending_reply, '{attempt_at}', to_jsonb($3::text)) END
       WHERE id = $1 AND pending_reply->>'id' IS NOT DISTINCT FROM $2`,
      caseId,
      reply.id ?? null,
      at?.toISOString() ?? null,
    );
  return {
    at: reply.attempt_at ? new Date(reply.attempt_at) : null,
    begin: (at) => mark(at),
    forget: () => mark(null),
  };
}

/**
 * Once a local day while cases wait for their thread: one message in the alert channel saying how
 * many, how they open, and where to see them all. Claimed by its row first, so it is posted once; a
 * claim whose try got no answer and was then abandoned (a killed worker) is taken over after a while,
 * and the notice looked for before it is sent again.
 */
async function postBacklogNotice(
  prisma: PrismaClient,
  workspaceId: number,
  slack: CaseSlack,
  channel: string,
  today: Day,
  waiting: number,
  settings: Pick<WorkspaceSettings, "case_threads_per_day">,
): Promise<void> {
  const day = dayToDate(today);
  await prisma.$executeRawUnsafe(
    `INSERT INTO case_backlog_notices (workspace_id, local_date, waiting, channel_id)
     VALUES ($1, $2::date, $3, $4) ON CONFLICT (workspace_id, local_date) DO NOTHING`,
    workspaceId,
    formatDay(today),
    waiting,
    channel,
  );
  const abandoned = new Date(Date.now() - DELIVERY_LEASE_MS);
  const claimed = await prisma.caseBacklogNotice.updateMany({
    where: {
      workspaceId,
      localDate: day,
      channelId: channel,
      OR: [{ messageTs: null }, { messageTs: "posting", attemptAt: { lt: abandoned } }],
    },
    data: { messageTs: "posting", waiting },
  });
  if (claimed.count === 0) return;
  const where = { workspaceId_localDate: { workspaceId, localDate: day } };
  const row = await prisma.caseBacklogNotice.findUniqueOrThrow({ where });
  const attempt: PostAttempt = {
    at: row.attemptAt,
    begin: (at) => prisma.caseBacklogNotice.update({ where, data: { attemptAt: at } }),
    forget: () => prisma.caseBacklogNotice.update({ where, data: { attemptAt: null } }),
  };
  try {
    const message = backlogNotice(waiting, settings.case_threads_per_day);
    const metadata = backlogNoticeMetadata(workspaceId, formatDay(today));
    const sent = await postOnce(slack, { channel, ...message }, metadata, attempt);
    await prisma.caseBacklogNotice.update({ where, data: { messageTs: sent.ts, attemptAt: null } });
  } catch (error) {
    await prisma.caseBacklogNotice.update({ where, data: { messageTs: null } });
    throw error;
  }
}

export function backlogNotice(waiting: number, perDay: number): SlackMessage {
  const accounts = waiting === 1 ? "1 more account is" : `${waiting} more accounts are`;
  return caseReply(
    `:hourglass_flowing_sand: ${accounts} at risk and waiting for a thread here. Threads open ` +
      `${perDay} a day, highest MRR first; \`/css at-risk\` lists every account at risk now.`,
  );
}

/** What the parent message shows of a case, from the case, its account and the move into risk. */
export async function caseView(prisma: PrismaClient, c: FollowUp): Promise<CaseView> {
  const account = await prisma.account.findFirstOrThrow({
    where: { id: c.accountId, workspaceId: c.workspaceId },
  });
  const move = await prisma.bandChange.findFirst({
    where: { accountId: c.accountId, workspaceId: c.workspaceId },
    orderBy: { asOf: "desc" },
  });
  return {
    caseId: c.id,
    version: c.version,
    status: c.status,
    account: accountFacts(account),
    score: c.lastScore,
    fromScore: move?.fromScore ?? null,
    drivers: (move?.drivers as Driver[] | undefined) ?? [],
    caseOwner: c.ownerSlackUserId,
    dueDate: c.dueDate ? dateToDay(c.dueDate) : null,
    snoozedUntil: c.snoozedUntil ? dateToDay(c.snoozedUntil) : null,
    recovered: c.recoveredAt !== null,
    resolvedBy: c.resolvedBy,
    tasks: caseTasks(c.tasks).map((t) => ({ text: t.text, doneBy: t.done_by })),
    opener: await caseOpener(prisma, c),
  };
}

/** A case's checklist as stored: [{ text, done_by, done_at }] (anything else reads as none). */
export interface CaseTask {
  text: string;
  done_by: string | null;
  done_at: string | null;
}
export function caseTasks(stored: unknown): CaseTask[] {
  if (!Array.isArray(stored)) return [];
  return stored.flatMap((t): CaseTask[] =>
    t && typeof t === "object" && typeof (t as CaseTask).text === "string"
      ? [
          {
            text: (t as CaseTask).text,
            done_by: typeof (t as CaseTask).done_by === "string" ? (t as CaseTask).done_by : null,
            done_at: typeof (t as CaseTask).done_at === "string" ? (t as CaseTask).done_at : null,
          },
        ]
      : [],
  );
}

/**
 * Why a case an edge play opened is open (its play's label and the fire's summary); null for a case
 * of a level play (entering risk says it) or one opened before playbooks.
 */
async function caseOpener(prisma: PrismaClient, c: FollowUp): Promise<CaseView["opener"]> {
  if (c.playKey === null) return null;
  const fire = await prisma.playFire.findFirst({
    where: {
      workspaceId: c.workspaceId,
      accountId: c.accountId,
      playKey: c.playKey,
      createdAt: { lte: c.openedAt },
    },
    orderBy: { createdAt: "desc" },
  });
  const trigger = fire?.trigger as { kind?: string; summary?: string } | undefined;
  if (!fire || !trigger || trigger.kind === "band_entered") return null;
  const plan = await loadCasePlan(prisma, c.workspaceId);
  const play = playOf(plan, c.playKey);
  return { label: play?.label ?? c.playKey, summary: trigger.summary ?? trigger.kind ?? "" };
}

/**
 * Ticks task `task` of the case, if the case is still at `version`: the parent shows it done (by whom),
 * the thread says so, and the audit log (the account's timeline) keeps it.
 */
export async function tickTask(
  prisma: PrismaClient,
  workspaceId: number,
  ref: { caseId: bigint; version: number; task: number },
  actor: string,
  slack: CaseSlack | null,
): Promise<CaseOutcome> {
  const before = await prisma.followUp.findFirst({ where: { id: ref.caseId, workspaceId } });
  if (!before) return { kind: "missing" };
  const tasks = caseTasks(before.tasks);
  const task = tasks[ref.task];
  if (!task) return { kind: "done", message: caseReply("That task is no longer on this case.") };
  if (task.done_by)
    return { kind: "done", message: caseReply(`${mentionUser(task.done_by)} already ticked it.`) };
  tasks[ref.task] = { ...task, done_by: actor, done_at: new Date().toISOString() };
  const { updated, current } = await changeCase(prisma, workspaceId, ref, {
    tasks: tasks as unknown as Prisma.InputJsonValue,
  });
  if (!current) return { kind: "missing" };
  if (!updated) return staleOutcome(prisma, current, slack);
  await audit(prisma, workspaceId, {
    actor,
    action: "follow_up.task_done",
    target: `follow_up:${updated.id}`,
    details: { task: task.text, account_id: updated.accountId },
  });
  await refreshParent(prisma, updated, slack);
  if (slack && updated.channelId && updated.threadTs) {
    await slack.postMessage({
      channel: updated.channelId,
      thread_ts: updated.threadTs,
      ...caseReply(`:white_check_mark: ${mentionUser(actor)} ticked “${esc(task.text)}”`),
    });
  }
  return { kind: "done", message: caseReply(`Ticked “${esc(task.text)}”.`) };
}

export type CaseOutcome =
  | { kind: "done"; message: SlackMessage }
  | { kind: "stale"; message: SlackMessage; current: FollowUp }
  | { kind: "closed" }
  | { kind: "missing" };

/**
 * Applies `change` to the case if it is still at `version` (what the clicked message showed). Two
 * clicks at once: one wins, the other gets "stale" with the case as it now is, and the parent
 * message is re-rendered from the database either way, so everyone sees the same owner.
 */
async function changeCase(
  prisma: PrismaClient,
  workspaceId: number,
  ref: { caseId: bigint; version: number },
  data: Prisma.FollowUpUpdateManyMutationInput,
): Promise<{ updated: FollowUp | null; current: FollowUp | null }> {
  const result = await prisma.followUp.updateMany({
    where: { id: ref.caseId, workspaceId, version: ref.version, status: { in: [...OPEN] } },
    data: { ...data, version: { increment: 1 } },
  });
  const current = await prisma.followUp.findFirst({ where: { id: ref.caseId, workspaceId } });
  return { updated: result.count === 1 ? current : null, current };
}

export async function assignCase(
  prisma: PrismaClient,
  workspaceId: number,
  ref: { caseId: bigint; version: number },
  owner: string,
  actor: string,
  slack: CaseSlack | null,
  today: Day,
): Promise<CaseOutcome> {
  const opened = await prisma.followUp.findFirst({ where: { id: ref.caseId, workspaceId } });
  const play = opened?.playKey ? playOf(await loadCasePlan(prisma, workspaceId), opened.playKey) : null;
  const due = addBusinessDays(today, play?.dueBusinessDays ?? DUE_BUSINESS_DAYS);
  const { updated, current } = await changeCase(prisma, workspaceId, ref, {
    ownerSlackUserId: owner,
    assignedBy: actor,
    dueDate: dayToDate(due),
  });
  if (!current) return { kind: "missing" };
  if (!updated) return staleOutcome(prisma, current, slack);
  await audit(prisma, workspaceId, {
    actor,
    action: "follow_up.assign",
    target: `follow_up:${updated.id}`,
    details: { owner, due: formatDay(due) },
  });
  await refreshParent(prisma, updated, slack);
  if (slack && updated.channelId && updated.threadTs) {
    await slack.postMessage({
      channel: updated.channelId,
      thread_ts: updated.threadTs,
      ...caseReply(`Assigned to ${mentionUser(owner)} by ${mentionUser(actor)}`),
    });
  }
  if (slack && owner !== actor) {
    const view = await caseView(prisma, updated);
    await slack.sendDm(
      owner,
      caseReply(
        `${mentionUser(actor)} asked you to own the save of *${esc(view.account.name)}* (score ${Math.round(view.score ?? 0)}, due ${formatDay(due)}).`,
      ),
    );
  }
  return { kind: "done", message: caseReply(`You assigned it to ${mentionUser(owner)}.`) };
}

export async function resolveCase(
  prisma: PrismaClient,
  workspaceId: number,
  ref: { caseId: bigint; version: number },
  actor: string,
  slack: CaseSlack | null,
): Promise<CaseOutcome> {
  const { updated, current } = await changeCase(prisma, workspaceId, ref, {
    status: "resolved",
    resolvedAt: new Date(),
    resolvedBy: actor,
  });
  // The score it was closed at: it stays closed unless the account recovers, or falls well below it.
  if (updated) {
    await prisma.followUp.update({ where: { id: updated.id }, data: { closedScore: updated.lastScore } });
  }
  if (!current) return { kind: "missing" };
  if (!updated) return staleOutcome(prisma, current, slack);
  await audit(prisma, workspaceId, { actor, action: "follow_up.resolve", target: `follow_up:${updated.id}` });
  await refreshParent(prisma, updated, slack);
  if (slack && updated.channelId && updated.threadTs) {
    await slack.postMessage({
      channel: updated.channelId,
      thread_ts: updated.threadTs,
      ...caseReply(`Resolved by ${mentionUser(actor)}`),
    });
  }
  return { kind: "done", message: caseReply("Resolved.") };
}

async function staleOutcome(
  prisma: PrismaClient,
  current: FollowUp,
  slack: CaseSlack | null,
): Promise<CaseOutcome> {
  if (current.status === "resolved") {
    await refreshParent(prisma, current, slack);
    return { kind: "closed" };
  }
  await refreshParent(prisma, current, slack);
  const owner = current.ownerSlackUserId
    ? `it is now assigned to ${mentionUser(current.ownerSlackUserId)}`
    : "it is unassigned";
  return {
    kind: "stale",
    current,
    message: caseReply(
      `Someone changed this case just before you: ${owner}. The message shows it as it is now.`,
    ),
  };
}

async function refreshParent(prisma: PrismaClient, c: FollowUp, slack: CaseSlack | null): Promise<void> {
  if (!slack || !c.channelId || !c.threadTs) return;
  const view = await caseView(prisma, c);
  await slack.updateMessage({ channel: c.channelId, ts: c.threadTs, ...caseParentMessage(view) });
}

export async function snoozeCase(
  prisma: PrismaClient,
  workspaceId: number,
  ref: { caseId: bigint; version: number },
  snooze: { days: number; reason: string },
  actor: string,
  slack: CaseSlack | null,
  today: Day,
): Promise<CaseOutcome> {
  const until = today + snooze.days;
  const before = await prisma.followUp.findFirst({ where: { id: ref.caseId, workspaceId } });
  const { updated, current } = await changeCase(prisma, workspaceId, ref, {
    status: "snoozed",
    snoozedUntil: dayToDate(until),
    snoozeReason: snooze.reason,
    snoozeScore: before?.lastScore ?? null,
  });
  if (!current) return { kind: "missing" };
  if (!updated) return staleOutcome(prisma, current, slack);
  await audit(prisma, workspaceId, {
    actor,
    action: "follow_up.snooze",
    target: `follow_up:${updated.id}`,
    details: { until: formatDay(until), reason: snooze.reason },
  });
  await refreshParent(prisma, updated, slack);
  if (slack && updated.channelId && updated.threadTs) {
    await slack.postMessage({
      channel: updated.channelId,
      thread_ts: updated.threadTs,
      ...caseReply(`:zzz: Snoozed until ${formatDay(until)} by ${mentionUser(actor)}: ${esc(snooze.reason)}`),
    });
  }
  return { kind: "done", message: caseReply(`Snoozed until ${formatDay(until)}.`) };
}

/**
 * Ends the snoozes that are over: each case snoozed until `today` or earlier is open again, with a
 * reply in its thread that says where the account stands now (still at risk, or out of it since) and
 * the parent message updated. A band change back into risk on the day has already done so (decide():
 * "Back at risk"); this is for the account that stayed in the risk band, or left it, while snoozed,
 * which no band change would wake. Each case is woken once, in one statement with its outbox reply
 * (as escalations are), and only when its outbox is empty: a reply still waiting is delivered first,
 * and the case woken on the next pass. Returns the cases woken now.
 */
export async function wakeSnoozed(
  prisma: PrismaClient,
  workspaceId: number,
  slack: CaseSlack | null,
  today: Day,
): Promise<number> {
  const ended = await prisma.followUp.findMany({
    where: { workspaceId, status: "snoozed", snoozedUntil: { lte: dayToDate(today) } },
    include: { account: { select: { currentBand: true, currentScore: true } } },
  });
  if (ended.length === 0) return 0;
  const workspace = await prisma.workspace.findUniqueOrThrow({ where: { id: workspaceId } });
  const settings = readSettings(workspace.settings);
  const plan = await loadCasePlan(prisma, workspaceId);
  const risk = new Set(plan.risk);
  let woken = 0;
  for (const c of ended) {
    const band = c.account.currentBand;
    const until = dateToDay(c.snoozedUntil!);
    const reply = snoozeEndedReply({
      band,
      atRisk: band !== null && risk.has(band),
      snoozedScore: c.snoozeScore,
      score: c.account.currentScore,
      until,
    });
    // Not if it was snoozed again meanwhile (another date) or its outbox holds a reply.
    const claimed = await prisma.followUp.updateMany({
      where: { id: c.id, workspaceId, status: "snoozed", snoozedUntil: c.snoozedUntil, ...OUTBOX_EMPTY },
      data: {
        status: "open",
        snoozedUntil: null,
        pendingReply: outboxReply(reply),
        parentStale: true,
        version: { increment: 1 },
      },
    });
    if (claimed.count === 1) {
      woken++;
      await audit(prisma, workspaceId, {
        actor: "css-bot",
        action: "follow_up.snooze_end",
        target: `follow_up:${c.id}`,
        details: { until: formatDay(until), band, score: c.account.currentScore },
      });
    }
  }
  if (woken > 0) await deliverPending(prisma, workspaceId, slack, settings, today, new Date(), plan);
  return woken;
}

/**
 * Escalates, once, each open case nobody has claimed for the workspace's set number of business
 * days: a reply in its thread mentioning the configured lead. The escalation is recorded with the
 * reply in the case's outbox in one statement, so it is decided once and delivered until Slack
 * accepts it; never over a reply still waiting there. Returns the cases escalated now.
 */
export async function escalateUnclaimed(
  prisma: PrismaClient,
  workspaceId: number,
  slack: CaseSlack | null,
  today: Day,
): Promise<number> {
  const workspace = await prisma.workspace.findUniqueOrThrow({ where: { id: workspaceId } });
  const settings = readSettings(workspace.settings);
  const plan = await loadCasePlan(prisma, workspaceId);
  // Counted from when its thread was posted: a case of the backlog is not late before anyone saw it.
  const candidates = await prisma.followUp.findMany({
    where: {
      workspaceId,
      status: "open",
      ownerSlackUserId: null,
      escalatedAt: null,
      recoveredAt: null,
      threadPostedAt: { not: null },
    },
  });
  let escalated = 0;
  for (const c of candidates) {
    const escalation = caseEscalation(playOf(plan, c.playKey), settings);
    if (!escalation) continue;
    const days = businessDaysBetween(localDay(c.threadPostedAt!, settings.timezone), today);
    if (days < escalation.afterBusinessDays) continue;
    const who = escalation.lead ? `${mentionUser(escalation.lead)}, who` : "Who";
    const reply = caseReply(
      `:alarm_clock: Nobody has claimed this case for ${days} business days. ${who} should own the save?`,
    );
    const claimed = await prisma.followUp.updateMany({
      where: { id: c.id, escalatedAt: null, ownerSlackUserId: null, status: "open", ...OUTBOX_EMPTY },
      data: {
        escalatedAt: new Date(),
        pendingReply: outboxReply(reply),
      },
    });
    if (claimed.count === 1) {
      escalated++;
      await audit(prisma, workspaceId, {
        actor: "css-bot",
        action: "follow_up.escalate",
        target: `follow_up:${c.id}`,
      });
    }
  }
  if (escalated > 0) await deliverPending(prisma, workspaceId, slack, settings, today, new Date(), plan);
  return escalated;
}
