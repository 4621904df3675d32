// Rolling per-account aggregates: every metric input of an account's score as of one day, kept in one
// row per account (metric_rollups), so a recompute reads one row per account instead of every
// observation of the window.
//
// Keeping them right without making writers wait on each other:
// - Every statement that writes observations appends, by trigger, the accounts it touched and its
//   transaction id to metric_rollup_changes (plain inserts, no row lock).
// - A rollup is computed in one statement that aggregates the observations, stores the values with
//   that statement's snapshot, and deletes the change records whose transactions the snapshot saw.
// - A stored rollup is up to date for a day when it is of that day and no change record remains
//   whose transaction its snapshot did not see (a write that committed after it, or was still in
//   progress when it read).
// - Two computations of one account may race (a shard and the refresh job): the one that read the
//   later snapshot wins whatever the commit order, so a rollup never goes back in time.
// An account with neither a rollup nor a change record has never had an observation.
import { formatDay, type Day } from "../../domain/dates.ts";
import type { ComponentInput } from "../../domain/model/schema.ts";
import { inputSignature } from "../../domain/scoring/window-inputs.ts";
import type { Db } from "../handle.ts";
import { metricAggregateQuery, Params, uniqueMetricInputs } from "./window-aggregates.ts";

/** Input signature -> the input's value over its window (null: no observation in it). */
export type RollupValues = Record<string, number | null>;

export interface RollupRead {
  /** The accounts whose stored rollup is up to date for the day and holds every input asked for. */
  current: Map<number, RollupValues>;
  /** The others: their rollup must be computed (refreshRollups) before they are scored. */
  outdated: number[];
}

/**
 * The stored rollups of `accountIds` for `asOf`, sorted into those that are up to date and hold every
 * one of `signatures`, and those that are not. An account that never had an observation is up to date
 * with no values.
 */
export async function readRollups(
  db: Db,
  workspaceId: number,
  accountIds: readonly number[],
  signatures: readonly string[],
  asOf: Day,
): Promise<RollupRead> {
  const rows = await db.$queryRawUnsafe<
    { id: number; values: RollupValues | null; same_day: boolean | null; changed: boolean }[]
  >(
    `SELECT a.id, r.values, r.as_of = $3::date AS same_day,
            EXISTS (SELECT 1 FROM metric_rollup_changes c
                    WHERE c.workspace_id = $1 AND c.account_id = a.id
                      AND (r.account_id IS NULL OR NOT pg_visible_in_snapshot(c.xact, r.snapshot))) AS changed
     FROM unnest($2::int[]) AS a(id)
     LEFT JOIN metric_rollups r ON r.account_id = a.id AND r.workspace_id = $1`,
    workspaceId,
    accountIds,
    formatDay(asOf),
  );
  const current = new Map<number, RollupValues>();
  const outdated: number[] = [];
  for (const row of rows) {
    if (row.changed) outdated.push(row.id);
    else if (row.values === null) current.set(row.id, {});
    else if (row.same_day && signatures.every((s) => s in row.values!)) current.set(row.id, row.values);
    else outdated.push(row.id);
  }
  return { current, outdated };
}

/**
 * Computes the rollups of `accountIds` (those of the workspace) as of `asOf` for every metric input
 * among `inputs` from their observations, stores them, and returns them. Safe to run concurrently with writers and with itself:
 * see the top of this file.
 */
export async function refreshRollups(
  db: Db,
  workspaceId: number,
  accountIds: readonly number[],
  inputs: readonly ComponentInput[],
  asOf: Day,
): Promise<Map<number, RollupValues>> {
  const unique = uniqueMetricInputs(inputs);
  const result = new Map<number, RollupValues>();
  if (accountIds.length === 0) return result;
  const p = new Params();
  const ws = p.add(workspaceId);
  const ids = p.add(accountIds);
  const day = p.add(formatDay(asOf));
  const signatures = p.add(unique.map(inputSignature));
  const aggregate =
    unique.length > 0
      ? metricAggregateQuery(p, unique, asOf, `workspace_id = ${ws} AND account_id = ANY(${ids}::int[])`)
      : `SELECT NULL::int AS id WHERE false`;
  const valueArray = `ARRAY[${unique.map((_, n) => `agg.v${n}`).join(", ")}]::float8[]`;
  const rows = await db.$queryRawUnsafe<{ id: number; values: RollupValues }[]>(
    `WITH ids AS (SELECT id FROM accounts WHERE workspace_id = ${ws} AND id = ANY(${ids}::int[])),
     agg AS (${aggregate}),
     vals AS (
       SELECT ids.id, ${
         unique.length > 0
           ? `(SELECT jsonb_object_agg(k, v) FROM unnest(${signatures}::text[], ${valueArray}) AS t(k, v))`
           : `'{}'::jsonb`
       } AS v
       FROM ids LEFT JOIN agg ON agg.id = ids.id
     ),
     written AS (
       INSERT INTO metric_rollups AS r (account_id, workspace_id, as_of, values, snapshot)
       SELECT id, ${ws}, ${day}::date, v, pg_current_snapshot() FROM vals
       ON CONFLICT (account_id) DO UPDATE
         SET as_of = excluded.as_of, values = excluded.values, snapshot = excluded.snapshot
         WHERE pg_snapshot_xmax(r.snapshot) < pg_snapshot_xmax(excluded.snapshot)
            OR (pg_snapshot_xmax(r.snapshot) = pg_snapshot_xmax(excluded.snapshot)
                AND (SELECT count(*) FROM pg_snapshot_xip(excluded.snapshot))
                    <= (SELECT count(*) FROM pg_snapshot_xip(r.snapshot)))
       RETURNING 1
     ),
     consumed AS (
       DELETE FROM metric_rollup_changes c
       WHERE c.workspace_id = ${ws} AND c.account_id IN (SELECT id FROM ids)
         AND pg_visible_in_snapshot(c.xact, pg_current_snapshot())
       RETURNING 1
     )
     SELECT id, v AS values FROM vals`,
    ...p.values,
  );
  for (const row of rows) result.set(row.id, row.values);
  return result;
}

/**
 * Up to `limit` accounts of the workspace with ids above `afterId`, in id order, whose rollup needs
 * computing before a run of `asOf`: those with recorded changes, and active accounts whose rollup is
 * of an earlier day.
 */
export async function accountsToRefresh(
  db: Db,
  workspaceId: number,
  asOf: Day,
  afterId: number,
  limit: number,
): Promise<number[]> {
  const rows = await db.$queryRawUnsafe<{ id: number }[]>(
    `(SELECT DISTINCT account_id AS id FROM metric_rollup_changes
      WHERE workspace_id = $1 AND account_id > $3 ORDER BY account_id LIMIT $4)
     UNION
     (SELECT r.account_id FROM metric_rollups r JOIN accounts a ON a.id = r.account_id AND a.status = 'active'
      WHERE r.workspace_id = $1 AND r.as_of < $2::date AND r.account_id > $3 ORDER BY r.account_id LIMIT $4)
     ORDER BY id LIMIT $4`,
    workspaceId,
    formatDay(asOf),
    afterId,
    limit,
  );
  return rows.map((r) => r.id);
}
