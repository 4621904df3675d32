// css-bot recompute: scores every account in the database with the active model.
import type { Command } from "commander";
import { recomputeWorkspace } from "../../services/recompute.ts";
import type { CliContext } from "../context.ts";
import { asOfOption } from "../options.ts";
import { withWorkspace } from "../workspace.ts";

export function registerRecompute(program: Command, ctx: CliContext): void {
  program
    .command("recompute")
    .description("score every active account with the active model; store snapshots and band changes")
    .option(
      "--as-of <date>",
      "score as of this date, YYYY-MM-DD (default: today, UTC); recomputing a date replaces its snapshots",
    )
    .option("--json", "print { as_of, accounts, scored, insufficient_data, band_changes, errors }")
    .action(async (opts: { asOf?: string; json?: boolean }, command: Command) => {
      const asOf = asOfOption(opts.asOf);
      const { runId: _runId, ...summary } = await withWorkspace(
        ctx,
        command,
        { create: false },
        (db, workspace) => recomputeWorkspace(db.prisma, workspace.id, asOf, { trigger: "cli" }),
      );
      if (opts.json) {
        ctx.io.stdout.write(`${JSON.stringify(summary)}\n`);
        return;
      }
      ctx.io.stdout.write(
        `recomputed ${summary.accounts} accounts as of ${summary.as_of}: ${summary.scored} scored, ` +
          `${summary.insufficient_data} with insufficient data, ${summary.band_changes} band changes, ${summary.errors.length} errors\n`,
      );
      for (const e of summary.errors) ctx.io.stderr.write(`  ${e.account_id}: ${e.error}\n`);
    });
}
