// Delivers the recorded play fires (fire-plays.ts): their messages (one per account and destination
// when several plays fire for it in one pass: merged), their cases, their webhooks, and each play's
// summary of the fires its daily cap held back. Fires held for quiet hours go once the hours end.
//
// A fire is claimed for two minutes while it is delivered (attempt_at), so two jobs never deliver it
// at once; a message whose post got no answer is looked for by its metadata before it is posted again
// (slack/post-once.ts). DMs have no such look-up: a DM whose answer was lost may come twice.
import { readSettings, type WorkspaceSettings } from "../../config/workspace-settings.ts";
import { activePlaybook } from "../../db/repositories/playbooks.ts";
import { dateToDay, formatDay, type Day } from "../../domain/dates.ts";
import { casePlays, playLabel, type CasePlay } from "../../domain/plays/case-plays.ts";
import {
  capSummary,
  mergeByAccount,
  quietUntil,
  type MergedMessage,
  type PlannedMessage,
} from "../../domain/plays/guards.ts";
import type { PlayAccount } from "../../domain/plays/facts.ts";
import {
  accountTemplateValues,
  fillTemplate,
  TEMPLATE_FIELDS,
  type TemplateValues,
} from "../../domain/plays/templates.ts";
import { findActiveModel } from "../../db/repositories/models.ts";
import { DEFAULT_MODEL } from "../../domain/model/default-model.ts";
import type { ScoringModel } from "../../domain/model/schema.ts";
import type { Driver } from "../../domain/scoring/explain.ts";
import { readPlayAccounts } from "./play-accounts.ts";
import { prismaRead } from "../../db/handle.ts";
import { actionKind, type Play, type Playbook } from "../../domain/plays/schema.ts";
import type { Prisma, PrismaClient } from "../../generated/prisma/client.ts";
import { caseReply } from "../../slack/blocks/at-risk-case.ts";
import { esc, mentionUser } from "../../slack/blocks/text.ts";
import type { PostMetadata } from "../../slack/gateway.ts";
import { postOnce, type PostAttempt } from "../../slack/post-once.ts";
import { deliveryUnknown, SlackPermanentError } from "../../slack/slack-errors.ts";
import { audit } from "../../db/repositories/audit-log.ts";
import { assignAtOpening, deliverPending, type CaseSlack } from "../at-risk-cases.ts";
import { channelOfRef, loadCasePlan } from "./case-plan.ts";
import { enqueueWebhook } from "./webhooks.ts";

/** How long a job may hold a fire while it delivers it. */
const LEASE_MS = 2 * 60_000;

interface FireRow {
  id: bigint;
  play_key: string;
  account_id: number | null;
  subject: string;
  local_date: Date;
  trigger: { kind: string; summary?: string } & Record<string, unknown>;
  status: string;
  previous_attempt: Date | null;
}

export interface DeliverySummary {
  fires: number;
  messages: number;
  casesOpened: number;
  webhooks: number;
  summaries: number;
}

/** A message for Slack, and the fires it tells of. */
interface Outgoing extends PlannedMessage {
  fireId: bigint;
}

export async function deliverFires(
  prisma: PrismaClient,
  workspaceId: number,
  slack: CaseSlack | null,
  today: Day,
  now: Date = new Date(),
): Promise<DeliverySummary> {
  const summary: DeliverySummary = { fires: 0, messages: 0, casesOpened: 0, webhooks: 0, summaries: 0 };
  const workspace = await prisma.workspace.findUniqueOrThrow({ where: { id: workspaceId } });
  const settings = readSettings(workspace.settings);
  const { playbook } = await activePlaybook(prisma, workspaceId);
  // Without Slack, fires wait (a webhook too: the fire is delivered whole, once Slack is there).
  if (!slack) return summary;
  const fires = await claimFires(prisma, workspaceId, now);
  if (fires.length > 0) {
    const plays = new Map(playbook.plays.map((p) => [p.key, p]));
    const cases = new Map(casePlays(playbook).map((p) => [p.key, p]));
    const model = (await findActiveModel(prisma, workspaceId))?.model ?? DEFAULT_MODEL;
    const accounts = await readAccounts(prisma, workspaceId, fires, model);
    const outgoing: Outgoing[] = [];
    const outcomes = new Map<bigint, { kind: string; ok: boolean; detail?: string }[]>();
    for (const fire of fires) {
      const play = plays.get(fire.play_key);
      const account = fire.account_id === null ? null : accounts.get(fire.account_id);
      const results: { kind: string; ok: boolean; detail?: string }[] = [];
      outcomes.set(fire.id, results);
      if (!play || (fire.account_id !== null && !account)) {
        results.push({ kind: "none", ok: false, detail: "the play or the account is gone" });
        continue;
      }
      for (const action of play.actions) {
        const kind = actionKind(action);
        const result = await planAction(prisma, workspaceId, {
          action,
          play,
          casePlay: cases.get(play.key) ?? null,
          fire,
          account: account ?? null,
          settings,
          today,
          outgoing,
          summary,
        });
        results.push({ kind, ...result });
      }
    }
    const refused = await sendMessages(
      prisma,
      workspaceId,
      slack,
      mergeGroups(outgoing),
      fires,
      summary,
      now,
    );
    for (const fire of fires) {
      const error = refused.get(fire.id) ?? null;
      await prisma.playFire.update({
        where: { id: fire.id },
        data: {
          status: error ? "failed" : "delivered",
          error,
          deliveredAt: now,
          attemptAt: null,
          outcome: outcomes.get(fire.id) as unknown as Prisma.InputJsonValue,
        },
      });
      summary.fires++;
    }
  }
  summary.summaries = await postCapSummaries(prisma, workspaceId, slack, playbook, settings, today, now);
  // The cases edge plays opened get their threads now, not at the next run.
  if (summary.casesOpened > 0)
    await deliverPending(
      prisma,
      workspaceId,
      slack,
      settings,
      today,
      now,
      await loadCasePlan(prisma, workspaceId),
    );
  return summary;
}

/** The fires one pass claims, and the other due fires of their accounts with them. */
const CLAIM_BATCH = 500;

/**
 * Claims the fires due now: planned, or held and past their quiet hours; not leased by another job.
 * The first CLAIM_BATCH by id, and every other due fire of the same accounts, so an account's fires
 * of several plays are merged into one message however many fires the day has (its fires are a
 * play apart in id order: 10,000 on a busy day).
 */
async function claimFires(prisma: PrismaClient, workspaceId: number, now: Date): Promise<FireRow[]> {
  const dueNow = `workspace_id = $1
         AND (status = 'planned' OR (status = 'held' AND held_until <= $2))
         AND (attempt_at IS NULL OR attempt_at < $3)`;
  const rows = await prisma.$queryRawUnsafe<FireRow[]>(
    `WITH first AS (
       SELECT id, account_id FROM play_fires WHERE ${dueNow} ORDER BY id LIMIT ${CLAIM_BATCH}),
     due AS (
       SELECT id, attempt_at AS previous_attempt FROM play_fires
       WHERE ${dueNow}
         AND (id IN (SELECT id FROM first)
              OR account_id IN (SELECT account_id FROM first WHERE account_id IS NOT NULL))
       FOR UPDATE SKIP LOCKED)
     UPDATE play_fires f SET attempt_at = $2 FROM due WHERE f.id = due.id
     RETURNING f.id, f.play_key, f.account_id, f.subject, f.local_date, f.trigger, f.status, due.previous_attempt`,
    workspaceId,
    now,
    new Date(now.getTime() - LEASE_MS),
  );
  // In the order they were decided (RETURNING's is the join's).
  return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The fires' accounts (active ones: a fire for an account that churned since is not delivered). */
async function readAccounts(
  prisma: PrismaClient,
  workspaceId: number,
  fires: readonly FireRow[],
  model: ScoringModel,
): Promise<Map<number, FireAccount>> {
  const ids = [...new Set(fires.flatMap((f) => (f.account_id === null ? [] : [f.account_id])))];
  const accounts = await readPlayAccounts(prismaRead(prisma), workspaceId, { ids }, model);
  const moves = await prisma.$queryRawUnsafe<{ account_id: number; drivers: Driver[] }[]>(
    `SELECT DISTINCT ON (account_id) account_id, drivers FROM band_changes
     WHERE workspace_id = $1 AND account_id = ANY($2::int[]) ORDER BY account_id, as_of DESC`,
    workspaceId,
    ids,
  );
  const drivers = new Map(moves.map((m) => [m.account_id, plainDrivers(m.drivers)]));
  return new Map(accounts.map((a) => [a.id, { ...a, drivers: drivers.get(a.id) ?? null }]));
}

type FireAccount = PlayAccount & { drivers: string | null };

/** "usage −12, nps −5": the three largest moves of the account's last band change, as plain text. */
function plainDrivers(drivers: readonly Driver[] | null): string | null {
  const shown = (drivers ?? []).filter((d) => Math.abs(d.delta) >= 0.5).slice(0, 3);
  if (shown.length === 0) return null;
  return shown.map((d) => `${d.key} ${d.delta > 0 ? "+" : "−"}${Math.abs(Math.round(d.delta))}`).join(", ");
}

/** A template filled for one account and fire: every value escaped, the owner a mention when matched. */
function fill(text: string, account: FireAccount | null, play: Play, fire: FireRow): string {
  const trigger = fire.trigger.summary ?? fire.trigger.kind;
  if (!account) {
    const none = Object.fromEntries(TEMPLATE_FIELDS.map((f) => [f, null])) as TemplateValues;
    return fillTemplate(text, { ...none, trigger, play: playLabel(play) }, esc);
  }
  const owner = account.ownerSlackUserId
    ? mentionUser(account.ownerSlackUserId)
    : account.owner
      ? esc(account.owner)
      : null;
  return fillTemplate(
    text,
    accountTemplateValues(account, { play: playLabel(play), trigger, drivers: account.drivers, owner }),
    esc,
  );
}

interface ActionContext {
  action: Play["actions"][number];
  play: Play;
  casePlay: CasePlay | null;
  fire: FireRow;
  account: FireAccount | null;
  settings: WorkspaceSettings;
  today: Day;
  outgoing: Outgoing[];
  summary: DeliverySummary;
}

async function planAction(
  prisma: PrismaClient,
  workspaceId: number,
  c: ActionContext,
): Promise<{ ok: boolean; detail?: string }> {
  const { action, play, fire, account } = c;
  const base = { accountId: fire.account_id, playKey: play.key, playLabel: playLabel(play), fireId: fire.id };
  if ("post" in action) {
    const channel = channelOfRef(action.post.channel, c.settings);
    if (!channel) return { ok: false, detail: `${action.post.channel} is not set` };
    c.outgoing.push({
      ...base,
      destination: { kind: "channel", channel },
      text: fill(action.post.text, account, play, fire),
    });
    return { ok: true, detail: channel };
  }
  if ("dm_owner" in action) {
    const user = account?.ownerSlackUserId;
    if (!user) return { ok: false, detail: "the account's owner is not matched to a Slack user" };
    c.outgoing.push({
      ...base,
      destination: { kind: "dm", user },
      text: fill(action.dm_owner.text, account, play, fire),
    });
    return { ok: true, detail: user };
  }
  if ("reply_in_case" in action) {
    const open = await openCase(prisma, workspaceId, fire.account_id);
    if (!open) return { ok: false, detail: "no open case" };
    c.outgoing.push({
      ...base,
      destination: { kind: "case", caseId: String(open.id) },
      text: fill(action.reply_in_case.text, account, play, fire),
    });
    return { ok: true, detail: `case ${open.id}` };
  }
  if ("webhook" in action) {
    await enqueueWebhook(prisma, workspaceId, {
      playFireId: fire.id,
      url: action.webhook.url,
      payload: webhookPayload(play, fire, account),
    });
    c.summary.webhooks++;
    return { ok: true, detail: new URL(action.webhook.url).host };
  }
  if ("open_case" in action && c.casePlay && !c.casePlay.level && fire.account_id !== null) {
    // An edge play: the fire opens the account's case, or tells the one already open.
    const open = await openCase(prisma, workspaceId, fire.account_id);
    if (open) {
      const text = `:rotating_light: *${esc(playLabel(play))}*: ${esc(fire.trigger.summary ?? fire.trigger.kind)}`;
      c.outgoing.push({ ...base, destination: { kind: "case", caseId: String(open.id) }, text });
      return { ok: true, detail: `case ${open.id} told` };
    }
    const opened = await openEdgeCase(prisma, workspaceId, fire.account_id, c.casePlay, c.today);
    if (opened) c.summary.casesOpened++;
    return { ok: true, detail: opened ? `case ${opened} opened` : "a case was opened meanwhile" };
  }
  // open_case of a level play (the case machinery keeps it), escalate and digest: nothing to deliver.
  return { ok: true };
}

async function openCase(prisma: PrismaClient, workspaceId: number, accountId: number | null) {
  if (accountId === null) return null;
  return prisma.followUp.findFirst({
    where: { workspaceId, accountId, status: { in: ["open", "snoozed"] } },
    select: { id: true, channelId: true, threadTs: true },
  });
}

/** Opens an edge play's case (its thread is posted with the other cases' by deliverPending). */
async function openEdgeCase(
  prisma: PrismaClient,
  workspaceId: number,
  accountId: number,
  play: CasePlay,
  today: Day,
): Promise<bigint | null> {
  return prisma.$transaction(async (tx) => {
    const tasks = play.tasks.map((text) => ({ text, done_by: null, done_at: null }));
    const rows = await tx.$queryRawUnsafe<{ id: bigint; account_id: number }[]>(
      `INSERT INTO follow_ups (workspace_id, account_id, opened_score, last_score, last_band, play_key, tasks)
       SELECT workspace_id, id, current_score, current_score, current_band, $3, $4::jsonb
       FROM accounts WHERE workspace_id = $1 AND id = $2
       ON CONFLICT (workspace_id, account_id) WHERE status <> 'resolved' DO NOTHING
       RETURNING id, account_id`,
      workspaceId,
      accountId,
      play.key,
      JSON.stringify(tasks),
    );
    await assignAtOpening(tx as PrismaClient, workspaceId, play, rows, today);
    return rows[0]?.id ?? null;
  });
}

/** The webhook's JSON: the play, the trigger's facts, the account (revenue included: not a channel). */
function webhookPayload(play: Play, fire: FireRow, account: PlayAccount | null): Record<string, unknown> {
  return {
    type: "play.fired",
    fire_id: String(fire.id),
    play: { key: play.key, label: playLabel(play) },
    day: formatDay(dateToDay(fire.local_date)),
    trigger: fire.trigger,
    subject: fire.subject,
    account: account && {
      account_id: account.externalId,
      name: account.name,
      segment: account.segment,
      owner: account.owner,
      mrr: account.mrr,
      renewal_date: account.renewalDate === null ? null : formatDay(account.renewalDate),
      band: account.band,
      score: account.score,
    },
  };
}

/** Merged messages with the fires each tells of (the first fire names the message's metadata). */
function mergeGroups(outgoing: Outgoing[]): { message: MergedMessage; fireIds: bigint[] }[] {
  const merged = mergeByAccount(outgoing);
  return merged.map((message) => {
    const same = outgoing.filter(
      (o) =>
        o.accountId === message.accountId &&
        JSON.stringify(o.destination) === JSON.stringify(message.destination) &&
        message.plays.some((p) => p.key === o.playKey),
    );
    return { message, fireIds: [...new Set(same.map((o) => o.fireId))].sort((a, b) => (a < b ? -1 : 1)) };
  });
}

const playMessageMetadata = (fireId: bigint, destination: string): PostMetadata => ({
  event_type: "css_play",
  event_payload: { fire_id: String(fireId), to: destination },
});

/**
 * Sends the merged messages. Returns the fires whose message Slack refused for good (an unknown or
 * archived channel, a deactivated user): those fail with the reason, audit-logged, and the others go
 * on, so one play's bad channel never holds back the rest of the notifications. A rate limit or an
 * outage is thrown: the job waits or retries, and the fires are claimed again.
 */
async function sendMessages(
  prisma: PrismaClient,
  workspaceId: number,
  slack: CaseSlack,
  groups: ReturnType<typeof mergeGroups>,
  fires: readonly FireRow[],
  summary: DeliverySummary,
  now: Date,
): Promise<Map<bigint, string>> {
  const refused = new Map<bigint, string>();
  const previous = new Map(fires.map((f) => [f.id, f.previous_attempt]));
  for (const { message, fireIds } of groups) {
    const body = caseReply(message.text);
    const d = message.destination;
    // The try is the claim itself (attempt_at); an earlier claim's try is looked for first.
    const tried = fireIds.map((id) => previous.get(id)).filter((t): t is Date => t instanceof Date);
    const attempt: PostAttempt = {
      at: tried.length > 0 ? new Date(Math.min(...tried.map((t) => t.getTime()))) : null,
      begin: () => Promise.resolve(),
      forget: () => Promise.resolve(),
    };
    try {
      if (d.kind === "dm") {
        await slack.sendDm(d.user, body);
      } else if (d.kind === "channel") {
        await postOnce(
          slack,
          { channel: d.channel, ...body },
          playMessageMetadata(fireIds[0]!, d.channel),
          attempt,
          now,
        );
      } else {
        const c = await prisma.followUp.findUnique({ where: { id: BigInt(d.caseId) } });
        if (!c?.channelId || !c.threadTs) continue; // no thread yet: its parent will tell the account's state
        const args = { channel: c.channelId, thread_ts: c.threadTs, ...body };
        await postOnce(slack, args, playMessageMetadata(fireIds[0]!, `case:${d.caseId}`), attempt, now);
      }
      summary.messages++;
    } catch (error) {
      if (error instanceof SlackPermanentError) {
        for (const id of fireIds) refused.set(id, error.message);
        await audit(prisma, workspaceId, {
          actor: "css-bot",
          action: "slack.delivery_failed",
          target: `play:${message.plays.map((p) => p.key).join(",")}`,
          details: { method: error.method, error: error.slackError, channel: error.channel ?? null },
        });
        continue;
      }
      // Never sent: the fires may be claimed again at once; an unknown outcome: after the lease, and
      // the message is looked for before it is sent again.
      await prisma.playFire.updateMany({
        where: { id: { in: fireIds } },
        data: { attemptAt: deliveryUnknown(error) ? now : null },
      });
      throw error;
    }
  }
  return refused;
}

/**
 * Once a day per play whose cap held fires back: one message naming them, in the play's post channel
 * or the alert channel. Claimed by a row of its own (subject "summary"), so it is posted once.
 */
async function postCapSummaries(
  prisma: PrismaClient,
  workspaceId: number,
  slack: CaseSlack,
  playbook: Playbook,
  settings: WorkspaceSettings,
  today: Day,
  now: Date,
): Promise<number> {
  // Each play's capped accounts of the day are in one row (fire-plays.ts), named highest MRR first.
  const capped = await prisma.$queryRawUnsafe<{ play_key: string; name: string }[]>(
    `SELECT f.play_key, a.name
     FROM play_fires f
     CROSS JOIN LATERAL jsonb_array_elements_text(f.trigger->'accounts') AS c(account_id)
     JOIN accounts a ON a.id = c.account_id::int AND a.workspace_id = f.workspace_id
     WHERE f.workspace_id = $1 AND f.local_date = $2::date AND f.subject = 'capped'
     ORDER BY f.play_key, a.mrr DESC NULLS LAST, a.id`,
    workspaceId,
    formatDay(today),
  );
  let posted = 0;
  const quiet = quietUntil(now, settings.timezone, playbook.quiet_hours) !== null;
  for (const play of playbook.plays) {
    const names = capped.filter((c) => c.play_key === play.key).map((c) => ({ name: c.name }));
    if (names.length === 0 || play.max_per_day === undefined) continue;
    if (quiet && play.respect_quiet_hours) continue;
    const post = play.actions.find((a) => "post" in a);
    const channel = channelOfRef(post && "post" in post ? post.post.channel : "alert_channel", settings);
    if (!channel) continue;
    const rows = await prisma.$queryRawUnsafe<{ id: bigint; attempt_at: Date | null; status: string }[]>(
      `INSERT INTO play_fires (workspace_id, play_key, subject, local_date, trigger, status)
       VALUES ($1, $2, 'summary', $3::date, '{"kind":"cap_summary"}'::jsonb, 'planned')
       ON CONFLICT (workspace_id, play_key, subject, local_date) DO UPDATE SET status = play_fires.status
       RETURNING id, attempt_at, status`,
      workspaceId,
      play.key,
      formatDay(today),
    );
    const row = rows[0]!;
    if (row.status === "delivered") continue;
    const text = esc(capSummary(playLabel(play), names, play.max_per_day));
    const attempt: PostAttempt = {
      at: row.attempt_at,
      begin: (at) => prisma.playFire.update({ where: { id: row.id }, data: { attemptAt: at } }),
      forget: () => prisma.playFire.update({ where: { id: row.id }, data: { attemptAt: null } }),
    };
    await postOnce(
      slack,
      { channel, ...caseReply(`:mute: ${text}`) },
      playMessageMetadata(row.id, channel),
      attempt,
      now,
    );
    await prisma.playFire.update({
      where: { id: row.id },
      data: { status: "delivered", deliveredAt: now, attemptAt: null },
    });
    posted++;
  }
  return posted;
}
