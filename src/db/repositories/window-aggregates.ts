// Aggregates metric and survey windows in SQL: one scan of each table per set of accounts, every input
// a conditional aggregate (FILTER) of it, one row per account. Observations are never loaded into
// JavaScript. Metric inputs are aggregated into the accounts' rollups (metric-rollups.ts); survey
// inputs are counted per shard.
import { formatDay, type Day } from "../../domain/dates.ts";
import { emptySurveyCounts, type SurveyCounts } from "../../domain/kpi/surveys.ts";
import type { ComponentInput } from "../../domain/model/schema.ts";
import { inputSignature } from "../../domain/scoring/window-inputs.ts";
import type { SqlClient, SqlRead } from "../handle.ts";

export interface AccountRange {
  workspaceId: number;
  /** Inclusive bounds of internal account ids. */
  fromId: number;
  toId: number;
}

/**
 * Planner settings for the aggregations, for one transaction only (its first statement). Their
 * estimated cost is high enough for PostgreSQL to JIT-compile them, which took about half of each
 * aggregation's time for a query that runs once; and parallel query only competes with the
 * other shards that workers run at the same time, one connection each.
 */
const AGGREGATION_SETTINGS =
  "SELECT set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)";

/** Runs `work` in one transaction through the driver, with the aggregation settings. */
export function aggregationTransaction<T>(sql: SqlClient, work: (read: SqlRead) => Promise<T>): Promise<T> {
  return sql.transaction(async (execute, read) => {
    await execute(AGGREGATION_SETTINGS, []);
    return work(read);
  });
}

/** Per input signature, the counts of each account that has responses in the input's window. */
export type SurveyAggregates = Map<string, Map<number, SurveyCounts>>;

/** The SQL of one aggregate over the rows its FILTER keeps; null over no rows, as in TypeScript. */
const AGGREGATE = {
  avg: (f: string) => `avg(value) FILTER (WHERE ${f})`,
  sum: (f: string) => `sum(value) FILTER (WHERE ${f})`,
  min: (f: string) => `min(value) FILTER (WHERE ${f})`,
  max: (f: string) => `max(value) FILTER (WHERE ${f})`,
  count: (f: string) => `NULLIF(count(*) FILTER (WHERE ${f}), 0)`,
  last: (f: string) => `(array_agg(value ORDER BY observed_on DESC) FILTER (WHERE ${f}))[1]`,
} as const;

/** Parameters in order, and a placeholder for each: values never enter the SQL text. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** The metric inputs among `inputs`, each signature once. */
export function uniqueMetricInputs(inputs: readonly ComponentInput[]): ComponentInput[] {
  return uniqueInputs(inputs.filter((i) => i.metric !== undefined));
}

/**
 * The query aggregating every one of `inputs` (metric inputs, each signature once) as of `asOf` over
 * the observations the `accounts` condition keeps: one row per account that has some, its id as `id`
 * and the value of input n as `v<n>` (null when its window holds no observation). The one definition
 * of the window aggregates in SQL: recomputes and rollups both use it.
 */
export function metricAggregateQuery(
  p: Params,
  inputs: readonly ComponentInput[],
  asOf: Day,
  accounts: string,
): string {
  const end = p.add(formatDay(asOf));
  const earliest = p.add(formatDay(asOf - Math.max(...inputs.map((i) => i.window_days)) + 1));
  const metrics = [...new Set(inputs.map((i) => i.metric!))].map((m) => p.add(m));
  const columns = inputs.map((input, n) => {
    const filter = `metric = ${p.add(input.metric)} AND observed_on >= ${p.add(formatDay(asOf - input.window_days + 1))}::date`;
    return `${AGGREGATE[input.agg!](filter)}::float8 AS v${n}`;
  });
  return `SELECT account_id AS id, ${columns.join(", ")}
     FROM metric_observations
     WHERE ${accounts}
       AND metric IN (${metrics.join(", ")}) AND observed_on >= ${earliest}::date AND observed_on <= ${end}::date
     GROUP BY account_id`;
}

/** Every survey input's counts over one scan of the range's responses (by each response's UTC date). */
export async function aggregateSurveys(
  read: SqlRead,
  range: AccountRange,
  inputs: readonly ComponentInput[],
  asOf: Day,
): Promise<SurveyAggregates> {
  const unique = uniqueInputs(inputs.filter((i) => i.survey !== undefined));
  const result: SurveyAggregates = new Map(
    unique.map((i) => [inputSignature(i), new Map<number, SurveyCounts>()]),
  );
  if (unique.length === 0) return result;
  const p = new Params();
  const ws = p.add(range.workspaceId);
  const from = p.add(range.fromId);
  const to = p.add(range.toId);
  const utcMidnight = (day: Day) => `(${p.add(formatDay(day))}::date)::timestamp AT TIME ZONE 'UTC'`;
  const end = utcMidnight(asOf + 1);
  const earliest = utcMidnight(asOf - Math.max(...unique.map((i) => i.window_days)) + 1);
  const columns = unique.flatMap((input, n) => {
    const f = `survey = ${p.add(input.survey)}::"Survey" AND responded_at >= ${utcMidnight(asOf - input.window_days + 1)}`;
    return [
      `(count(*) FILTER (WHERE ${f}))::int AS n${n}`,
      `(count(*) FILTER (WHERE ${f} AND score >= 9))::int AS p${n}`,
      `(count(*) FILTER (WHERE ${f} AND score <= 6))::int AS d${n}`,
      `(count(*) FILTER (WHERE ${f} AND score >= 4))::int AS s${n}`,
      `(sum(score) FILTER (WHERE ${f}))::float8 AS t${n}`,
    ];
  });
  const rows = await read<Record<string, number | null>>(
    `SELECT account_id AS id, ${columns.join(", ")}
     FROM survey_responses
     WHERE workspace_id = ${ws} AND account_id BETWEEN ${from} AND ${to}
       AND responded_at >= ${earliest} AND responded_at < ${end}
     GROUP BY account_id`,
    p.values,
  );
  unique.forEach((input, n) => {
    const counts = result.get(inputSignature(input))!;
    for (const row of rows) {
      const total = row[`n${n}`] ?? 0;
      if (total === 0) continue;
      counts.set(row.id!, {
        ...emptySurveyCounts(),
        n: total,
        promoters: row[`p${n}`] ?? 0,
        detractors: row[`d${n}`] ?? 0,
        satisfied: row[`s${n}`] ?? 0,
        sum: row[`t${n}`] ?? 0,
      });
    }
  });
  return result;
}

function uniqueInputs(inputs: readonly ComponentInput[]): ComponentInput[] {
  return [...new Map(inputs.map((i) => [inputSignature(i), i])).values()];
}
