// Process-local chores, on node-cron: they may run in every replica at once and may be skipped
// while a process is down, so nothing here may need to run exactly once (BullMQ schedules do that).
import cron from "node-cron";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { resumeLostRuns } from "../jobs/run-watchdog.ts";
import { syncSchedules } from "../jobs/schedules.ts";
import type { Queues } from "../jobs/queues.ts";
import type { Logger } from "../log.ts";

export const RUN_RETENTION_DAYS = 90;

export interface Chores {
  stop(): Promise<void>;
}

export function startChores(o: { prisma: PrismaClient; queues: Queues; log: Logger }): Chores {
  const chore = (name: string, pattern: string, fn: () => Promise<unknown>) =>
    cron.schedule(
      pattern,
      async () => {
        try {
          await fn();
        } catch (e) {
          o.log.warn(`chore ${name} failed`, { error: (e as Error).message });
        }
      },
      { name, noOverlap: true },
    );
  const tasks = [
    // Settings changed while Redis was unreachable still reach the schedules (upserts are idempotent).
    chore("sync-schedules", "*/5 * * * *", () => syncSchedules(o.prisma, o.queues)),
    chore("prune-runs", "17 3 * * *", () => pruneRuns(o.prisma, RUN_RETENTION_DAYS)),
    // A run whose jobs Redis lost (restarted without persistence) is added again, never left running.
    chore("resume-lost-runs", "* * * * *", () => resumeLostRuns(o.prisma, o.queues, o.log)),
  ];
  return {
    stop: async () => {
      for (const t of tasks) await t.stop();
    },
  };
}

/** Deletes run records older than `days` days (their snapshots and band changes stay). */
export async function pruneRuns(prisma: PrismaClient, days: number): Promise<number> {
  const { count } = await prisma.recomputeRun.deleteMany({
    where: {
      startedAt: { lt: new Date(Date.now() - days * 86_400_000) },
      status: { in: ["succeeded", "failed"] },
    },
  });
  return count;
}
