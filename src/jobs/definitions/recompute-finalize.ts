// Closes a recompute run once all its shards are done (the parent of the run's flow).
import { z } from "zod";
import { addSummaries, finishRun, type ShardSummary } from "../../services/recompute.ts";
import { accountsScored, runDuration } from "../../metrics/registry.ts";
import { defineJob } from "../define-job.ts";
import { enqueue } from "../enqueue.ts";
import { enqueueWriteBacks } from "./crm-write-back.ts";
import { notifyBandChanges, notifyJobId } from "./notify-band-changes.ts";

export const recomputeFinalizePayload = z.object({
  workspaceId: z.number().int().positive(),
  runId: z.string().regex(/^\d+$/),
  asOf: z.number().int(),
});

export const recomputeFinalize = defineJob({
  name: "recompute-finalize",
  queue: "recompute",
  payload: recomputeFinalizePayload,
  attempts: 8,
  backoffMs: 1000,
  handler: async (p, { prisma, job, queues }) => {
    const shards = Object.values(await job.getChildrenValues<ShardSummary>());
    const summary = addSummaries(p.asOf, shards);
    await finishRun(prisma, BigInt(p.runId), summary);
    // The band changes go to the notifications queue (which also delivers whatever Slack could not
    // be told before); the job id makes a retried finalize hand them over once.
    const run = await prisma.recomputeRun.findUniqueOrThrow({ where: { id: BigInt(p.runId) } });
    runDuration.observe((Date.now() - run.startedAt.getTime()) / 1000);
    accountsScored.inc(summary.scored);
    await enqueue(
      queues,
      notifyBandChanges,
      { workspaceId: p.workspaceId, runId: p.runId },
      notifyJobId(run),
    );
    // The scores to the CRMs of connectors with write-back on, one job each (ids per run, as above).
    await enqueueWriteBacks(prisma, queues, p.workspaceId, run);
    return summary;
  },
});
