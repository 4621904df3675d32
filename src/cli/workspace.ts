// Opens the configured database (applying pending migrations, so a clone needs no setup step) and
// the workspace the command acts on, runs the command, and closes the database whatever happens.
import type { Command } from "commander";
import { migrateDatabase, openDatabase, type Database } from "../db/client.ts";
import { ensureWorkspace, requireWorkspace } from "../db/repositories/workspaces.ts";
import type { Workspace } from "../generated/prisma/client.ts";
import type { CliContext } from "./context.ts";

export interface WorkspaceOptions {
  /** Create the workspace if it does not exist (commands that write into it). */
  create: boolean;
}

export function workspaceSlug(command: Command): string {
  return command.optsWithGlobals<{ workspace: string }>().workspace;
}

export async function withDatabase<T>(ctx: CliContext, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase({ databaseUrl: ctx.config.databaseUrl, dataDir: ctx.config.dataDir });
  try {
    await migrateDatabase(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}

export async function withWorkspace<T>(
  ctx: CliContext,
  command: Command,
  options: WorkspaceOptions,
  fn: (db: Database, workspace: Workspace) => Promise<T>,
): Promise<T> {
  const slug = workspaceSlug(command);
  return withDatabase(ctx, async (db) => {
    const workspace = options.create
      ? await ensureWorkspace(db.prisma, slug)
      : await requireWorkspace(db.prisma, slug);
    return fn(db, workspace);
  });
}
