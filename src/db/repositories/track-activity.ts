// Product usage from the track webhook: activity rows (account, day, user, event), and the usage
// metrics counted from them in SQL. Days cross as integers (days since 1970-01-01) both ways.
import { formatDay, type Day } from "../../domain/dates.ts";
import type { Db } from "../handle.ts";
import type { ObservationRow } from "./observations.ts";

export interface ActivityRow {
  accountId: number;
  day: Day;
  userId: string;
  event: string;
}

/**
 * Serialises writers of the same accounts until the transaction ends: each recount must see the
 * other's rows, or the later upsert would overwrite a count with one that misses them. Taken in
 * id order, so two batches never wait for each other in a circle.
 */
export async function lockTrackAccounts(db: Db, accountIds: readonly number[]): Promise<void> {
  if (accountIds.length === 0) return;
  await db.$queryRawUnsafe(
    `SELECT count(pg_advisory_xact_lock(hashtext('css-track'), a))::int AS locked
     FROM (SELECT DISTINCT unnest($1::int[]) AS a ORDER BY 1) ids`,
    [...accountIds],
  );
}

/** Inserts the rows not stored yet; returns the (account, day) pairs that gained a row. */
export async function insertTrackActivity(
  db: Db,
  workspaceId: number,
  rows: readonly ActivityRow[],
): Promise<{ accountId: number; day: Day }[]> {
  if (rows.length === 0) return [];
  const payload = rows.map((r) => ({ a: r.accountId, d: formatDay(r.day), u: r.userId, e: r.event }));
  const inserted = await db.$queryRawUnsafe<{ account_id: number; day: number }[]>(
    `WITH new AS (
       INSERT INTO track_activity (workspace_id, account_id, day, user_id, event)
       SELECT DISTINCT $1::int, x.a, x.d, x.u, x.e FROM jsonb_to_recordset($2::jsonb) AS x(a int, d date, u text, e text)
       ORDER BY 2, 3, 4, 5
       ON CONFLICT DO NOTHING
       RETURNING account_id, day)
     SELECT DISTINCT account_id, (day - date '1970-01-01')::int AS day FROM new`,
    workspaceId,
    JSON.stringify(payload),
  );
  return inserted.map((r) => ({ accountId: r.account_id, day: r.day }));
}

/**
 * The usage metrics of the days a change in activity on `touched` (account, day) can move: the day
 * itself for daily_active_users, and the 7 days from it for the weekly counts (each the 7 days
 * ending on its day). Feature adoption is kept to the `maxFeatures` events with the most users of
 * each account and day. Ordered by key, as the upsert wants.
 */
export async function countUsageMetrics(
  db: Db,
  workspaceId: number,
  touched: readonly { accountId: number; day: Day }[],
  maxFeatures: number,
): Promise<ObservationRow[]> {
  if (touched.length === 0) return [];
  const payload = touched.map((t) => ({ a: t.accountId, d: formatDay(t.day) }));
  const rows = await db.$queryRawUnsafe<{ account_id: number; metric: string; day: number; value: number }[]>(
    `WITH touched AS (
       SELECT DISTINCT x.a AS account_id, x.d AS day FROM jsonb_to_recordset($2::jsonb) AS x(a int, d date)
     ), ends AS (
       SELECT DISTINCT t.account_id, t.day + k AS day FROM touched t CROSS JOIN generate_series(0, 6) AS k
     ), week AS (
       SELECT e.account_id, e.day, a.user_id, a.event
       FROM ends e JOIN track_activity a
         ON a.workspace_id = $1 AND a.account_id = e.account_id AND a.day > e.day - 7 AND a.day <= e.day
     ), daily AS (
       SELECT a.account_id, a.day, count(DISTINCT a.user_id) AS users
       FROM touched t JOIN track_activity a
         ON a.workspace_id = $1 AND a.account_id = t.account_id AND a.day = t.day
       GROUP BY a.account_id, a.day
     ), weekly AS (
       SELECT account_id, day, count(DISTINCT user_id) AS users FROM week GROUP BY account_id, day
     ), features AS (
       SELECT account_id, day, event, count(DISTINCT user_id) AS users,
              row_number() OVER (PARTITION BY account_id, day ORDER BY count(DISTINCT user_id) DESC, event) AS rank
       FROM week GROUP BY account_id, day, event
     ), metrics AS (
       SELECT account_id, 'daily_active_users' AS metric, day, users::float8 AS value FROM daily
       UNION ALL
       SELECT account_id, 'weekly_active_users', day, users::float8 FROM weekly
       UNION ALL
       SELECT w.account_id, 'weekly_active_ratio', w.day, w.users::float8 / ac.seats
       FROM weekly w JOIN accounts ac ON ac.id = w.account_id WHERE ac.seats > 0
       UNION ALL
       SELECT account_id, 'feature_users:' || event, day, users::float8 FROM features WHERE rank <= $3
     )
     SELECT account_id, metric, (day - date '1970-01-01')::int AS day, value FROM metrics
     ORDER BY account_id, metric, day`,
    workspaceId,
    JSON.stringify(payload),
    maxFeatures,
  );
  return rows.map((r) => ({ accountId: r.account_id, metric: r.metric, observedOn: r.day, value: r.value }));
}
