// Each workspace's recompute schedule, as a BullMQ job scheduler: it lives in Redis, fires once
// however many replicas run, and a fire due while no worker was up runs when one starts.
import type { PrismaClient } from "../generated/prisma/client.ts";
import { readSettings } from "../config/workspace-settings.ts";
import { jobOptions } from "./define-job.ts";
import { recomputeTick } from "./definitions/recompute-tick.ts";
import type { Queues } from "./queues.ts";

export function recomputeSchedulerId(workspaceId: number): string {
  return `recompute-ws-${workspaceId}`;
}

/** Creates or moves a workspace's recompute schedule (cron `pattern` in time zone `tz`). */
export async function upsertRecomputeSchedule(
  queues: Queues,
  workspaceId: number,
  schedule: { pattern: string; tz: string },
): Promise<void> {
  await queues.queue.recompute.upsertJobScheduler(
    recomputeSchedulerId(workspaceId),
    { pattern: schedule.pattern, tz: schedule.tz },
    { name: recomputeTick.name, data: { workspaceId, trigger: "schedule" }, opts: jobOptions(recomputeTick) },
  );
}

/** Makes Redis hold exactly one schedule per live workspace, as its settings say. */
export async function syncSchedules(prisma: PrismaClient, queues: Queues): Promise<number> {
  const workspaces = await prisma.workspace.findMany({
    where: { deletedAt: null },
    select: { id: true, settings: true },
  });
  for (const w of workspaces) {
    const settings = readSettings(w.settings);
    await upsertRecomputeSchedule(queues, w.id, { pattern: settings.recompute_cron, tz: settings.timezone });
  }
  const live = new Set(workspaces.map((w) => recomputeSchedulerId(w.id)));
  for (const scheduler of await queues.queue.recompute.getJobSchedulers()) {
    if (scheduler.key.startsWith("recompute-ws-") && !live.has(scheduler.key)) {
      await queues.queue.recompute.removeJobScheduler(scheduler.key);
    }
  }
  return workspaces.length;
}
