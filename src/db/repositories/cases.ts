// At-risk cases (the follow_ups table): the statement that opens them.
import type { Db } from "../handle.ts";

/**
 * Opens a case for every active account of the workspace in one of `riskBandKeys` that has none,
 * unless its last case was resolved and nothing since says to reopen it (a recorded recovery, or a
 * fall of `reopenPoints` below the score it was closed at). Returns the cases opened.
 *
 * An account whose case a concurrent opener has just opened counts as already open: the unique index
 * follow_ups_one_open_case (one case not resolved per account) turns its row into a conflict, and
 * the conflict into nothing done, so the statement neither fails nor opens a second case. The
 * caller's advisory lock only spares it the wait on the other's transaction.
 */
export async function insertMissingCases(
  db: Db,
  workspaceId: number,
  riskBandKeys: readonly string[],
  channelId: string | null,
  reopenPoints: number,
): Promise<number> {
  return db.$executeRawUnsafe(
    `INSERT INTO follow_ups (workspace_id, account_id, opened_score, last_score, last_band, channel_id)
     SELECT a.workspace_id, a.id, a.current_score, a.current_score, a.current_band, $3
     FROM accounts a
     LEFT JOIN LATERAL (
       SELECT f.status, f.resolved_at, f.recovered_at, f.closed_score FROM follow_ups f
       WHERE f.workspace_id = a.workspace_id AND f.account_id = a.id
       ORDER BY f.opened_at DESC, f.id DESC LIMIT 1) last ON true
     WHERE a.workspace_id = $1 AND a.status = 'active' AND a.current_band = ANY($2::text[])
       AND (last.status IS NULL
            OR (last.status = 'resolved'
                AND ((last.recovered_at IS NOT NULL AND last.recovered_at >= last.resolved_at)
                     OR (a.current_score IS NOT NULL AND last.closed_score IS NOT NULL
                         AND a.current_score <= last.closed_score - $4))))
     ON CONFLICT (workspace_id, account_id) WHERE status <> 'resolved' DO NOTHING`,
    workspaceId,
    [...riskBandKeys],
    channelId,
    reopenPoints,
  );
}
