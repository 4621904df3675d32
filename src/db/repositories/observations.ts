// Metric observations and survey responses: bulk writes keyed so that importing twice changes nothing.
import { formatDay } from "../../domain/dates.ts";
import type { Db } from "../handle.ts";

export interface ObservationRow {
  accountId: number;
  metric: string;
  observedOn: number;
  value: number;
}

/** One value per account, metric and day: a later value for the same day replaces the stored one. */
export async function upsertObservations(
  db: Db,
  workspaceId: number,
  rows: readonly ObservationRow[],
): Promise<number> {
  if (rows.length === 0) return 0;
  // A batch may hold the same key twice; ON CONFLICT cannot touch a row twice, so the last one wins here.
  const unique = new Map<string, ObservationRow>();
  for (const r of rows) unique.set(`${r.accountId}\u0000${r.metric}\u0000${r.observedOn}`, r);
  const payload = [...unique.values()].map((r) => ({
    a: r.accountId,
    m: r.metric,
    d: formatDay(r.observedOn),
    v: r.value,
  }));
  return db.$executeRawUnsafe(
    `INSERT INTO metric_observations (workspace_id, account_id, metric, observed_on, value)
     SELECT $1, x.a, x.m, x.d, x.v FROM jsonb_to_recordset($2::jsonb) AS x(a int, m text, d date, v float8)
     ON CONFLICT (account_id, metric, observed_on) DO UPDATE SET value = excluded.value`,
    workspaceId,
    JSON.stringify(payload),
  );
}

export interface ResponseInsertRow {
  accountId: number;
  survey: string;
  score: number;
  respondedAt: Date;
  respondent: string | null;
  dedupeKey: string;
}

/** Inserts responses; one already stored under the same dedupe key is left as it is. */
export async function insertResponses(
  db: Db,
  workspaceId: number,
  rows: readonly ResponseInsertRow[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const unique = new Map(rows.map((r) => [r.dedupeKey, r]));
  const payload = [...unique.values()].map((r) => ({
    a: r.accountId,
    s: r.survey,
    v: r.score,
    t: r.respondedAt.toISOString(),
    p: r.respondent,
    k: r.dedupeKey,
  }));
  return db.$executeRawUnsafe(
    `INSERT INTO survey_responses (workspace_id, account_id, survey, score, responded_at, respondent, dedupe_key)
     SELECT $1, x.a, x.s::"Survey", x.v, x.t, x.p, x.k
     FROM jsonb_to_recordset($2::jsonb) AS x(a int, s text, v float8, t timestamptz, p text, k text)
     ON CONFLICT (workspace_id, dedupe_key) DO NOTHING`,
    workspaceId,
    JSON.stringify(payload),
  );
}
