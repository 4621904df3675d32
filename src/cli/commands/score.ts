// css-bot score: scores accounts straight from files with a model file, no database.
import type { Command } from "commander";
import { formatDay } from "../../domain/dates.ts";
import { scoreFiles } from "../../services/score-files.ts";
import type { CliContext } from "../context.ts";
import { asOfOption } from "../options.ts";
import { readModelFile } from "../read-model-file.ts";
import { fmtPercent, fmtScore, table } from "../output/format.ts";
import { scoreJson } from "../output/score-json.ts";

interface ScoreOptions {
  model: string;
  accounts: string;
  metrics?: string;
  responses?: string;
  asOf?: string;
  json?: boolean;
  skipInvalid?: boolean;
}

export function registerScore(program: Command, ctx: CliContext): void {
  program
    .command("score")
    .description("score accounts straight from files with a model file (no database)")
    .requiredOption("--model <file>", "scoring model (YAML or JSON)")
    .requiredOption("--accounts <file>", "accounts file (.csv or .jsonl)")
    .option("--metrics <file>", "metric observations file")
    .option("--responses <file>", "survey responses file")
    .option("--as-of <date>", "score as of this date, YYYY-MM-DD (default: today, UTC)")
    .option("--json", "print a JSON array, one object per account")
    .option("--skip-invalid", "score from the valid rows and report the invalid ones")
    .action(async (opts: ScoreOptions) => {
      const asOf = asOfOption(opts.asOf);
      const { model } = await readModelFile(opts.model);
      const { scores, report } = await scoreFiles(model, opts, asOf, {
        skipInvalid: opts.skipInvalid ?? false,
        progress: ctx.progress(),
      });
      if (!report.empty)
        ctx.io.stderr.write(`${report.lines().join("\n")}\nskipped ${report.rows} invalid row(s)\n`);
      if (opts.json) {
        ctx.io.stdout.write(
          `${JSON.stringify(
            scores.map((s) => scoreJson(s.account, s.result)),
            null,
            2,
          )}\n`,
        );
        return;
      }
      const keys = model.components.map((c) => c.key);
      const rows = scores.map(({ account, result }) => [
        account.accountId,
        account.name.slice(0, 40),
        fmtScore(result.score),
        result.band,
        fmtPercent(result.coverage),
        ...keys.map((k) => fmtScore(result.components.find((c) => c.key === k)?.score)),
      ]);
      ctx.io.stdout.write(
        `Scores as of ${formatDay(asOf)} with model "${model.name}" (component columns: sub-scores 0-100)\n`,
      );
      ctx.io.stdout.write(`${table(["account", "name", "score", "band", "coverage", ...keys], rows)}\n`);
    });
}
