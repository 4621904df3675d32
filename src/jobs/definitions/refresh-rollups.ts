// Brings a workspace's rollups up to date (sync queue), fired every few minutes by the workspace's
// `rollups-ws-<id>` scheduler: observations written since the last pass are aggregated now, while
// data arrives, instead of in the next recompute; and after local midnight every active account's
// rollup moves to the new day. Overlapping passes are harmless (services/refresh-rollups.ts).
import { UnrecoverableError } from "bullmq";
import { z } from "zod";
import { readSettings } from "../../config/workspace-settings.ts";
import { localDay } from "../../domain/schedule/slots.ts";
import { refreshWorkspaceRollups } from "../../services/refresh-rollups.ts";
import { defineJob } from "../define-job.ts";

export const refreshRollupsPayload = z.object({
  workspaceId: z.number().int().positive(),
});

export const refreshRollupsJob = defineJob({
  name: "refresh-rollups",
  queue: "sync",
  payload: refreshRollupsPayload,
  // The next fire is minutes away and a run computes what is left: a few quick retries suffice.
  attempts: 3,
  backoffMs: 5000,
  handler: async (p, { prisma, sql }) => {
    const workspace = await prisma.workspace.findFirst({ where: { id: p.workspaceId, deletedAt: null } });
    if (!workspace) throw new UnrecoverableError(`workspace ${p.workspaceId} no longer exists`);
    const asOf = localDay(new Date(), readSettings(workspace.settings).timezone);
    return refreshWorkspaceRollups({ prisma, sql }, workspace.id, asOf);
  },
});
