// Workspaces: a Slack team, or a local workspace for the CLI and the demo.
import { readSourcePrecedence } from "../../config/workspace-settings.ts";
import { sourceGuard, type ObservationSource, type SourceGuard } from "../../domain/source-precedence.ts";
import { KnownError } from "../../errors.ts";
import type { Workspace } from "../../generated/prisma/client.ts";
import type { Db } from "../handle.ts";

export class WorkspaceNotFoundError extends KnownError {
  readonly code = "WORKSPACE_NOT_FOUND";
  constructor(readonly slug: string) {
    super(`no workspace "${slug}" (it is created by the first import or \`model set\` into it)`);
  }
}

export async function findWorkspace(db: Db, slug: string): Promise<Workspace | null> {
  return db.workspace.findFirst({ where: { slug, deletedAt: null } });
}

export async function requireWorkspace(db: Db, slug: string): Promise<Workspace> {
  const workspace = await findWorkspace(db, slug);
  if (!workspace) throw new WorkspaceNotFoundError(slug);
  return workspace;
}

/** The workspace, created on first use (for commands that write into it). */
export async function ensureWorkspace(db: Db, slug: string): Promise<Workspace> {
  return db.workspace.upsert({ where: { slug }, update: {}, create: { slug, name: slug } });
}

/** The workspace connected to a Slack team, if any. */
export async function findWorkspaceByTeam(db: Db, teamId: string): Promise<Workspace | null> {
  return db.workspace.findFirst({ where: { slackTeamId: teamId, deletedAt: null } });
}

/**
 * Single-workspace installs: connects the workspace `slug` (created if need be) to the Slack team the
 * bot token belongs to. A workspace already connected to another team is left alone: null.
 */
export async function connectWorkspaceToTeam(
  db: Db,
  slug: string,
  teamId: string,
): Promise<Workspace | null> {
  const existing = await findWorkspaceByTeam(db, teamId);
  if (existing) return existing;
  const workspace = await ensureWorkspace(db, slug);
  const claimed = await db.workspace.updateMany({
    where: { id: workspace.id, slackTeamId: null },
    data: { slackTeamId: teamId },
  });
  return claimed.count === 1 ? { ...workspace, slackTeamId: teamId } : findWorkspaceByTeam(db, teamId);
}

/**
 * What a writer of observations passes to upsertObservations: its source, and the sources ranked
 * above it in the workspace's precedence. Read once per import, API batch, track batch or sync run,
 * so a changed setting applies from the next one.
 */
export async function loadSourceGuard(
  db: Db,
  workspaceId: number,
  source: ObservationSource,
): Promise<SourceGuard> {
  const workspace = await db.workspace.findUniqueOrThrow({
    where: { id: workspaceId },
    select: { settings: true },
  });
  return sourceGuard(readSourcePrecedence(workspace.settings), source);
}
