// Rolling per-account aggregates: every metric input of an account's score as of one day, kept in one
// row per account (metric_rollups), so a recompute reads one row per account instead of every
// observation of the window.
//
// Keeping them right without making writers wait on each other:
// - Every statement that writes observations appends, by trigger, the accounts it touched and its
//   transaction id to metric_rollup_changes (plain inserts, no row lock), one row per block of
//   4,096 account ids (bucket = id >> 12).
// - A rollup is computed in one statement that aggregates the observations and stores the values
//   with that statement's snapshot.
// - A stored rollup is up to date for a day when it is of that day and no change record of its
//   account has a transaction its snapshot did not see (a write that committed after it, or was
//   still in progress when it read).
// - The refresh job computes a block's accounts from the block's change records and deletes those
//   records in the same statement (the same snapshot): only records whose accounts it computed go.
// - Two computations of one account may race (a shard and the refresh job): the one that read the
//   later snapshot wins whatever the commit order, so a rollup never goes back in time.
// An account with neither a rollup nor a change record has never had an observation.
import { formatDay, type Day } from "../../domain/dates.ts";
import type { ComponentInput } from "../../domain/model/schema.ts";
import { inputSignature } from "../../domain/scoring/window-inputs.ts";
import type { SqlRead } from "../handle.ts";
import { metricAggregateQuery, Params, uniqueMetricInputs } from "./window-aggregates.ts";

/** Input signature -> the input's value over its window (null: no observation in it). */
export type RollupValues = Record<string, number | null>;

export interface RollupRead {
  /** The accounts whose stored rollup is up to date for the day and holds every input asked for. */
  current: Map<number, RollupValues>;
  /** The others: their rollup must be computed (refreshRollups) before they are scored. */
  outdated: number[];
}

/** Change records are kept per block of account ids: bucket = id >> BUCKET_BITS. */
export const BUCKET_BITS = 12;

/**
 * The stored rollups of `accountIds` for `asOf`, sorted into those that are up to date and hold every
 * one of `signatures`, and those that are not. An account that never had an observation is up to date
 * with no values. Meant for ids close together (a shard): the change records of every block between
 * the lowest and the highest id are read.
 */
export async function readRollups(
  read: SqlRead,
  workspaceId: number,
  accountIds: readonly number[],
  signatures: readonly string[],
  asOf: Day,
): Promise<RollupRead> {
  const current = new Map<number, RollupValues>();
  const outdated: number[] = [];
  if (accountIds.length === 0) return { current, outdated };
  const low = Math.min(...accountIds);
  const high = Math.max(...accountIds);
  const rows = await read<{
    id: number;
    values: RollupValues | null;
    same_day: boolean | null;
    changed: boolean;
  }>(
    `WITH changed AS (
       SELECT x AS id, array_agg(c.xact) AS xacts
       FROM metric_rollup_changes c, unnest(c.account_ids) AS x
       WHERE c.workspace_id = $1 AND c.bucket BETWEEN $4 AND $5 AND x BETWEEN $6 AND $7
       GROUP BY x
     )
     SELECT a.id, r.values, r.as_of = $3::date AS same_day,
            (ch.id IS NOT NULL AND (r.account_id IS NULL
              OR EXISTS (SELECT 1 FROM unnest(ch.xacts) AS t(xact) WHERE NOT pg_visible_in_snapshot(t.xact, r.snapshot))))
              AS changed
     FROM unnest($2::int[]) AS a(id)
     LEFT JOIN metric_rollups r ON r.account_id = a.id AND r.workspace_id = $1
     LEFT JOIN changed ch ON ch.id = a.id`,
    [workspaceId, accountIds, formatDay(asOf), low >> BUCKET_BITS, high >> BUCKET_BITS, low, high],
  );
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
 * among `inputs` from their observations, stores them, and returns them. Safe to run concurrently with
 * writers and with itself: see the top of this file.
 */
export async function refreshRollups(
  read: SqlRead,
  workspaceId: number,
  accountIds: readonly number[],
  inputs: readonly ComponentInput[],
  asOf: Day,
): Promise<Map<number, RollupValues>> {
  if (accountIds.length === 0) return new Map();
  const p = new Params();
  const ws = p.add(workspaceId);
  const ids = p.add(accountIds);
  return runRefresh(read, p, ws, inputs, asOf, {
    ids: `SELECT id FROM accounts WHERE workspace_id = ${ws} AND id = ANY(${ids}::int[])`,
    observations: `workspace_id = ${ws} AND account_id = ANY(${ids}::int[])`,
  });
}

/**
 * Computes the rollups of every account in the change records of one block (`bucket`) and deletes
 * those records, in one statement: the records it deletes are exactly those it read the accounts of.
 */
export async function refreshChangedBlock(
  read: SqlRead,
  workspaceId: number,
  bucket: number,
  inputs: readonly ComponentInput[],
  asOf: Day,
): Promise<Map<number, RollupValues>> {
  const p = new Params();
  const ws = p.add(workspaceId);
  const block = p.add(bucket);
  // The ids as one array (an InitPlan): the observations are then read as for a list of ids, in id
  // order by their primary key, rather than by a semi-join the planner cannot size (it planned a sort
  // of the block's 1.2 million observations that spilled to disk).
  const blockIds = `(SELECT array_agg(DISTINCT x) FROM metric_rollup_changes c, unnest(c.account_ids) AS x
                     WHERE c.workspace_id = ${ws} AND c.bucket = ${block})::int[]`;
  return runRefresh(read, p, ws, inputs, asOf, {
    ids: `SELECT id FROM accounts WHERE workspace_id = ${ws} AND id = ANY(${blockIds})`,
    observations: `workspace_id = ${ws} AND account_id = ANY((SELECT array_agg(id) FROM ids)::int[])`,
    consume: `DELETE FROM metric_rollup_changes c
              WHERE c.workspace_id = ${ws} AND c.bucket = ${block} AND pg_visible_in_snapshot(c.xact, pg_current_snapshot())
              RETURNING 1`,
  });
}

/** The blocks of the workspace that have change records, in order. */
export async function changedBlocks(read: SqlRead, workspaceId: number): Promise<number[]> {
  const rows = await read<{ bucket: number }>(
    `SELECT DISTINCT bucket FROM metric_rollup_changes WHERE workspace_id = $1 ORDER BY bucket`,
    [workspaceId],
  );
  return rows.map((r) => r.bucket);
}

/** The one refresh statement: aggregate the `ids` accounts, store, and optionally `consume`. */
async function runRefresh(
  read: SqlRead,
  p: Params,
  ws: string,
  inputs: readonly ComponentInput[],
  asOf: Day,
  parts: { ids: string; observations: string; consume?: string },
): Promise<Map<number, RollupValues>> {
  const unique = uniqueMetricInputs(inputs);
  const day = p.add(formatDay(asOf));
  const signatures = p.add(unique.map(inputSignature));
  const aggregate =
    unique.length > 0
      ? metricAggregateQuery(p, unique, asOf, parts.observations)
      : `SELECT NULL::int AS id WHERE false`;
  const valueArray = `ARRAY[${unique.map((_, n) => `agg.v${n}`).join(", ")}]::float8[]`;
  const rows = await read<{ id: number; values: RollupValues }>(
    `WITH ids AS (${parts.ids}),
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
     )${
       parts.consume
         ? `,
     consumed AS (${parts.consume})`
         : ""
     }
     SELECT id, v AS values FROM vals`,
    p.values,
  );
  return new Map(rows.map((row) => [row.id, row.values]));
}

/**
 * Up to `limit` active accounts of the workspace with ids above `afterId`, in id order, whose rollup is
 * of a day before `asOf` (the window has moved since).
 */
export async function accountsOfEarlierDay(
  read: SqlRead,
  workspaceId: number,
  asOf: Day,
  afterId: number,
  limit: number,
): Promise<number[]> {
  const rows = await read<{ id: number }>(
    `SELECT r.account_id AS id FROM metric_rollups r JOIN accounts a ON a.id = r.account_id AND a.status = 'active'
     WHERE r.workspace_id = $1 AND r.as_of < $2::date AND r.account_id > $3 ORDER BY r.account_id LIMIT $4`,
    [workspaceId, formatDay(asOf), afterId, limit],
  );
  return rows.map((r) => r.id);
}
