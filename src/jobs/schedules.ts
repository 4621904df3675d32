// Each workspace's schedules (recompute, digest, rollups, webhooks), as BullMQ job schedulers: they live in Redis, fire
// once however many replicas run, and a fire due while no worker was up runs when one starts.
import type { PrismaClient } from "../generated/prisma/client.ts";
import { readSettings, type WorkspaceSettings } from "../config/workspace-settings.ts";
import { syncConnectorSchedules } from "./connector-schedules.ts";
import { jobOptions } from "./define-job.ts";
import { deliverWebhooksJob } from "./definitions/deliver-webhooks.ts";
import { digestTick } from "./definitions/digest-tick.ts";
import { recomputeTick } from "./definitions/recompute-tick.ts";
import { refreshRollupsJob } from "./definitions/refresh-rollups.ts";
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

export function digestSchedulerId(workspaceId: number): string {
  return `digest-ws-${workspaceId}`;
}

/** The cron pattern of a digest at local time HH:MM on days 1 (Monday) ... 7 (Sunday). */
export function digestPattern(time: string, days: readonly number[]): string {
  const [hh, mm] = time.split(":").map(Number);
  const dow = [...new Set(days.map((d) => d % 7))].sort((a, b) => a - b).join(",");
  return `${mm} ${hh} * * ${dow}`;
}

export async function upsertDigestSchedule(
  queues: Queues,
  workspaceId: number,
  schedule: { time: string; days: readonly number[]; tz: string },
): Promise<void> {
  await queues.queue.notify.upsertJobScheduler(
    digestSchedulerId(workspaceId),
    { pattern: digestPattern(schedule.time, schedule.days), tz: schedule.tz },
    { name: digestTick.name, data: { workspaceId }, opts: jobOptions(digestTick) },
  );
}

export function rollupsSchedulerId(workspaceId: number): string {
  return `rollups-ws-${workspaceId}`;
}

/** How often a workspace's rollups are brought up to date (services/refresh-rollups.ts). */
export const ROLLUPS_PATTERN = "*/5 * * * *";

export async function upsertRollupsSchedule(queues: Queues, workspaceId: number, tz: string): Promise<void> {
  await queues.queue.sync.upsertJobScheduler(
    rollupsSchedulerId(workspaceId),
    { pattern: ROLLUPS_PATTERN, tz },
    { name: refreshRollupsJob.name, data: { workspaceId }, opts: jobOptions(refreshRollupsJob) },
  );
}

export function webhooksSchedulerId(workspaceId: number): string {
  return `webhooks-ws-${workspaceId}`;
}

/**
 * How often a workspace's due webhook calls are sent (services/plays/webhooks.ts). Only workspaces
 * with a webhook secret have this schedule (syncSchedules): without one nothing can be sent, and
 * the calls say so in the delivery log from the start.
 */
export const WEBHOOKS_PATTERN = "* * * * *";

export async function upsertWebhooksSchedule(queues: Queues, workspaceId: number): Promise<void> {
  await queues.queue.notify.upsertJobScheduler(
    webhooksSchedulerId(workspaceId),
    { pattern: WEBHOOKS_PATTERN },
    { name: deliverWebhooksJob.name, data: { workspaceId }, opts: jobOptions(deliverWebhooksJob) },
  );
}

/** Creates or moves every schedule of a workspace (recompute, digest, rollups), as its settings say. */
export async function upsertWorkspaceSchedules(
  queues: Queues,
  workspaceId: number,
  settings: WorkspaceSettings,
): Promise<void> {
  await upsertRecomputeSchedule(queues, workspaceId, {
    pattern: settings.recompute_cron,
    tz: settings.timezone,
  });
  await upsertDigestSchedule(queues, workspaceId, {
    time: settings.digest_time,
    days: settings.digest_days,
    tz: settings.timezone,
  });
  await upsertRollupsSchedule(queues, workspaceId, settings.timezone);
}

/**
 * Makes Redis hold exactly one schedule of each kind per live workspace, as its settings say (the
 * webhooks' only where a webhook secret is set), and one per connector (connector-schedules.ts).
 */
export async function syncSchedules(prisma: PrismaClient, queues: Queues): Promise<number> {
  const workspaces = await prisma.workspace.findMany({
    where: { deletedAt: null },
    select: { id: true, settings: true },
  });
  for (const w of workspaces) {
    await upsertWorkspaceSchedules(queues, w.id, readSettings(w.settings));
  }
  const live = new Set(workspaces.map((w) => recomputeSchedulerId(w.id)));
  for (const scheduler of await queues.queue.recompute.getJobSchedulers()) {
    if (scheduler.key.startsWith("recompute-ws-") && !live.has(scheduler.key)) {
      await queues.queue.recompute.removeJobScheduler(scheduler.key);
    }
  }
  const signing = await prisma.workspace.findMany({
    where: { deletedAt: null, webhookSecret: { not: null } },
    select: { id: true },
  });
  for (const w of signing) await upsertWebhooksSchedule(queues, w.id);
  const liveNotify = new Set([
    ...workspaces.map((w) => digestSchedulerId(w.id)),
    ...signing.map((w) => webhooksSchedulerId(w.id)),
  ]);
  for (const scheduler of await queues.queue.notify.getJobSchedulers()) {
    const perWorkspace = scheduler.key.startsWith("digest-ws-") || scheduler.key.startsWith("webhooks-ws-");
    if (perWorkspace && !liveNotify.has(scheduler.key)) {
      await queues.queue.notify.removeJobScheduler(scheduler.key);
    }
  }
  const liveRollups = new Set(workspaces.map((w) => rollupsSchedulerId(w.id)));
  for (const scheduler of await queues.queue.sync.getJobSchedulers()) {
    if (scheduler.key.startsWith("rollups-ws-") && !liveRollups.has(scheduler.key)) {
      await queues.queue.sync.removeJobScheduler(scheduler.key);
    }
  }
  await syncConnectorSchedules(prisma, queues);
  return workspaces.length;
}
