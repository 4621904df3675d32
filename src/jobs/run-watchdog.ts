// Runs whose jobs are gone: a Redis restarted without persistence (or flushed) loses a run's flow,
// and nothing would ever close the run, which would show as running forever. Every worker looks
// for them now and then (main/chores.ts): a queued run left running whose flow is not in Redis is
// added again. That is safe because planRun returns the same run and shard plan, and a shard that
// had already been written writes the same rows again. A run of a workspace since deleted is failed
// with the reason, and so is a run whose flow failed while the database was down.
import type { Job } from "bullmq";
import { dateToDay } from "../domain/dates.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../log.ts";
import { failRun } from "../services/recompute.ts";
import type { Queues } from "./queues.ts";
import { runJobId, startRunFlow } from "./run-flow.ts";

/** Triggers of runs made on the queue (the command line's and the demo's run in their process). */
export const QUEUED_TRIGGERS = ["schedule", "manual"];

/** How long a run may be without its flow before it counts as lost (planRun, then the flow's add). */
export const LOST_AFTER_MS = 60_000;

export async function resumeLostRuns(
  prisma: PrismaClient,
  queues: Queues,
  log: Logger,
  now: Date = new Date(),
): Promise<{ resumed: number; failed: number }> {
  const runs = await prisma.recomputeRun.findMany({
    where: {
      status: "running",
      trigger: { in: QUEUED_TRIGGERS },
      startedAt: { lt: new Date(now.getTime() - LOST_AFTER_MS) },
    },
    include: { workspace: { select: { deletedAt: true } } },
  });
  const outcome = { resumed: 0, failed: 0 };
  for (const run of runs) {
    const flow = await queues.queue.recompute.getJob(runJobId(run.workspaceId, run.slot, run.startedAt));
    if (flow) {
      // A shard failed for good while the database could not record it (it gave up waiting for an
      // outage): the flow has failed, and the run is closed now that the database answers.
      if (await flow.isFailed()) {
        await failRun(prisma, run.id, `a shard failed: ${await shardFailure(queues, flow)}`);
        outcome.failed++;
      }
      continue;
    }
    if (run.workspace.deletedAt !== null) {
      await failRun(prisma, run.id, "its jobs were lost from Redis and its workspace was deleted");
      outcome.failed++;
      continue;
    }
    await startRunFlow(prisma, queues, {
      workspaceId: run.workspaceId,
      asOf: dateToDay(run.asOf),
      slot: run.slot,
      trigger: run.trigger,
    });
    log.warn("run resumed: its jobs were not in Redis (restarted without persistence?)", {
      run: run.id,
      workspace: run.workspaceId,
      slot: run.slot,
    });
    outcome.resumed++;
  }
  return outcome;
}

/** The failed shard's reason, from its flow's "child <prefix>:recompute:<id> failed". */
async function shardFailure(queues: Queues, flow: Job): Promise<string> {
  const child = /^child .*:([^:]+) failed$/.exec(flow.failedReason ?? "")?.[1];
  const shard = child ? await queues.queue.recompute.getJob(child) : undefined;
  return shard?.failedReason ?? flow.failedReason ?? "unknown";
}
