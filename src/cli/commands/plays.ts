// css-bot plays validate|set|show: playbooks are stored and shown as scoring models are (model.ts).
import { existsSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { DEFAULT_MODEL } from "../../domain/model/default-model.ts";
import type { ScoringModel } from "../../domain/model/schema.ts";
import { describePlaybook } from "../../domain/plays/describe-playbook.ts";
import { audit } from "../../db/repositories/audit-log.ts";
import { findActiveModel } from "../../db/repositories/models.ts";
import {
  activePlaybook,
  DEFAULT_ACTIVE_PLAYBOOK,
  storePlaybookVersion,
} from "../../db/repositories/playbooks.ts";
import { findWorkspace } from "../../db/repositories/workspaces.ts";
import type { Db } from "../../db/handle.ts";
import type { CliContext } from "../context.ts";
import { registerPlaysDeliveries } from "./plays-deliveries.ts";
import { readPlaybookFile, refuseModelMismatches } from "../read-playbook-file.ts";
import { withDatabase, withWorkspace, workspaceSlug } from "../workspace.ts";

/** Registers `plays` and its subcommands; returns it, so more subcommands (`plays test`) can join it. */
export function registerPlays(program: Command, ctx: CliContext): Command {
  const plays = program.command("plays").description("validate, store and show playbooks");

  plays
    .command("validate")
    .description("check a playbook file against the workspace's scoring model and summarise it")
    .argument("<file>", "playbook file (YAML or JSON)")
    .action(async (file: string, _opts: unknown, command: Command) => {
      const read = await readPlaybookFile(file);
      const model = await modelForValidate(ctx, command);
      refuseModelMismatches(read, model.model);
      ctx.io.stdout.write(
        `${file}: valid (checked against ${model.label})\n${describePlaybook(read.playbook)}`,
      );
    });

  plays
    .command("set")
    .description("store a playbook file as a new version and make it the workspace's active playbook")
    .argument("<file>", "playbook file (YAML or JSON)")
    .action(async (file: string, _opts: unknown, command: Command) => {
      const read = await readPlaybookFile(file);
      const { playbook, source } = read;
      const stored = await withWorkspace(ctx, command, { create: true }, async (db, workspace) => {
        refuseModelMismatches(read, (await workspaceModel(db.prisma, workspace.id)).model);
        const version = await storePlaybookVersion(db.prisma, workspace.id, playbook, source, "cli");
        await audit(db.prisma, workspace.id, {
          actor: "cli",
          action: "playbook.set",
          target: playbook.name,
          details: { version: version.version, file },
        });
        return { name: playbook.name, version: version.version };
      });
      ctx.io.stdout.write(
        `stored playbook "${stored.name}" as version ${stored.version}; it is now active\n`,
      );
    });

  plays
    .command("show")
    .description("print the workspace's active playbook (the default playbook when none was set)")
    .option("--json", "print the validated playbook as JSON")
    .action(async (opts: { json?: boolean }, command: Command) => {
      const active = await withDatabase(ctx, async (db) => {
        const workspace = await findWorkspace(db.prisma, workspaceSlug(command));
        return workspace ? activePlaybook(db.prisma, workspace.id) : DEFAULT_ACTIVE_PLAYBOOK;
      });
      if (opts.json) {
        ctx.io.stdout.write(`${JSON.stringify(active.playbook, null, 2)}\n`);
        return;
      }
      const header = active.isDefault
        ? "# active playbook: the default playbook (none set)\n"
        : `# active playbook: version ${active.version}\n`;
      ctx.io.stdout.write(header + active.source);
    });

  registerPlaysDeliveries(plays, ctx);
  return plays;
}

interface ModelForCheck {
  model: ScoringModel;
  /** For the output: which model the playbook was checked against. */
  label: string;
}

/** The workspace's active scoring model, else the default model (the one it would score with). */
async function workspaceModel(db: Db, workspaceId: number): Promise<ModelForCheck> {
  const active = await findActiveModel(db, workspaceId);
  return active
    ? { model: active.model, label: `the model "${active.model.name}", version ${active.version}` }
    : { model: DEFAULT_MODEL, label: "the default model (none set)" };
}

/**
 * `validate` reads the database only when one is configured (DATABASE_URL, or an embedded database
 * already made): checking a file must not create a database as a side effect.
 */
async function modelForValidate(ctx: CliContext, command: Command): Promise<ModelForCheck> {
  const configured =
    ctx.config.databaseUrl !== undefined || existsSync(path.join(ctx.config.dataDir, "pglite"));
  if (!configured) return { model: DEFAULT_MODEL, label: "the default model (no database configured)" };
  return withDatabase(ctx, async (db) => {
    const workspace = await findWorkspace(db.prisma, workspaceSlug(command));
    return workspace
      ? workspaceModel(db.prisma, workspace.id)
      : { model: DEFAULT_MODEL, label: "the default model (none set)" };
  });
}
