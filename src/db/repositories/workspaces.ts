// Workspaces: a Slack team, or a local workspace for the CLI and the demo.
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
