// Fired by each workspace's recompute schedule (a BullMQ job scheduler): starts the run of the
// slot the fire was due for. A manual run names its own slot and as-of date.
import { UnrecoverableError } from "bullmq";
import { z } from "zod";
import { readSettings } from "../../config/workspace-settings.ts";
import { localDay, slotKey } from "../../domain/schedule/slots.ts";
import { defineJob } from "../define-job.ts";
import { startRunFlow } from "../run-flow.ts";

export const recomputeTickPayload = z.object({
  workspaceId: z.number().int().positive(),
  /** Set for manual runs; a scheduled fire takes the slot it was due for. */
  slot: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .optional(),
  asOf: z.number().int().optional(),
  trigger: z.string().default("schedule"),
});

export const recomputeTick = defineJob({
  name: "recompute-tick",
  queue: "recompute",
  payload: recomputeTickPayload,
  attempts: 8,
  backoffMs: 2000,
  handler: async (p, { prisma, queues, job, shardSize }) => {
    const workspace = await prisma.workspace.findFirst({ where: { id: p.workspaceId, deletedAt: null } });
    if (!workspace) throw new UnrecoverableError(`workspace ${p.workspaceId} no longer exists`);
    const settings = readSettings(workspace.settings);
    // prevMillis is the time the scheduler meant this fire for, even when it runs late.
    const fireAt = new Date(job.opts.prevMillis ?? job.timestamp);
    const started = await startRunFlow(prisma, queues, {
      workspaceId: workspace.id,
      asOf: p.asOf ?? localDay(fireAt, settings.timezone),
      slot: p.slot ?? slotKey(fireAt),
      trigger: p.trigger,
      shardSize,
    });
    return { runId: started.runId.toString(), shards: started.shards, started: started.started };
  },
});
