// Scores one shard of a recompute run (a child of the run's flow).
import { z } from "zod";
import { scoreShard } from "../../services/recompute.ts";
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
  handler: async (p, { prisma }) =>
    scoreShard(prisma, { ...p, runId: BigInt(p.runId), startedAt: new Date(p.startedAt) }),
});
