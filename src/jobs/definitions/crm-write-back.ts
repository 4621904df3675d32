// Writes a recompute's scores back to one connector's CRM (sync queue: vendor calls, like a sync),
// enqueued by recompute-finalize for each connector with write-back on. One job per run and
// connector; running it again sends nothing already written (values are compared first). A refused
// field stops write-back for the connector inside the job (recorded, told once): the job succeeds,
// so it is not retried; an unavailable CRM fails the job, which retries from what is left.
import { UnrecoverableError } from "bullmq";
import { z } from "zod";
import type { Prisma, PrismaClient } from "../../generated/prisma/client.ts";
import { CRM_WRITERS, writeBackKinds } from "../../connectors/write-back/registry.ts";
import { runWriteBack } from "../../services/crm-write-back.ts";
import { defineJob } from "../define-job.ts";
import { enqueue } from "../enqueue.ts";
import type { Queues } from "../queues.ts";

export const crmWriteBackPayload = z.object({
  workspaceId: z.number().int().positive(),
  connectorId: z.number().int().positive(),
  /** The recompute run it follows; absent when run by hand. */
  runId: z.string().regex(/^\d+$/).optional(),
});

/** As notifyJobId: the run's start time keeps a re-created database's run ids from colliding. */
export function crmWriteBackJobId(connectorId: number, run: { id: bigint; startedAt: Date }): string {
  return `writeback-${connectorId}-${run.id}-${run.startedAt.getTime().toString(36)}`;
}

export const crmWriteBack = defineJob({
  name: "crm-write-back",
  queue: "sync",
  payload: crmWriteBackPayload,
  // 1, 2, 4, 8 minutes apart (with jitter), as a sync: a CRM outage of a quarter of an hour is ridden out.
  attempts: 5,
  backoffMs: 60_000,
  handler: async (p, { prisma, slack, secretBox }) => {
    const workspace = await prisma.workspace.findFirst({ where: { id: p.workspaceId, deletedAt: null } });
    if (!workspace) throw new UnrecoverableError(`workspace ${p.workspaceId} no longer exists`);
    // Its result (ids as strings, no bigint) is the job's return value, kept as JSON by BullMQ.
    return runWriteBack({ prisma, box: secretBox ?? null, slack }, p.connectorId, {
      workspaceId: p.workspaceId,
      recomputeRunId: p.runId === undefined ? null : BigInt(p.runId),
    });
  },
});

/** Enqueues a run's write-backs: one job per connector of the workspace with write-back on. */
export async function enqueueWriteBacks(
  prisma: PrismaClient | Prisma.TransactionClient,
  queues: Queues,
  workspaceId: number,
  run: { id: bigint; startedAt: Date },
): Promise<string[]> {
  const connectors = await prisma.connectorConfig.findMany({
    where: { workspaceId, writeBack: true, writeBackError: null, kind: { in: writeBackKinds(CRM_WRITERS) } },
    select: { id: true },
    orderBy: { id: "asc" },
  });
  const ids: string[] = [];
  for (const c of connectors)
    ids.push(
      await enqueue(
        queues,
        crmWriteBack,
        { workspaceId, connectorId: c.id, runId: run.id.toString() },
        crmWriteBackJobId(c.id, run),
      ),
    );
  return ids;
}
