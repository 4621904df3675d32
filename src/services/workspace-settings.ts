// Changes a workspace's settings: validated as a whole, stored, audited.
import { z } from "zod";
import {
  readSettings,
  workspaceSettingsSchema,
  type WorkspaceSettings,
} from "../config/workspace-settings.ts";
import { KnownError } from "../errors.ts";
import { audit } from "../db/repositories/audit-log.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";

export class InvalidSettingsError extends KnownError {
  readonly code = "SETTINGS_INVALID";
}

export async function updateSettings(
  prisma: PrismaClient,
  workspaceId: number,
  changes: Partial<WorkspaceSettings>,
  actor: string,
): Promise<WorkspaceSettings> {
  const workspace = await prisma.workspace.findUniqueOrThrow({ where: { id: workspaceId } });
  const merged = workspaceSettingsSchema.safeParse({ ...readSettings(workspace.settings), ...changes });
  if (!merged.success) {
    throw new InvalidSettingsError(
      merged.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
    );
  }
  await prisma.workspace.update({ where: { id: workspaceId }, data: { settings: merged.data } });
  await audit(prisma, workspaceId, {
    actor,
    action: "settings.update",
    details: z.json().parse(changes) ?? {},
  });
  return merged.data;
}
