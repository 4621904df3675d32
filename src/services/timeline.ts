// An account's timeline: its band changes, its cases' events, the plays fired for it, its survey
// comments and its notes, newest first, in one list. Each source is one query, scoped by workspace
// and account and cut at the limit (the newest `limit` of each), merged here: no source's table is
// read beyond what the page shows, and no source is joined against another's rows.
import { formatDay, dateToDay } from "../domain/dates.ts";
import { scoreMoveText } from "../domain/scoring/score-move.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";

export const TIMELINE_KINDS = [
  "band_change",
  "case_opened",
  "case_assigned",
  "case_snoozed",
  "case_snooze_ended",
  "case_resolved",
  "case_recovered",
  "case_escalated",
  "task_done",
  "play_fired",
  "survey_comment",
  "note",
] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

export type JsonSafe = string | number | boolean | null | JsonSafe[] | { [key: string]: JsonSafe };

export interface TimelineEntry {
  /** ISO 8601; a band change is dated by the day its score is as of (midnight UTC). */
  at: string;
  kind: TimelineKind;
  /** Plain text for people (the Slack layer escapes it). */
  text: string;
  /** A Slack user id, "css-bot" or "cli"; null when nobody in particular (a survey respondent). */
  actor: string | null;
  details: { [key: string]: JsonSafe };
}

/** The most entries one read returns: a page, not an export. */
export const MAX_TIMELINE_LIMIT = 500;

type AuditedKind =
  "case_assigned" | "case_snoozed" | "case_snooze_ended" | "case_resolved" | "case_escalated" | "task_done";

/** The case events the audit log holds, by action. */
const AUDITED: Record<string, AuditedKind> = {
  "follow_up.assign": "case_assigned",
  "follow_up.snooze": "case_snoozed",
  "follow_up.snooze_end": "case_snooze_ended",
  "follow_up.resolve": "case_resolved",
  "follow_up.escalate": "case_escalated",
  "follow_up.task_done": "task_done",
};

interface Row {
  at: Date;
  entry: Omit<TimelineEntry, "at">;
}

/**
 * The account's newest `limit` entries (before `before`, for the next page), newest first. An
 * account of another workspace, or none, has an empty timeline.
 */
export async function readTimeline(
  prisma: PrismaClient,
  workspaceId: number,
  accountId: number,
  options: { limit: number; before?: Date },
): Promise<TimelineEntry[]> {
  const limit = Math.max(1, Math.min(MAX_TIMELINE_LIMIT, Math.floor(options.limit)));
  // Far in the future rather than a second version of each query without the bound.
  const before = options.before ?? new Date("9999-01-01T00:00:00Z");
  const q = { prisma, workspaceId, accountId, limit, before };
  const sources = await Promise.all([
    bandChanges(q),
    caseRows(q),
    caseActions(q),
    plays(q),
    comments(q),
    notes(q),
  ]);
  // Sorted by time; at one instant, by the order the sources were read (a case opens after its band
  // change). Array.prototype.sort is stable.
  return sources
    .flat()
    .sort((a, b) => b.at.getTime() - a.at.getTime())
    .slice(0, limit)
    .map((r) => ({ at: r.at.toISOString(), ...r.entry }));
}

interface Query {
  prisma: PrismaClient;
  workspaceId: number;
  accountId: number;
  limit: number;
  before: Date;
}

/**
 * A source's newest rows: its statement takes the workspace ($1), the account ($2), the bound
 * `before` ($3) and the limit ($4), then any `extra` parameters.
 */
function newest<T>(q: Query, sql: string, ...extra: unknown[]): Promise<T> {
  return q.prisma.$queryRawUnsafe<T>(sql, q.workspaceId, q.accountId, q.before, q.limit, ...extra);
}

const band = (key: string | null) => (key === null ? "none" : key.replaceAll("_", " "));

async function bandChanges(q: Query): Promise<Row[]> {
  const rows = await newest<
    {
      at: Date;
      from_band: string | null;
      to_band: string;
      from_score: number | null;
      to_score: number | null;
    }[]
  >(
    q,
    `SELECT (as_of::timestamp AT TIME ZONE 'UTC') AS at, from_band, to_band, from_score, to_score
     FROM band_changes
     WHERE workspace_id = $1 AND account_id = $2 AND (as_of::timestamp AT TIME ZONE 'UTC') < $3
     ORDER BY as_of DESC, id DESC LIMIT $4`,
  );
  return rows.map((r) => ({
    at: r.at,
    entry: {
      kind: "band_change",
      text:
        r.from_band === null
          ? `First scored: ${band(r.to_band)}, ${scoreText(r.to_score)}`
          : `Band ${band(r.from_band)} → ${band(r.to_band)}: ${scoreMoveText(r.from_score, r.to_score, "→")}`,
      actor: "css-bot",
      details: {
        asOf: formatDay(dateToDay(r.at)),
        from: r.from_band,
        to: r.to_band,
        fromScore: r.from_score,
        toScore: r.to_score,
      },
    },
  }));
}

const scoreText = (s: number | null) => (s === null ? "no score" : `score ${Math.round(s)}`);

/**
 * What the case rows themselves record: when each opened, when it last recovered, and when it closed
 * on its own (resolved_by null: the account recovered and stayed so). A person's resolve is in the
 * audit log, with who did it.
 */
async function caseRows(q: Query): Promise<Row[]> {
  const rows = await newest<
    { at: Date; kind: string; case_id: string; opened_score: number | null; play_key: string | null }[]
  >(
    q,
    `SELECT e.at, e.kind, f.id::text AS case_id, f.opened_score, f.play_key
     FROM follow_ups f
     CROSS JOIN LATERAL (VALUES ('case_opened', f.opened_at), ('case_recovered', f.recovered_at),
                                ('case_resolved', CASE WHEN f.resolved_by IS NULL THEN f.resolved_at END)) AS e(kind, at)
     WHERE f.workspace_id = $1 AND f.account_id = $2 AND e.at IS NOT NULL AND e.at < $3
     ORDER BY e.at DESC LIMIT $4`,
  );
  return rows.map((r) => {
    const kind = r.kind as "case_opened" | "case_recovered" | "case_resolved";
    const text = {
      case_opened: `Case opened: at risk, ${scoreText(r.opened_score)}`,
      case_recovered: "Case recovered: out of risk",
      case_resolved: "Case closed: the account stayed out of risk",
    }[kind];
    return {
      at: r.at,
      entry: {
        kind,
        text: kind === "case_opened" && r.play_key ? `${text} (play ${r.play_key})` : text,
        actor: "css-bot",
        details: { caseId: r.case_id, ...(kind === "case_opened" ? { playKey: r.play_key } : {}) },
      },
    };
  });
}

/**
 * What people (and the escalation) did to the account's cases, from the audit log: by each case's
 * target ("follow_up:<id>", an index of the log's), back from now and only as far as the account's
 * first case (nothing is done to a case before it opens), so an account without cases reads none.
 */
async function caseActions(q: Query): Promise<Row[]> {
  const rows = await newest<
    { at: Date; action: string; actor: string; case_id: string; details: { [key: string]: JsonSafe } }[]
  >(
    q,
    `SELECT l.at, l.action, l.actor, f.id::text AS case_id, l.details
     FROM audit_log l
     JOIN follow_ups f ON f.workspace_id = l.workspace_id AND l.target = 'follow_up:' || f.id::text
     WHERE l.workspace_id = $1 AND f.account_id = $2 AND l.action = ANY($5::text[]) AND l.at < $3
       AND l.at >= (SELECT min(opened_at) FROM follow_ups WHERE workspace_id = $1 AND account_id = $2)
     ORDER BY l.at DESC, l.id DESC LIMIT $4`,
    Object.keys(AUDITED),
  );
  return rows.map((r) => {
    const kind = AUDITED[r.action]!;
    const d = r.details ?? {};
    const str = (v: JsonSafe | undefined) => (typeof v === "string" ? v : null);
    const text = {
      case_assigned: `Case assigned${str(d.due) ? `, due ${str(d.due)}` : ""}`,
      case_snoozed: `Case snoozed${str(d.until) ? ` until ${str(d.until)}` : ""}${str(d.reason) ? `: ${str(d.reason)}` : ""}`,
      case_snooze_ended: `Snooze ended${str(d.band) ? `: ${band(str(d.band))}` : ""}; the case is open again`,
      case_resolved: "Case resolved",
      case_escalated: "Case escalated: nobody had claimed it",
      task_done: `Task done: ${str(d.task) ?? "a task"}`,
    }[kind];
    return { at: r.at, entry: { kind, text, actor: r.actor, details: { caseId: r.case_id, ...d } } };
  });
}

async function plays(q: Query): Promise<Row[]> {
  const rows = await newest<
    { at: Date; play_key: string; status: string; trigger: { [key: string]: JsonSafe } | null }[]
  >(
    q,
    // The account's own fires, and the days a play's cap held it back: those are in the play's capped
    // row of the day (fire-plays.ts), which keeps each account's trigger.
    `(SELECT id, created_at AS at, play_key, status, trigger
      FROM play_fires
      WHERE workspace_id = $1 AND account_id = $2::int AND created_at < $3
      ORDER BY created_at DESC, id DESC LIMIT $4)
     UNION ALL
     (SELECT id, created_at AS at, play_key, status, trigger->'triggers'->($2::int::text) AS trigger
      FROM play_fires
      WHERE workspace_id = $1 AND status = 'capped' AND account_id IS NULL
        AND trigger->'accounts' @> jsonb_build_array($2::int) AND created_at < $3
      ORDER BY created_at DESC, id DESC LIMIT $4)
     ORDER BY at DESC, id DESC LIMIT $4`,
  );
  return rows.map((r) => {
    const summary = typeof r.trigger?.summary === "string" ? r.trigger.summary : null;
    // A play held for quiet hours or over its daily cap has not acted (yet): the text says so.
    const state = r.status === "delivered" || r.status === "planned" ? "" : ` (${r.status})`;
    return {
      at: r.at,
      entry: {
        kind: "play_fired",
        text: `${summary ? `Play ${r.play_key}: ${summary}` : `Play ${r.play_key} fired`}${state}`,
        actor: "css-bot",
        details: { playKey: r.play_key, status: r.status, trigger: r.trigger },
      },
    };
  });
}

async function comments(q: Query): Promise<Row[]> {
  const rows = await newest<
    { at: Date; survey: string; score: number; comment: string; respondent: string | null }[]
  >(
    q,
    `SELECT responded_at AS at, survey::text AS survey, score, comment, respondent
     FROM survey_responses
     WHERE workspace_id = $1 AND account_id = $2 AND comment IS NOT NULL AND responded_at < $3
     ORDER BY responded_at DESC, id DESC LIMIT $4`,
  );
  return rows.map((r) => ({
    at: r.at,
    entry: {
      kind: "survey_comment",
      text: `${r.survey.toUpperCase()} ${r.score}: “${r.comment}”`,
      // The respondent is an address or a name from the survey tool, not a Slack user.
      actor: null,
      details: { survey: r.survey, score: r.score, comment: r.comment, respondent: r.respondent },
    },
  }));
}

async function notes(q: Query): Promise<Row[]> {
  const rows = await newest<{ at: Date; id: string; author: string; text: string; case_id: string | null }[]>(
    q,
    `SELECT created_at AS at, id::text AS id, author, text, case_id::text AS case_id
     FROM account_notes
     WHERE workspace_id = $1 AND account_id = $2 AND created_at < $3
     ORDER BY created_at DESC, id DESC LIMIT $4`,
  );
  return rows.map((r) => ({
    at: r.at,
    entry: { kind: "note", text: r.text, actor: r.author, details: { noteId: r.id, caseId: r.case_id } },
  }));
}
