// Starts a recompute run on the queue: a flow whose children score the shards and whose parent
// closes the run. Job ids are derived from the run's row (workspace, slot and start time, fixed when
// the run is first planned), so a duplicate enqueue, a retried tick or another replica adds nothing:
// one run per slot. The start time keeps a database re-created or restored under the same Redis
// from meeting an earlier database's finished jobs of the same workspace id and slot.
import type { Day } from "../domain/dates.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { addSummaries, finishRun, planRun } from "../services/recompute.ts";
import { jobOptions } from "./define-job.ts";
import { recomputeFinalize } from "./definitions/recompute-finalize.ts";
import { recomputeShard } from "./definitions/recompute-shard.ts";
import type { Queues } from "./queues.ts";

export interface StartedRun {
  runId: bigint;
  jobId: string;
  shards: number;
  /** False when the slot had already run (or was already queued). */
  started: boolean;
}

export function runJobId(workspaceId: number, slot: string, startedAt: Date): string {
  return `run-${workspaceId}-${slot}-${startedAt.getTime().toString(36)}`;
}

export async function startRunFlow(
  prisma: PrismaClient,
  queues: Queues,
  run: { workspaceId: number; asOf: Day; slot: string; trigger: string; shardSize?: number },
): Promise<StartedRun> {
  const plan = await planRun(prisma, run.workspaceId, run.asOf, {
    slot: run.slot,
    trigger: run.trigger,
    shardSize: run.shardSize,
  });
  const jobId = runJobId(run.workspaceId, run.slot, plan.startedAt);
  if (plan.finished) return { runId: plan.runId, jobId, shards: plan.shards.length, started: false };
  if (plan.shards.length === 0) {
    await finishRun(prisma, plan.runId, addSummaries(plan.asOf, []));
    return { runId: plan.runId, jobId, shards: 0, started: plan.created };
  }
  const common = { workspaceId: run.workspaceId, runId: plan.runId.toString(), asOf: plan.asOf };
  await queues.flow.add({
    name: recomputeFinalize.name,
    queueName: recomputeFinalize.queue,
    data: common,
    opts: jobOptions(recomputeFinalize, jobId),
    children: plan.shards.map((shard, i) => ({
      name: recomputeShard.name,
      queueName: recomputeShard.queue,
      data: { ...common, modelId: plan.modelId, startedAt: plan.startedAt.toISOString(), ...shard },
      opts: { ...jobOptions(recomputeShard, `${jobId}-s${i}`), failParentOnFailure: true },
    })),
  });
  return { runId: plan.runId, jobId, shards: plan.shards.length, started: plan.created };
}
