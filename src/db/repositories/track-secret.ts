// A workspace's sealed track signing secret (workspaces.track_secret).
import type { Db } from "../handle.ts";

export async function readTrackSecret(db: Db, workspaceId: number): Promise<Uint8Array | null> {
  const row = await db.workspace.findUnique({ where: { id: workspaceId }, select: { trackSecret: true } });
  return row?.trackSecret ?? null;
}

/** Stores the sealed secret; with `onlyIfUnset`, only when the workspace has none (false otherwise). */
export async function writeTrackSecret(
  db: Db,
  workspaceId: number,
  sealed: Uint8Array<ArrayBuffer>,
  options: { onlyIfUnset: boolean },
): Promise<boolean> {
  const { count } = await db.workspace.updateMany({
    where: { id: workspaceId, ...(options.onlyIfUnset ? { trackSecret: null } : {}) },
    data: { trackSecret: sealed },
  });
  return count === 1;
}
