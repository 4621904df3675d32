// Connector configurations and their sync runs. The sealed secret is only ever read by the sync
// runner (and replaced by `connectors add`); listings never select it.
import type { ConnectorConfig, Prisma, SyncRun } from "../../generated/prisma/client.ts";
import type { Db } from "../handle.ts";

/** A connector's state: `active` (last sync fine, or none yet), `auth_failed`, `error`. */
export type ConnectorStatus = "active" | "auth_failed" | "error";

export async function findConnectorByName(
  db: Db,
  workspaceId: number,
  name: string,
): Promise<ConnectorConfig | null> {
  return db.connectorConfig.findUnique({ where: { workspaceId_name: { workspaceId, name } } });
}

/** Scoped by workspace: a connector id of another workspace is not found. */
export async function findConnector(
  db: Db,
  workspaceId: number,
  connectorId: number,
): Promise<ConnectorConfig | null> {
  return db.connectorConfig.findFirst({ where: { id: connectorId, workspaceId } });
}

export type ConnectorListing = Omit<ConnectorConfig, "encryptedSecret" | "cursor"> & {
  lastRun: SyncRun | null;
};

/** The workspace's connectors by name, each with its latest sync run (never the secret). */
export async function listConnectors(db: Db, workspaceId: number): Promise<ConnectorListing[]> {
  const rows = await db.connectorConfig.findMany({
    where: { workspaceId },
    orderBy: { name: "asc" },
    omit: { encryptedSecret: true, cursor: true },
    include: { syncRuns: { orderBy: { startedAt: "desc" }, take: 1 } },
  });
  return rows.map(({ syncRuns, ...c }) => ({ ...c, lastRun: syncRuns[0] ?? null }));
}

/** Every connector of every live workspace, for the schedules. */
export async function allConnectors(
  db: Db,
): Promise<{ id: number; workspaceId: number; settings: Prisma.JsonValue; timezone: unknown }[]> {
  const rows = await db.connectorConfig.findMany({
    where: { workspace: { deletedAt: null } },
    select: { id: true, workspaceId: true, settings: true, workspace: { select: { settings: true } } },
  });
  return rows.map((r) => ({
    id: r.id,
    workspaceId: r.workspaceId,
    settings: r.settings,
    timezone: (r.workspace.settings as { timezone?: unknown } | null)?.timezone,
  }));
}

/** Runs still marked running when a new one starts were cut short (the process stopped). */
export async function startSyncRun(db: Db, workspaceId: number, connectorId: number): Promise<bigint> {
  await db.syncRun.updateMany({
    where: { connectorId, status: "running" },
    data: {
      status: "failed",
      error:
        "interrupted: the sync stopped before it finished (the next run resumed from its last committed page)",
      finishedAt: new Date(),
    },
  });
  const run = await db.syncRun.create({ data: { workspaceId, connectorId, status: "running" } });
  return run.id;
}

export interface PageCounts {
  read: number;
  written: number;
  rejected: number;
  /** Metric values not written: another source's value for the day ranks above the connector's. */
  superseded: number;
}

/** In the page's transaction: the cursor moves and the run counts the page. */
export async function commitPageProgress(
  db: Db,
  connectorId: number,
  runId: bigint,
  cursor: Prisma.InputJsonValue,
  counts: PageCounts,
): Promise<void> {
  await db.connectorConfig.update({ where: { id: connectorId }, data: { cursor } });
  await db.syncRun.update({
    where: { id: runId },
    data: {
      read: { increment: counts.read },
      written: { increment: counts.written },
      rejected: { increment: counts.rejected },
      superseded: { increment: counts.superseded },
    },
  });
}

export async function finishSyncRun(
  db: Db,
  runId: bigint,
  outcome: { status: "succeeded" } | { status: "failed"; error: string },
): Promise<SyncRun> {
  return db.syncRun.update({
    where: { id: runId },
    data: {
      status: outcome.status,
      error: outcome.status === "failed" ? outcome.error : null,
      finishedAt: new Date(),
    },
  });
}

export async function markConnectorSynced(db: Db, connectorId: number, at: Date): Promise<void> {
  await db.connectorConfig.update({
    where: { id: connectorId },
    data: { status: "active", lastError: null, lastSyncAt: at },
  });
}

/**
 * Records a failure. Returns true when it starts a streak of this status (the connector was not
 * already in it), so admins are told once per streak, not once per attempt.
 */
export async function markConnectorFailed(
  db: Db,
  connectorId: number,
  status: Exclude<ConnectorStatus, "active">,
  error: string,
): Promise<boolean> {
  const changed = await db.connectorConfig.updateMany({
    where: { id: connectorId, status: { not: status } },
    data: { status, lastError: error },
  });
  if (changed.count === 0) {
    await db.connectorConfig.update({ where: { id: connectorId }, data: { lastError: error } });
  }
  return changed.count === 1;
}
