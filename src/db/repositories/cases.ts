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
  play: CasePlayOpening = {},
): Promise<number> {
  return (await openMissingCaseRows(db, workspaceId, riskBandKeys, channelId, reopenPoints, play)).length;
}

/** Which play opens the cases, for which of the accounts in the bands, with which checklist. */
export interface CasePlayOpening {
  /** The play's key, kept on the case (its channel, owner, escalation). */
  playKey?: string | null;
  /** Only these accounts (the play's conditions held for them); absent: every account in the bands. */
  accountIds?: readonly number[] | null;
  /** The play's tasks, stored on the case as [{ text, done_by, done_at }]. */
  tasks?: readonly string[];
}

/** insertMissingCases, returning the cases it opened (id and account). */
export async function openMissingCaseRows(
  db: Db,
  workspaceId: number,
  riskBandKeys: readonly string[],
  channelId: string | null,
  reopenPoints: number,
  play: CasePlayOpening = {},
): Promise<{ id: bigint; account_id: number }[]> {
  const tasks = (play.tasks ?? []).map((text) => ({ text, done_by: null, done_at: null }));
  return db.$queryRawUnsafe<{ id: bigint; account_id: number }[]>(
    `INSERT INTO follow_ups (workspace_id, account_id, opened_score, last_score, last_band, channel_id,
                             play_key, tasks)
     SELECT a.workspace_id, a.id, a.current_score, a.current_score, a.current_band, $3, $5, $7::jsonb
     FROM accounts a
     LEFT JOIN LATERAL (
       SELECT f.status, f.resolved_at, f.recovered_at, f.closed_score FROM follow_ups f
       WHERE f.workspace_id = a.workspace_id AND f.account_id = a.id
       ORDER BY f.opened_at DESC, f.id DESC LIMIT 1) last ON true
     WHERE a.workspace_id = $1 AND a.status = 'active' AND a.current_band = ANY($2::text[])
       AND ($6::int[] IS NULL OR a.id = ANY($6::int[]))
       AND (last.status IS NULL
            OR (last.status = 'resolved'
                AND ((last.recovered_at IS NOT NULL AND last.recovered_at >= last.resolved_at)
                     OR (a.current_score IS NOT NULL AND last.closed_score IS NOT NULL
                         AND a.current_score <= last.closed_score - $4))))
     ON CONFLICT (workspace_id, account_id) WHERE status <> 'resolved' DO NOTHING
     RETURNING id, account_id`,
    workspaceId,
    [...riskBandKeys],
    channelId,
    reopenPoints,
    play.playKey ?? null,
    play.accountIds ? [...play.accountIds] : null,
    JSON.stringify(tasks),
  );
}
