// Aggregates metric and survey windows in SQL for a range of accounts: one query per distinct input,
// returning one row per account, instead of loading observations into JavaScript.
import { formatDay, type Day } from "../../domain/dates.ts";
import { emptySurveyCounts, type SurveyCounts } from "../../domain/kpi/surveys.ts";
import type { ComponentInput } from "../../domain/model/schema.ts";
import type { Db } from "../handle.ts";

export interface AccountRange {
  workspaceId: number;
  /** Inclusive bounds of internal account ids. */
  fromId: number;
  toId: number;
}

/** `agg` of one metric over the window, per account that has observations in it. */
export async function aggregateMetric(
  db: Db,
  range: AccountRange,
  input: ComponentInput,
  asOf: Day,
): Promise<Map<number, number>> {
  const windowStart = formatDay(asOf - input.window_days + 1);
  const params = [
    range.workspaceId,
    input.metric!,
    windowStart,
    formatDay(asOf),
    range.fromId,
    range.toId,
  ] as const;
  const where = `workspace_id = $1 AND metric = $2 AND observed_on >= $3::date AND observed_on <= $4::date
                 AND account_id BETWEEN $5 AND $6`;
  const sql =
    input.agg === "last"
      ? `SELECT DISTINCT ON (account_id) account_id AS id, value::float8 AS v FROM metric_observations
         WHERE ${where} ORDER BY account_id, observed_on DESC`
      : `SELECT account_id AS id, ${SQL_AGG[input.agg!]}::float8 AS v FROM metric_observations
         WHERE ${where} GROUP BY account_id`;
  const rows = await db.$queryRawUnsafe<{ id: number; v: number }[]>(sql, ...params);
  return new Map(rows.map((r) => [r.id, r.v]));
}

const SQL_AGG = {
  avg: "avg(value)",
  sum: "sum(value)",
  min: "min(value)",
  max: "max(value)",
  count: "count(*)",
} as const;

/** Survey counts over the window (by the UTC date of each response), per account that has responses. */
export async function aggregateSurvey(
  db: Db,
  range: AccountRange,
  input: ComponentInput,
  asOf: Day,
): Promise<Map<number, SurveyCounts>> {
  const rows = await db.$queryRawUnsafe<(SurveyCounts & { id: number })[]>(
    `SELECT account_id AS id, count(*)::int AS n,
            (count(*) FILTER (WHERE score >= 9))::int AS promoters,
            (count(*) FILTER (WHERE score <= 6))::int AS detractors,
            (count(*) FILTER (WHERE score >= 4))::int AS satisfied,
            sum(score)::float8 AS sum
     FROM survey_responses
     WHERE workspace_id = $1 AND survey = $2::"Survey"
       AND responded_at >= ($3::date)::timestamp AT TIME ZONE 'UTC'
       AND responded_at < ($4::date + 1)::timestamp AT TIME ZONE 'UTC'
       AND account_id BETWEEN $5 AND $6
     GROUP BY account_id`,
    range.workspaceId,
    input.survey!,
    formatDay(asOf - input.window_days + 1),
    formatDay(asOf),
    range.fromId,
    range.toId,
  );
  return new Map(rows.map(({ id, ...counts }) => [id, { ...emptySurveyCounts(), ...counts }]));
}
