// css-bot model validate|set|show
import type { Command } from "commander";
import { DEFAULT_MODEL_SOURCE } from "../../domain/model/default-model.ts";
import { parseModel } from "../../domain/model/parse-model.ts";
import type { ScoringModel } from "../../domain/model/schema.ts";
import { audit } from "../../db/repositories/audit-log.ts";
import { findActiveModel, storeModelVersion } from "../../db/repositories/models.ts";
import { findWorkspace } from "../../db/repositories/workspaces.ts";
import type { CliContext } from "../context.ts";
import { readModelFile } from "../read-model-file.ts";
import { withDatabase, withWorkspace, workspaceSlug } from "../workspace.ts";

export function registerModel(program: Command, ctx: CliContext): void {
  const model = program.command("model").description("validate, store and show scoring models");

  model
    .command("validate")
    .description("check a model file and summarise it")
    .argument("<file>", "model file (YAML or JSON)")
    .action(async (file: string) => {
      const { model: m } = await readModelFile(file);
      ctx.io.stdout.write(`${file}: valid\n${describeModel(m)}`);
    });

  model
    .command("set")
    .description("store a model file as a new version and make it the workspace's active model")
    .argument("<file>", "model file (YAML or JSON)")
    .action(async (file: string, _opts: unknown, command: Command) => {
      const { model: m, source } = await readModelFile(file);
      const stored = await withWorkspace(ctx, command, { create: true }, async (db, workspace) => {
        const version = await storeModelVersion(db.prisma, workspace.id, m, source, "cli");
        await audit(db.prisma, workspace.id, {
          actor: "cli",
          action: "model.set",
          target: m.name,
          details: { version: version.version, file },
        });
        return version;
      });
      ctx.io.stdout.write(
        `stored model "${m.name}" as version ${stored.version}; it is now active (run \`css-bot recompute\` to rescore)\n`,
      );
    });

  model
    .command("show")
    .description("print the workspace's active model (the default model when none was set)")
    .option("--json", "print the validated model as JSON")
    .action(async (opts: { json?: boolean }, command: Command) => {
      const active = await withDatabase(ctx, async (db) => {
        const workspace = await findWorkspace(db.prisma, workspaceSlug(command));
        return workspace ? findActiveModel(db.prisma, workspace.id) : null;
      });
      if (opts.json) {
        ctx.io.stdout.write(
          `${JSON.stringify(active?.model ?? parseModel(DEFAULT_MODEL_SOURCE), null, 2)}\n`,
        );
        return;
      }
      const header = active
        ? `# active model: version ${active.version}\n`
        : "# active model: the default model (none set)\n";
      ctx.io.stdout.write(header + (active?.source ?? DEFAULT_MODEL_SOURCE));
    });
}

function describeModel(m: ScoringModel): string {
  const total = m.components.reduce((s, c) => s + c.weight, 0);
  const lines = m.components.map((c) => {
    const input =
      c.input.survey !== undefined ? `${c.input.survey} survey` : `${c.input.agg}(${c.input.metric})`;
    return `  ${c.key.padEnd(14)} ${`${((c.weight / total) * 100).toFixed(1)}%`.padStart(6)}  ${input} over ${c.input.window_days} days`;
  });
  const bands = [...m.bands]
    .sort((a, b) => b.min - a.min)
    .map((b) => `${b.key} >= ${b.min}`)
    .join(", ");
  const segments = Object.keys(m.segments ?? {});
  return [
    `model "${m.name}": ${m.components.length} components, min coverage ${m.min_coverage}, hysteresis ${m.hysteresis}`,
    ...lines,
    `  bands: ${bands}`,
    ...(segments.length > 0 ? [`  segments with overrides: ${segments.join(", ")}`] : []),
    "",
  ].join("\n");
}
