// What the plays of a run are evaluated on (domain/plays/facts.ts), read from the database for the
// accounts a run may have made news of: the candidates play-candidates.ts chose per trigger (a
// superset of those it fires for); the pure trigger then decides, so the live run and `plays test`
// share one definition.
import { formatDay, type Day } from "../../domain/dates.ts";
import type { SqlRead } from "../../db/handle.ts";
import {
  CATCH_UP_DAYS,
  type AnswerArrival,
  type ComponentState,
  type PlayDay,
  type SurveyAnswer,
} from "../../domain/plays/facts.ts";
import type { SurveyKind } from "../../domain/records.ts";

type Components = { key: string; raw: number | null; score: number | null }[] | null;

/** An account's snapshot of the day and the one before it (null fields: none before). */
interface DayRow {
  account_id: number;
  components: Components;
  /** A Day, as the SQL gives it. */
  previous_as_of: number | null;
  previous_score: number | null;
  previous_band: string | null;
  previous_components: Components;
  score: number | null;
}

/**
 * Each account's day as of `day`: its snapshot and the one before, the day's band change, the last
 * observation of each of `metrics`, and the answers since the snapshot before. Four parts are
 * read only for the accounts whose triggers look at them: the scores of the `scoreDays` before for
 * `scoresOf` (score_drop; the others get the day's and the one before's), the components for
 * `componentsOf` (component; the others get none), the last observations for `observedOf`
 * (no_data; the others have none) and the answers for `answersOf` (survey_answer; the others have
 * none). Reading all of them for each of 10,353 candidates took 3.9 s, 0.5-1 s this way
 * (BENCHMARKS.md, Plays). Read through the driver (`db.sql.query`): Prisma's raw queries convert the
 * tens of thousands of rows twice.
 */
export async function readPlayDays(
  read: SqlRead,
  workspaceId: number,
  accountIds: readonly number[],
  day: Day,
  options: {
    scoreDays: number;
    metrics: readonly string[];
    scoresOf: ReadonlySet<number>;
    componentsOf: ReadonlySet<number>;
    /** The accounts whose last observations of `metrics` are read (no_data; the others get none). */
    observedOf: ReadonlySet<number>;
    /** The accounts whose survey answers are read (survey_answer; the others have none). */
    answersOf: ReadonlySet<number>;
    /** Which answers are news: those that arrived in this window, given a week back at most. */
    arrived: AnswerArrival;
  },
): Promise<Map<number, PlayDay>> {
  const out = new Map<number, PlayDay>();
  if (accountIds.length === 0) return out;
  const ids = [...accountIds];
  const asOf = formatDay(day);
  // Five independent reads, at once on the pool's connections (the longest, the score histories,
  // sets the time rather than their sum).
  const [rows, history, changes, lastObserved, answers] = await Promise.all([
    read<DayRow>(
      `SELECT s.account_id, s.score, CASE WHEN s.account_id = ANY($4::int[]) THEN s.components END AS components,
              p.as_of - DATE '1970-01-01' AS previous_as_of, p.score AS previous_score, p.band AS previous_band,
              CASE WHEN s.account_id = ANY($4::int[]) THEN p.components END AS previous_components
       FROM score_snapshots s
       LEFT JOIN LATERAL (SELECT p.as_of, p.score, p.band, p.components FROM score_snapshots p
                          WHERE p.account_id = s.account_id AND p.as_of < $3::date
                          ORDER BY p.as_of DESC LIMIT 1) p ON true
       WHERE s.workspace_id = $1 AND s.account_id = ANY($2::int[]) AND s.as_of = $3::date`,
      [workspaceId, ids, asOf, [...options.componentsOf]],
    ),
    readScores(read, workspaceId, [...options.scoresOf], day, options.scoreDays),
    read<{
      account_id: number;
      from_band: string | null;
      to_band: string;
      from_score: number | null;
      to_score: number | null;
    }>(
      `SELECT account_id, from_band, to_band, from_score, to_score FROM band_changes
       WHERE workspace_id = $1 AND account_id = ANY($2::int[]) AND as_of = $3::date`,
      [workspaceId, ids, asOf],
    ),
    readLastObserved(read, workspaceId, [...options.observedOf], day, options.metrics),
    options.answersOf.size === 0
      ? []
      : readAnswers(read, workspaceId, [...options.answersOf], day, day, options.arrived),
  ]);
  const changeOf = new Map(changes.map((c) => [c.account_id, c]));
  for (const row of rows) {
    const id = row.account_id;
    const previousDay = row.previous_as_of;
    const change = changeOf.get(id);
    const today = { day, score: row.score };
    // The days of the window before the day; without one, the snapshot before (older than the window).
    const scores =
      history.get(id)?.concat(today) ??
      (previousDay === null ? [today] : [{ day: previousDay, score: row.previous_score }, today]);
    out.set(id, {
      day,
      previousDay,
      bandChange: change ? toBandChange(change) : null,
      previousBand: row.previous_band,
      scores,
      components: toComponents(row.components),
      previousComponents: previousDay === null ? null : toComponents(row.previous_components),
      lastObserved: lastObserved.get(id) ?? Object.fromEntries(options.metrics.map((m) => [m, null])),
      answers: [],
    });
  }
  for (const a of answers) out.get(a.accountId)?.answers.push(a);
  return out;
}

/**
 * The scores of each account on the days of the window before `day` (within_days + 2 of them: the
 * day's window and that of the evaluation before, a day earlier). An account with none there has its
 * snapshot before, older, as readPlayDays reads it: the one the triggers compare with.
 */
async function readScores(
  read: SqlRead,
  workspaceId: number,
  ids: number[],
  day: Day,
  scoreDays: number,
): Promise<Map<number, { day: Day; score: number | null }[]>> {
  const out = new Map<number, { day: Day; score: number | null }[]>();
  if (ids.length === 0) return out;
  // Each account's days by its key (a probe of a few rows each). As a plain filter, the planner
  // read every snapshot of the window's days when they were most of the table (a short history:
  // 1 s for 5,000 accounts instead of 0.06 s); the LIMIT (never reached: a snapshot a day) keeps
  // the probes.
  const rows = await read<{ account_id: number; day: number; score: number | null }>(
    `SELECT a.id AS account_id, s.as_of - DATE '1970-01-01' AS day, s.score
     FROM unnest($2::int[]) AS a(id)
     CROSS JOIN LATERAL (SELECT s.as_of, s.score FROM score_snapshots s
                         WHERE s.account_id = a.id AND s.as_of < $3::date AND s.as_of > $3::date - $4::int
                           AND s.workspace_id = $1
                         ORDER BY s.as_of LIMIT $4) s`,
    [workspaceId, ids, formatDay(day), Math.max(scoreDays, 1) + 2],
  );
  for (const r of rows) {
    const list = out.get(r.account_id);
    if (list) list.push({ day: r.day, score: r.score });
    else out.set(r.account_id, [{ day: r.day, score: r.score }]);
  }
  // Oldest first (as each probe reads them; sorted again, as nothing in SQL promises the order).
  for (const list of out.values()) list.sort((a, b) => a.day - b.day);
  return out;
}

/** A snapshot's stored components as the triggers read them. */
export const toComponents = (list: Components): ComponentState[] =>
  (list ?? []).map((c) => ({ key: c.key, raw: c.raw ?? null, score: c.score ?? null }));

/** A band_changes row as a PlayDay's bandChange. */
export const toBandChange = (change: {
  from_band: string | null;
  to_band: string;
  from_score: number | null;
  to_score: number | null;
}): NonNullable<PlayDay["bandChange"]> => ({
  from: change.from_band,
  to: change.to_band,
  fromScore: change.from_score,
  toScore: change.to_score,
});

async function readLastObserved(
  read: SqlRead,
  workspaceId: number,
  ids: number[],
  day: Day,
  metrics: readonly string[],
): Promise<Map<number, Record<string, Day | null>>> {
  const out = new Map<number, Record<string, Day | null>>();
  if (metrics.length === 0) return out;
  // The last observation of each (account, metric) by the observations' key, newest first: one
  // probe each, not every observation of the account's history grouped.
  const rows = await read<{ account_id: number; metric: string; last: number }>(
    `SELECT a.id AS account_id, m.metric, o.observed_on - DATE '1970-01-01' AS last
     FROM unnest($2::int[]) AS a(id) CROSS JOIN unnest($3::text[]) AS m(metric)
     CROSS JOIN LATERAL (SELECT o.observed_on FROM metric_observations o
                         WHERE o.account_id = a.id AND o.metric = m.metric AND o.observed_on <= $4::date
                           AND o.workspace_id = $1
                         ORDER BY o.observed_on DESC LIMIT 1) o`,
    [workspaceId, ids, [...metrics], formatDay(day)],
  );
  for (const id of ids) out.set(id, Object.fromEntries(metrics.map((m) => [m, null])));
  for (const r of rows) out.get(r.account_id)![r.metric] = r.last;
  return out;
}

/**
 * The survey answers of `ids` that a play evaluated on a day from `from` to `to` may see: given from a
 * week before `from` (CATCH_UP_DAYS) to the end of `to`, oldest first; after a run, only those that
 * arrived in `arrived`. `plays test` reads them here too, then keeps each day's with answerIsNew.
 */
export async function readAnswers(
  read: SqlRead,
  workspaceId: number,
  ids: readonly number[],
  from: Day,
  to: Day,
  arrived?: AnswerArrival,
): Promise<(SurveyAnswer & { accountId: number })[]> {
  const rows = await read<{
    id: string;
    account_id: number;
    survey: SurveyKind;
    score: number;
    comment: string | null;
    /** A Day (UTC), as the SQL gives it. */
    responded_day: number;
  }>(
    // Each account's answers by its key (OFFSET 0 keeps the probes: as a filter on every answer
    // stored, the planner scanned them all, which grows with the years).
    `SELECT r.id::text AS id, a.id AS account_id, r.survey::text AS survey, r.score, r.comment,
            (r.responded_at AT TIME ZONE 'UTC')::date - DATE '1970-01-01' AS responded_day
     FROM unnest($2::int[]) AS a(id)
     CROSS JOIN LATERAL (SELECT r.id, r.survey, r.score, r.comment, r.responded_at FROM survey_responses r
                         WHERE r.account_id = a.id AND r.workspace_id = $1
                           AND r.responded_at >= ($3::date - ${CATCH_UP_DAYS})::timestamptz
                           AND r.responded_at < ($4::date + 1)::timestamptz
                           AND ($5::timestamptz IS NULL OR r.created_at > $5::timestamptz)
                           AND ($6::timestamptz IS NULL OR r.created_at <= $6::timestamptz)
                         OFFSET 0) r
     ORDER BY r.responded_at, r.id`,
    [workspaceId, [...ids], formatDay(from), formatDay(to), arrived?.after ?? null, arrived?.until ?? null],
  );
  return rows.map((r) => ({
    accountId: r.account_id,
    id: r.id,
    survey: r.survey,
    score: r.score,
    comment: r.comment,
    respondedOn: r.responded_day,
  }));
}
