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
