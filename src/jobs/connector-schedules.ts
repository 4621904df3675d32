// Each connector's schedule: a BullMQ job scheduler `sync-conn-<id>` firing connector-sync at the
// connector's cadence (settings.cadence, default hourly) in its workspace's time zone. Upserted when
// a connector is added, removed with it, and made to match the database by every worker's
// schedule sync (at start and every 5 minutes), which also moves them when a time zone changes.
import { cadenceOf } from "../connectors/common-settings.ts";
import { allConnectors } from "../db/repositories/connectors.ts";
import { readSettings } from "../config/workspace-settings.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { jobOptions } from "./define-job.ts";
import { connectorSync } from "./definitions/connector-sync.ts";
import type { Queues } from "./queues.ts";

const PREFIX = "sync-conn-";

export function connectorSchedulerId(connectorId: number): string {
  return `${PREFIX}${connectorId}`;
}

export async function upsertConnectorSchedule(
  queues: Queues,
  connector: { id: number; workspaceId: number; settings: unknown },
  timezone: string,
): Promise<void> {
  await queues.queue.sync.upsertJobScheduler(
    connectorSchedulerId(connector.id),
    { pattern: cadenceOf(connector.settings), tz: timezone },
    {
      name: connectorSync.name,
      data: { workspaceId: connector.workspaceId, connectorId: connector.id },
      opts: jobOptions(connectorSync),
    },
  );
}

export async function removeConnectorSchedule(queues: Queues, connectorId: number): Promise<void> {
  await queues.queue.sync.removeJobScheduler(connectorSchedulerId(connectorId));
}

/** Makes Redis hold exactly one scheduler per connector of a live workspace. */
export async function syncConnectorSchedules(prisma: PrismaClient, queues: Queues): Promise<number> {
  const connectors = await allConnectors(prisma);
  for (const c of connectors) {
    await upsertConnectorSchedule(queues, c, readSettings({ timezone: c.timezone }).timezone);
  }
  const live = new Set(connectors.map((c) => connectorSchedulerId(c.id)));
  for (const scheduler of await queues.queue.sync.getJobSchedulers()) {
    if (scheduler.key.startsWith(PREFIX) && !live.has(scheduler.key)) {
      await queues.queue.sync.removeJobScheduler(scheduler.key);
    }
  }
  return connectors.length;
}
