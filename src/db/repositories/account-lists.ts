// Lists of accounts for `/css at-risk`, `/css mine` and `/css movers`, from the current scores kept
// on the accounts (no history scan), each scoped by workspace and bounded.
import { dateToDay, formatDay, type Day } from "../../domain/dates.ts";
import type { Db } from "../handle.ts";

export interface ListedAccount {
  id: number;
  externalId: string;
  name: string;
  segment: string | null;
  score: number | null;
  band: string | null;
  ownerSlackUserId: string | null;
  owner: string | null;
  mrr: number | null;
  renewalDate: Day | null;
  /** The open follow-up's owner, when a case is open. */
  followUpOwner: string | null;
  /** Movers: the score a week before the current one. */
  weekAgoScore?: number | null;
}

interface Row {
  id: number;
  external_id: string;
  name: string;
  segment: string | null;
  current_score: number | null;
  current_band: string | null;
  owner_slack_user_id: string | null;
  owner: string | null;
  mrr: string | null;
  renewal_date: Date | null;
  follow_up_owner: string | null;
  week_ago_score?: number | null;
}

const COLUMNS = `a.id, a.external_id, a.name, a.segment, a.current_score, a.current_band, a.owner_slack_user_id,
  a.owner, a.mrr::text AS mrr, a.renewal_date,
  (SELECT f.owner_slack_user_id FROM follow_ups f
   WHERE f.account_id = a.id AND f.workspace_id = a.workspace_id AND f.status IN ('open', 'snoozed')
   ORDER BY f.opened_at DESC LIMIT 1) AS follow_up_owner`;

const fromRow = (r: Row): ListedAccount => ({
  id: r.id,
  externalId: r.external_id,
  name: r.name,
  segment: r.segment,
  score: r.current_score,
  band: r.current_band,
  ownerSlackUserId: r.owner_slack_user_id,
  owner: r.owner,
  mrr: r.mrr === null ? null : Number(r.mrr),
  renewalDate: r.renewal_date ? dateToDay(r.renewal_date) : null,
  followUpOwner: r.follow_up_owner,
  ...(r.week_ago_score !== undefined ? { weekAgoScore: r.week_ago_score } : {}),
});

/** Active accounts in any of `bands`, lowest score first; optionally of one segment (any case). */
export async function accountsInBands(
  db: Db,
  workspaceId: number,
  bands: readonly string[],
  options: { segment?: string | null; limit: number },
): Promise<{ accounts: ListedAccount[]; total: number }> {
  const rows = await db.$queryRawUnsafe<(Row & { total: number })[]>(
    `SELECT ${COLUMNS}, (count(*) OVER ())::int AS total FROM accounts a
     WHERE a.workspace_id = $1 AND a.status = 'active' AND a.current_band = ANY($2::text[])
       AND ($3::text IS NULL OR lower(a.segment) = lower($3))
     ORDER BY a.current_score ASC NULLS LAST, a.name LIMIT $4`,
    workspaceId,
    bands,
    options.segment ?? null,
    options.limit,
  );
  return { accounts: rows.map(fromRow), total: rows[0]?.total ?? 0 };
}

/** Active accounts in any of `bands` renewing between `from` and `to` (inclusive), soonest first. */
export async function renewalsInBands(
  db: Db,
  workspaceId: number,
  bands: readonly string[],
  window: { from: Day; to: Day; limit: number },
): Promise<ListedAccount[]> {
  const rows = await db.$queryRawUnsafe<Row[]>(
    `SELECT ${COLUMNS} FROM accounts a
     WHERE a.workspace_id = $1 AND a.status = 'active' AND a.current_band = ANY($2::text[])
       AND a.renewal_date BETWEEN $3::date AND $4::date
     ORDER BY a.renewal_date, a.name LIMIT $5`,
    workspaceId,
    bands,
    formatDay(window.from),
    formatDay(window.to),
    window.limit,
  );
  return rows.map(fromRow);
}

/** The active accounts a Slack user owns, lowest score first. */
export async function accountsOwnedBy(
  db: Db,
  workspaceId: number,
  slackUserId: string,
  limit: number,
): Promise<{ accounts: ListedAccount[]; total: number }> {
  const rows = await db.$queryRawUnsafe<(Row & { total: number })[]>(
    `SELECT ${COLUMNS}, (count(*) OVER ())::int AS total FROM accounts a
     WHERE a.workspace_id = $1 AND a.status = 'active' AND a.owner_slack_user_id = $2
     ORDER BY a.current_score ASC NULLS LAST, a.name LIMIT $3`,
    workspaceId,
    slackUserId,
    limit,
  );
  return { accounts: rows.map(fromRow), total: rows[0]?.total ?? 0 };
}

/**
 * The biggest moves of the week: each active account's current score against its snapshot of
 * seven days before (or the latest before that), largest falls and largest rises.
 */
export async function weeklyMovers(
  db: Db,
  workspaceId: number,
  limit: number,
): Promise<{ down: ListedAccount[]; up: ListedAccount[] }> {
  const rows = await db.$queryRawUnsafe<Row[]>(
    `WITH moves AS (
       SELECT ${COLUMNS}, w.score AS week_ago_score, a.current_score - w.score AS delta
       FROM accounts a
       CROSS JOIN LATERAL (
         SELECT s.score FROM score_snapshots s
         WHERE s.account_id = a.id AND s.workspace_id = a.workspace_id AND s.as_of <= a.scored_as_of - 7
         ORDER BY s.as_of DESC LIMIT 1) w
       WHERE a.workspace_id = $1 AND a.status = 'active' AND a.current_score IS NOT NULL AND w.score IS NOT NULL
     )
     (SELECT * FROM moves WHERE delta < 0 ORDER BY delta ASC, name LIMIT $2)
     UNION ALL
     (SELECT * FROM moves WHERE delta > 0 ORDER BY delta DESC, name LIMIT $2)`,
    workspaceId,
    limit,
  );
  const all = rows.map(fromRow);
  return {
    down: all.filter((a) => (a.score ?? 0) < (a.weekAgoScore ?? 0)),
    up: all.filter((a) => (a.score ?? 0) > (a.weekAgoScore ?? 0)),
  };
}
