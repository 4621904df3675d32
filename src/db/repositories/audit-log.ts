// The audit log: who did what to a workspace, and when.
import type { Prisma } from "../../generated/prisma/client.ts";
import type { Db } from "../handle.ts";

export async function audit(
  db: Db,
  workspaceId: number,
  entry: { actor: string; action: string; target?: string; details?: Prisma.InputJsonValue },
): Promise<void> {
  await db.auditLogEntry.create({
    data: {
      workspaceId,
      actor: entry.actor,
      action: entry.action,
      target: entry.target ?? null,
      details: entry.details ?? {},
    },
  });
}

/** Whether a settings change ever named `key` (set from the CLI or the Slack form), whatever its value. */
export async function settingEverChanged(db: Db, workspaceId: number, key: string): Promise<boolean> {
  const rows = await db.$queryRaw<{ found: boolean }[]>`
    SELECT EXISTS (
      SELECT 1 FROM audit_log
       WHERE workspace_id = ${workspaceId} AND action = 'settings.update' AND details -> ${key} IS NOT NULL
    ) AS found`;
  return rows[0]?.found ?? false;
}
