// Scores one shard of a recompute run (a child of the run's flow).
import { z } from "zod";
import { failRun, scoreShard } from "../../services/recompute.ts";
import { defineJob } from "../define-job.ts";

export const recomputeShardPayload = z.object({
  workspaceId: z.number().int().positive(),
  runId: z.string().regex(/^\d+$/),
  asOf: z.number().int(),
  modelId: z.number().int().positive(),
  startedAt: z.iso.datetime(),
  fromId: z.number().int().positive(),
  toId: z.number().int().positive(),
});

export const recomputeShard = defineJob({
  name: "recompute-shard",
  queue: "recompute",
  payload: recomputeShardPayload,
  attempts: 8,
  backoffMs: 1000,
  handler: async (p, { prisma, sql }) =>
    scoreShard({ prisma, sql }, { ...p, runId: BigInt(p.runId), startedAt: new Date(p.startedAt) }),
  // A shard that fails for good fails its run's flow too (failParentOnFailure), whose parent then never
  // runs: the run is closed as failed here, so it never shows as running forever.
  onFinalFailure: async (data, error, { prisma }) => {
    const runId = z.object({ runId: z.string().regex(/^\d+$/) }).safeParse(data);
    if (runId.success) await failRun(prisma, BigInt(runId.data.runId), `a shard failed: ${error.message}`);
  },
});
