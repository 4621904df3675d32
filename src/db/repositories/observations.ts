// Metric observations and survey responses: bulk writes keyed so that importing twice changes nothing.
// An observation keeps its source, and a source ranked below the stored one's does not replace it.
import { formatDay, type Day } from "../../domain/dates.ts";
import type { SourceGuard } from "../../domain/source-precedence.ts";
import type { Db } from "../handle.ts";

export interface ObservationRow {
  accountId: number;
  metric: string;
  observedOn: number;
  value: number;
}

/** What an upsert of observations did. */
export interface ObservationWrite {
  /** Rows inserted or replaced. */
  written: number;
  /** Rows left alone: the stored value's source ranks above the writer's for that metric. */
  superseded: number;
}

/**
 * One value per account, metric and day, with its source: a later value for the same day replaces
 * the stored one unless the stored value's source ranks above the writer's (`guard`, from the
 * workspace's precedence). Sources of the same rank replace each other, so the newer value wins.
 * One statement, its ranks given as parameters, so a changed precedence applies to the next write.
 * A refused row is not updated, so the update trigger does not see it: nothing changed to record.
 */
export async function upsertObservations(
  db: Db,
  workspaceId: number,
  guard: SourceGuard,
  rows: readonly ObservationRow[],
): Promise<ObservationWrite> {
  if (rows.length === 0) return { written: 0, superseded: 0 };
  // A batch may hold the same key twice; ON CONFLICT cannot touch a row twice, so the last one wins here.
  const unique = new Map<string, ObservationRow>();
  for (const r of rows) unique.set(`${r.accountId}\u0000${r.metric}\u0000${r.observedOn}`, r);
  const payload = [...unique.values()].map((r) => ({
    a: r.accountId,
    m: r.metric,
    d: formatDay(r.observedOn),
    v: r.value,
  }));
  // jsonb `?`: whether the array of sources ranked above the writer's (the metric's own, else the
  // workspace's) holds the stored row's source.
  const written = await db.$executeRawUnsafe(
    `INSERT INTO metric_observations (workspace_id, account_id, metric, observed_on, value, source)
     SELECT $1, x.a, x.m, x.d, x.v, $3::text FROM jsonb_to_recordset($2::jsonb) AS x(a int, m text, d date, v float8)
     ON CONFLICT (account_id, metric, observed_on) DO UPDATE SET value = excluded.value, source = excluded.source
     WHERE NOT (coalesce($5::jsonb -> metric_observations.metric, $4::jsonb) ? metric_observations.source)`,
    workspaceId,
    JSON.stringify(payload),
    guard.source,
    JSON.stringify(guard.above),
    JSON.stringify(guard.aboveByMetric),
  );
  return { written, superseded: payload.length - written };
}

/**
 * The sources of one account's observations in each window: for every (key, metric, window) the
 * distinct sources of the metric's values in the `days` days ending on `asOf`, sorted (none: no key).
 */
export async function observationSources(
  db: Db,
  workspaceId: number,
  accountId: number,
  windows: readonly { key: string; metric: string; days: number }[],
  asOf: Day,
): Promise<Map<string, string[]>> {
  if (windows.length === 0) return new Map();
  const rows = await db.$queryRawUnsafe<{ key: string; sources: string[] }[]>(
    `SELECT w.key, array_agg(DISTINCT o.source ORDER BY o.source) AS sources
     FROM jsonb_to_recordset($3::jsonb) AS w(key text, metric text, days int)
     JOIN metric_observations o ON o.account_id = $2 AND o.workspace_id = $1 AND o.metric = w.metric
       AND o.observed_on > $4::date - w.days AND o.observed_on <= $4::date
     GROUP BY w.key`,
    workspaceId,
    accountId,
    JSON.stringify(windows),
    formatDay(asOf),
  );
  return new Map(rows.map((r) => [r.key, r.sources]));
}

export interface ResponseStageRow {
  line: number;
  accountId: number;
  survey: string;
  score: number;
  respondedAt: Date;
  respondent: string | null;
  comment: string | null;
  /** The source's id for the response, when it has one. */
  responseId: string | null;
  /** A digest of the response's fields, for responses without an id. */
  digest: string;
}

/**
 * Responses are staged in a temporary table for the length of the import's transaction, then written
 * in one statement that numbers identical rows in SQL: the importer keeps nothing per row in memory.
 */
export async function createResponseStage(db: Db): Promise<void> {
  await db.$executeRawUnsafe(
    `CREATE TEMP TABLE IF NOT EXISTS import_responses (line int, account_id int, survey text, score float8,
       responded_at timestamptz, respondent text, response_id text, digest text, comment text) ON COMMIT DROP`,
  );
}

export async function stageResponses(db: Db, rows: readonly ResponseStageRow[]): Promise<void> {
  if (rows.length === 0) return;
  const payload = rows.map((r) => ({
    l: r.line,
    a: r.accountId,
    s: r.survey,
    v: r.score,
    t: r.respondedAt.toISOString(),
    p: r.respondent,
    i: r.responseId,
    d: r.digest,
    c: r.comment,
  }));
  await db.$executeRawUnsafe(
    `INSERT INTO import_responses SELECT x.l, x.a, x.s, x.v, x.t, x.p, x.i, x.d, x.c
     FROM jsonb_to_recordset($1::jsonb) AS x(l int, a int, s text, v float8, t timestamptz, p text, i text, d text, c text)`,
    JSON.stringify(payload),
  );
}

/**
 * Writes the staged responses. A response's identity is its source id when it has one; otherwise its
 * digest and its occurrence among identical rows of the file (in line order), so the same file
 * imported twice stores each response once, and two identical responses in one file are both kept.
 */
export async function insertStagedResponses(db: Db, workspaceId: number): Promise<number> {
  return db.$executeRawUnsafe(
    `INSERT INTO survey_responses (workspace_id, account_id, survey, score, responded_at, respondent, comment, dedupe_key)
     SELECT $1, account_id, survey::"Survey", score, responded_at, respondent, comment,
            CASE WHEN response_id IS NOT NULL THEN 'id:' || response_id
                 ELSE 'row:' || digest || ':' || row_number() OVER (PARTITION BY response_id IS NULL, digest ORDER BY line) END
     FROM import_responses
     ON CONFLICT (workspace_id, dedupe_key) DO NOTHING`,
    workspaceId,
  );
}
