// The floor of a recompute: the time PostgreSQL alone takes to write the same number of snapshot
// rows, in one `INSERT ... SELECT` with no aggregation, no scoring and no round trips. And the reset
// that puts the scores back as they were before a run, so each measurement starts from the same
// state (an empty score_snapshots, accounts never scored).
import type pg from "pg";
import { formatDay, type Day } from "../../src/domain/dates.ts";

export interface FloorResult {
  seconds: number;
  rows: number;
  /** Stored size of the components of each row it wrote (pg_column_size: a real snapshot's). */
  storedBytes: number;
}

/**
 * One real snapshot's components (the floor copies them, so its rows are as large as the
 * recompute's), and the average stored size of the components of all of them.
 */
export async function sampleComponents(
  client: pg.Client,
  workspaceId: number,
  asOf: Day,
): Promise<{ components: string; averageBytes: number }> {
  const { rows } = await client.query<{ components: string; avg: string }>(
    `SELECT (SELECT components::text FROM score_snapshots WHERE workspace_id = $1 AND as_of = $2::date
             ORDER BY account_id LIMIT 1) AS components,
            (SELECT avg(pg_column_size(components)) FROM score_snapshots
             WHERE workspace_id = $1 AND as_of = $2::date) AS avg`,
    [workspaceId, formatDay(asOf)],
  );
  const row = rows[0];
  if (!row?.components) throw new Error("no snapshot to copy the components of");
  return { components: row.components, averageBytes: Number(row.avg) };
}

/**
 * Empties score_snapshots and band_changes and clears the accounts' current scores, then compacts
 * and analyzes what changed. With `keepAs`, the snapshots are first copied to that table.
 */
export async function resetScores(client: pg.Client, options: { keepAs?: string } = {}): Promise<void> {
  if (options.keepAs) {
    await client.query(`DROP TABLE IF EXISTS ${options.keepAs}`);
    await client.query(`CREATE TABLE ${options.keepAs} AS SELECT * FROM score_snapshots`);
  }
  await client.query(`TRUNCATE score_snapshots, band_changes`);
  await client.query(
    `UPDATE accounts SET current_score = NULL, current_band = NULL, scored_as_of = NULL
     WHERE scored_as_of IS NOT NULL`,
  );
  // The run updated every account row; VACUUM FULL rewrites the table as compact as it was generated.
  await client.query(`VACUUM FULL accounts`);
  await client.query(`VACUUM ANALYZE accounts, score_snapshots, band_changes`);
}

/** Times one INSERT ... SELECT of a snapshot per active account of the workspace, as of `asOf`. */
export async function timeFloor(
  client: pg.Client,
  spec: { workspaceId: number; asOf: Day; modelId: number; runId: bigint; components: string },
): Promise<FloorResult> {
  const started = performance.now();
  const result = await client.query(
    `INSERT INTO score_snapshots (workspace_id, account_id, as_of, model_id, score, band, coverage, components, run_id, computed_at)
     SELECT a.workspace_id, a.id, $2::date, $3, (a.id % 100)::float8,
            (ARRAY['healthy', 'caution', 'at_risk'])[1 + a.id % 3], 1, $4::json, $5, now()
     FROM accounts a WHERE a.workspace_id = $1 AND a.status = 'active'`,
    [spec.workspaceId, formatDay(spec.asOf), spec.modelId, spec.components, spec.runId.toString()],
  );
  const seconds = (performance.now() - started) / 1000;
  const { rows } = await client.query<{ bytes: string }>(
    `SELECT avg(pg_column_size(components)) AS bytes FROM score_snapshots
     WHERE workspace_id = $1 AND as_of = $2::date`,
    [spec.workspaceId, formatDay(spec.asOf)],
  );
  return { seconds, rows: result.rowCount ?? 0, storedBytes: Number(rows[0]?.bytes ?? 0) };
}

/**
 * Makes the last run's snapshots (as of `asOf`) the day before's, as a daily run finds them: the
 * accounts scored then, their snapshots as of `asOf - 1`, no band change recorded. Every account's
 * previous snapshot is then one the scoring engine wrote.
 */
export async function moveScoresToDayBefore(
  client: pg.Client,
  workspaceId: number,
  asOf: Day,
): Promise<void> {
  const [day, before] = [formatDay(asOf), formatDay(asOf - 1)];
  await client.query(`DELETE FROM score_snapshots WHERE workspace_id = $1 AND as_of <> $2::date`, [
    workspaceId,
    day,
  ]);
  const moved = await client.query(
    `UPDATE score_snapshots SET as_of = $3::date WHERE workspace_id = $1 AND as_of = $2::date`,
    [workspaceId, day, before],
  );
  if (!moved.rowCount) throw new Error(`no snapshot as of ${day} to move to the day before`);
  await client.query(`TRUNCATE band_changes`);
  await client.query(
    `UPDATE accounts SET scored_as_of = $2::date WHERE workspace_id = $1 AND scored_as_of IS NOT NULL`,
    [workspaceId, before],
  );
  await client.query(`VACUUM FULL accounts`);
  await client.query(`VACUUM FULL score_snapshots`);
  await client.query(`VACUUM ANALYZE accounts, score_snapshots, band_changes`);
}
