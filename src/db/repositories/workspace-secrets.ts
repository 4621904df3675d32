// A workspace's sealed signing secrets: the track webhook's (workspaces.track_secret) and the one
// plays' webhooks are signed with (workspaces.webhook_secret). Same shape, so one pair of functions.
import type { Db } from "../handle.ts";

export type WorkspaceSecretField = "trackSecret" | "webhookSecret";

export async function readWorkspaceSecret(
  db: Db,
  workspaceId: number,
  field: WorkspaceSecretField,
): Promise<Uint8Array | null> {
  const row = await db.workspace.findUnique({
    where: { id: workspaceId },
    select: { trackSecret: field === "trackSecret", webhookSecret: field === "webhookSecret" },
  });
  return row?.[field] ?? null;
}

/** Stores the sealed secret; with `onlyIfUnset`, only when the workspace has none (false otherwise). */
export async function writeWorkspaceSecret(
  db: Db,
  workspaceId: number,
  field: WorkspaceSecretField,
  sealed: Uint8Array<ArrayBuffer>,
  options: { onlyIfUnset: boolean },
): Promise<boolean> {
  const { count } = await db.workspace.updateMany({
    where: { id: workspaceId, ...(options.onlyIfUnset ? { [field]: null } : {}) },
    data: { [field]: sealed },
  });
  return count === 1;
}
