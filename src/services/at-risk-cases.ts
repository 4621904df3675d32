// At-risk cases: one open case per account, opened when the account enters the risk band (after
// hysteresis), discussed in one Slack thread, owned by someone.
//
//   enters risk, no case       open a case and post its parent message in the alert channel
//   enters risk, recovered     the same thread: "back at risk", parent updated (no new thread)
//   enters risk, snoozed       silent, unless the score fell a further 10 points (snooze over)
//   leaves risk                reply "recovered" and update the parent
//   assign / resolve           optimistic on the case's version: a stale click changes nothing
//
// Every account is handled under a transaction-scoped advisory lock on its id, so two runs (or a
// retried notification job) never open two cases or post twice for the same change.
import { readSettings } from "../config/workspace-settings.ts";
import { findActiveModel } from "../db/repositories/models.ts";
import { audit } from "../db/repositories/audit-log.ts";
import { dateToDay, dayToDate, formatDay, type Day } from "../domain/dates.ts";
import { DEFAULT_MODEL } from "../domain/model/default-model.ts";
import type { Driver } from "../domain/scoring/explain.ts";
import { addBusinessDays, businessDaysBetween } from "../domain/schedule/business-days.ts";
import { localDay } from "../domain/schedule/slots.ts";
import { Prisma, type FollowUp, type PrismaClient } from "../generated/prisma/client.ts";
import { caseParentMessage, caseReply, movedReply, type CaseView } from "../slack/blocks/at-risk-case.ts";
import type { SlackMessage } from "../slack/blocks/account-card.ts";
import { esc, mentionUser } from "../slack/blocks/text.ts";
import { accountFacts } from "./account-card.ts";
import { riskBands } from "./account-lists.ts";

/** What the cases need of Slack (the gateway provides it; null: Slack is not configured). */
export interface CaseSlack {
  postMessage(args: { channel: string; text: string; blocks?: unknown[]; thread_ts?: string }): Promise<{
    channel: string;
    ts: string;
  }>;
  updateMessage(args: { channel: string; ts: string; text: string; blocks?: unknown[] }): Promise<void>;
  sendDm(userId: string, args: { text: string; blocks?: unknown[] }): Promise<unknown>;
}

/** Points below the snoozed score at which a snoozed case alerts again. */
export const SNOOZE_BREAK_POINTS = 10;
/** Business days from assignment to the follow-up's due date. */
export const DUE_BUSINESS_DAYS = 5;

const OPEN = ["open", "snoozed"] as const;

export interface ReportSummary {
  opened: number;
  replies: number;
  recovered: number;
  unchanged: number;
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
 * Turns a run's band changes into cases, then delivers what Slack has not been told yet. Deciding and
 * delivering are apart (an outbox on the case: pending reply, stale parent, parent not yet posted),
 * so a Slack failure loses nothing: the next notification delivers it. Safe to run again.
 */
export async function reportBandChanges(
  prisma: PrismaClient,
  workspaceId: number,
  runId: bigint,
  slack: CaseSlack | null,
  today: Day,
): Promise<ReportSummary> {
  const workspace = await prisma.workspace.findUniqueOrThrow({ where: { id: workspaceId } });
  const channel = readSettings(workspace.settings).alert_channel;
  const model = (await findActiveModel(prisma, workspaceId))?.model ?? DEFAULT_MODEL;
  const risk = new Set(riskBands(model));
  const changes = await prisma.$queryRawUnsafe<ChangeRow[]>(
    `SELECT account_id, from_band, to_band, from_score, to_score, drivers FROM band_changes
     WHERE workspace_id = $1 AND run_id = $2 ORDER BY account_id`,
    workspaceId,
    runId,
  );
  const summary: ReportSummary = { opened: 0, replies: 0, recovered: 0, unchanged: 0 };
  for (const change of changes) {
    const outcome = await prisma.$transaction((tx) =>
      decide(tx as PrismaClient, workspaceId, change, risk, channel, today),
    );
    if (outcome === "opened") summary.opened++;
    else if (outcome === "recovered") summary.recovered++;
    else if (outcome === "unchanged") summary.unchanged++;
  }
  summary.replies = await deliverPending(prisma, workspaceId, slack, channel);
  return summary;
}

type Decision = "opened" | "recovered" | "replied" | "unchanged";

/** One account's change, under a lock on the account: the case's new state and what to tell Slack. */
async function decide(
  tx: PrismaClient,
  workspaceId: number,
  change: ChangeRow,
  risk: ReadonlySet<string>,
  channel: string | null,
  today: Day,
): Promise<Decision> {
  const entered = risk.has(change.to_band) && !risk.has(change.from_band ?? "");
  const left = risk.has(change.from_band ?? "") && !risk.has(change.to_band);
  await tx.$queryRawUnsafe(
    `SELECT pg_advisory_xact_lock(hashtext('css-case'), $1)::text AS locked`,
    change.account_id,
  );
  const open = await tx.followUp.findFirst({
    where: { workspaceId, accountId: change.account_id, status: { in: [...OPEN] } },
    orderBy: { openedAt: "desc" },
  });
  // Hourly runs of one day repeat the day's band change: only a new state is news.
  if (open && open.lastBand === change.to_band && open.lastScore === change.to_score) return "unchanged";
  if (!open) {
    if (!entered) return "unchanged";
    await tx.followUp.create({
      data: {
        workspaceId,
        accountId: change.account_id,
        openedScore: change.to_score,
        lastScore: change.to_score,
        lastBand: change.to_band,
        channelId: channel,
      },
    });
    return "opened";
  }
  let kind: "recovered" | "back" | "fell" | "changed" | null = null;
  const data: Prisma.FollowUpUpdateInput = { lastBand: change.to_band, lastScore: change.to_score };
  if (left) {
    kind = "recovered";
    data.recoveredAt = new Date();
  } else if (entered && open.status === "snoozed") {
    const floor = (open.snoozeScore ?? open.openedScore ?? 0) - SNOOZE_BREAK_POINTS;
    const ended = open.snoozedUntil !== null && dateToDay(open.snoozedUntil) <= today;
    if (ended || (change.to_score !== null && change.to_score <= floor)) {
      kind = ended ? "back" : "fell";
      Object.assign(data, { status: "open", snoozedUntil: null, recoveredAt: null });
    }
  } else if (entered) {
    kind = "back";
    data.recoveredAt = null;
  } else if (open.status === "open") {
    kind = "changed";
  }
  const updated = await tx.followUp.update({
    where: { id: open.id },
    data: { ...data, version: { increment: 1 }, ...(kind ? { parentStale: true } : {}) },
  });
  if (!kind) return "unchanged";
  const reply = movedReply(kind, await caseView(tx, updated), change.to_band);
  await tx.followUp.update({
    where: { id: open.id },
    data: { pendingReply: { text: reply.text, blocks: reply.blocks as unknown as Prisma.InputJsonValue } },
  });
  return kind === "recovered" ? "recovered" : "replied";
}

/**
 * Delivers every case's outbox in the workspace: the parent message not yet posted, a pending thread
 * reply, a parent that no longer shows the case as it is. Each is cleared once Slack accepted it (a
 * crash between Slack's answer and that write would send it once more). Returns the replies posted.
 */
export async function deliverPending(
  prisma: PrismaClient,
  workspaceId: number,
  slack: CaseSlack | null,
  channel: string | null,
): Promise<number> {
  if (!slack) return 0;
  const cases = await prisma.followUp.findMany({
    where: {
      workspaceId,
      OR: [
        { threadTs: null, status: { in: [...OPEN] } },
        { pendingReply: { not: Prisma.DbNull } },
        { parentStale: true },
      ],
    },
    orderBy: { id: "asc" },
  });
  let replies = 0;
  for (let c of cases) {
    // A parent never posted goes where alerts go now (the admin may have fixed the channel since).
    const target = channel ?? c.channelId;
    if (c.threadTs === null) {
      if (!target || c.status === "resolved") continue;
      const sent = await slack.postMessage({
        channel: target,
        ...caseParentMessage(await caseView(prisma, c)),
      });
      c = await prisma.followUp.update({
        where: { id: c.id },
        data: { channelId: sent.channel, threadTs: sent.ts, parentStale: false },
      });
    }
    const reply = c.pendingReply as { text: string; blocks: unknown[] } | null;
    if (reply && c.channelId && c.threadTs) {
      await slack.postMessage({
        channel: c.channelId,
        thread_ts: c.threadTs,
        text: reply.text,
        blocks: reply.blocks,
      });
      replies++;
      c = await prisma.followUp.update({ where: { id: c.id }, data: { pendingReply: Prisma.DbNull } });
    }
    if (c.parentStale && c.channelId && c.threadTs) {
      await slack.updateMessage({
        channel: c.channelId,
        ts: c.threadTs,
        ...caseParentMessage(await caseView(prisma, c)),
      });
      await prisma.followUp.update({ where: { id: c.id }, data: { parentStale: false } });
    }
  }
  return replies;
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
  };
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
  const due = addBusinessDays(today, DUE_BUSINESS_DAYS);
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
 * Escalates, once, each open case nobody has claimed for the workspace's set number of business
 * days: a reply in its thread mentioning the configured lead. The escalation is recorded with the
 * reply in the case's outbox in one statement, so it is decided once and delivered until Slack
 * accepts it. Returns the cases escalated now.
 */
export async function escalateUnclaimed(
  prisma: PrismaClient,
  workspaceId: number,
  slack: CaseSlack | null,
  today: Day,
): Promise<number> {
  const workspace = await prisma.workspace.findUniqueOrThrow({ where: { id: workspaceId } });
  const settings = readSettings(workspace.settings);
  const candidates = await prisma.followUp.findMany({
    where: { workspaceId, status: "open", ownerSlackUserId: null, escalatedAt: null, recoveredAt: null },
  });
  let escalated = 0;
  for (const c of candidates) {
    const days = businessDaysBetween(localDay(c.openedAt, settings.timezone), today);
    if (days < settings.escalate_after_business_days) continue;
    const who = settings.escalation_lead ? `${mentionUser(settings.escalation_lead)}, who` : "Who";
    const reply = caseReply(
      `:alarm_clock: Nobody has claimed this case for ${days} business days. ${who} should own the save?`,
    );
    const claimed = await prisma.followUp.updateMany({
      where: { id: c.id, escalatedAt: null, ownerSlackUserId: null, status: "open" },
      data: {
        escalatedAt: new Date(),
        pendingReply: { text: reply.text, blocks: reply.blocks as unknown as Prisma.InputJsonValue },
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
  if (escalated > 0) await deliverPending(prisma, workspaceId, slack, settings.alert_channel);
  return escalated;
}
