// The plays' candidates a run's shards recorded (domain/plays/run-candidates.ts): written with the
// shard's results, in its transaction, so a retried shard replaces its own; read once by the plays'
// evaluation after the run; only the latest evaluated run's are kept.
import type { AccountRange } from "./window-aggregates.ts";
import type { SqlExecute } from "../handle.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";

/**
 * Replaces the shard's candidates of the run ((play key, account id) pairs): one row per play, its
 * accounts' ids in an array, keyed by the shard's first account id.
 */
export async function writeRunCandidates(
  execute: SqlExecute,
  runId: bigint,
  range: AccountRange,
  rows: readonly { playKey: string; accountId: number }[],
): Promise<void> {
  await execute(`DELETE FROM play_candidates WHERE run_id = $1 AND workspace_id = $2 AND from_id = $3`, [
    runId,
    range.workspaceId,
    range.fromId,
  ]);
  if (rows.length === 0) return;
  const byPlay = new Map<string, number[]>();
  for (const r of rows) {
    const ids = byPlay.get(r.playKey);
    if (ids) ids.push(r.accountId);
    else byPlay.set(r.playKey, [r.accountId]);
  }
  // Each play's ids as an array literal ("{1,2,3}"): arrays of arrays of different lengths cannot be
  // one SQL parameter.
  await execute(
    `INSERT INTO play_candidates (run_id, workspace_id, from_id, play_key, account_ids)
     SELECT $1, $2, $3, x.k, x.ids::int[] FROM unnest($4::text[], $5::text[]) AS x(k, ids)`,
    [
      runId,
      range.workspaceId,
      range.fromId,
      [...byPlay.keys()],
      [...byPlay.values()].map((ids) => `{${ids.join(",")}}`),
    ],
  );
}

/**
 * The run's candidates of the plays named, by play key, when its shards recorded them for playbook
 * `playbookId`; null when they did not (another playbook, the default one, or pruned): the caller
 * then finds the candidates from the snapshots. One statement reads the run's mark and its rows, so
 * a prune (which clears both at once) is seen whole or not at all.
 */
export async function readRunCandidates(
  prisma: PrismaClient,
  workspaceId: number,
  run: { runId: bigint; playbookId: number | null },
  playKeys: readonly string[],
): Promise<{ play_key: string; account_ids: number[] }[] | null> {
  if (run.playbookId === null) return null;
  const rows = await prisma.$queryRawUnsafe<
    { playbook_id: number | null; play_key: string | null; account_ids: number[] | null }[]
  >(
    `SELECT r.playbook_id, c.play_key, c.account_ids FROM recompute_runs r
     LEFT JOIN play_candidates c ON c.run_id = r.id AND c.workspace_id = r.workspace_id
                                AND c.play_key = ANY($3::text[])
     WHERE r.id = $2 AND r.workspace_id = $1`,
    workspaceId,
    run.runId,
    [...playKeys],
  );
  if (rows[0]?.playbook_id !== run.playbookId) return null;
  return rows.flatMap((r) =>
    r.play_key === null || r.account_ids === null
      ? []
      : [{ play_key: r.play_key, account_ids: r.account_ids }],
  );
}

/**
 * Drops the candidates of the workspace's runs before `runId` (evaluated, or never to be) and clears
 * those runs' mark, in one statement: an evaluation of one of them late after all finds neither, and
 * reads the snapshots instead.
 */
export async function pruneRunCandidates(
  prisma: PrismaClient,
  workspaceId: number,
  runId: bigint,
): Promise<void> {
  await prisma.$executeRawUnsafe(
    `WITH gone AS (UPDATE recompute_runs SET playbook_id = NULL
                   WHERE workspace_id = $1 AND id < $2 AND playbook_id IS NOT NULL RETURNING id)
     DELETE FROM play_candidates WHERE workspace_id = $1 AND run_id IN (SELECT id FROM gone)`,
    workspaceId,
    runId,
  );
}
