// css-bot calibrate: fits the model's scales and weights (and optionally the at-risk threshold) to
// churn outcomes by k-fold cross-validation and writes the calibrated model file.
import { writeFile } from "node:fs/promises";
import { extname } from "node:path";
import type { Command } from "commander";
import type { HeldOut } from "../../domain/backtest/calibrate.ts";
import { DEFAULT_FIT, FIT_MODES, type FitChoice, type FitMode } from "../../domain/backtest/fit-scales.ts";
import type { Target } from "../../domain/backtest/threshold.ts";
import { formatDay } from "../../domain/dates.ts";
import { DEFAULT_HORIZON_DAYS } from "../../domain/backtest/fit-churn-map.ts";
import { probabilityFromMap } from "../../domain/model/churn-map.ts";
import { parseModel } from "../../domain/model/parse-model.ts";
import type { ChurnMap } from "../../domain/model/schema.ts";
import { calibrateFiles, movedBands } from "../../services/calibrate-files.ts";
import type { CliContext } from "../context.ts";
import { UsageError, UserError } from "../errors.ts";
import { asOfOption, flag, foldOptions, numberOption } from "../options.ts";
import { fmtPercent, table } from "../output/format.ts";
import { probabilityJson } from "../output/probability-json.ts";
import { readModelFile } from "../read-model-file.ts";
import { withWorkspace } from "../workspace.ts";
import { calibrateHistory } from "../../services/calibrate-history.ts";

interface CalibrateOptions {
  model?: string;
  accounts?: string;
  metrics?: string;
  responses?: string;
  outcomes?: string;
  asOf?: string;
  fromHistory?: boolean;
  leadDays: string;
  out: string;
  folds: string;
  seed: string;
  targetPrecision?: string;
  targetRecall?: string;
  horizonDays: string;
  json?: boolean;
  skipInvalid?: boolean;
  fit: string;
  maxPoints?: string;
  keepDirection?: boolean;
}

export function registerCalibrate(program: Command, ctx: CliContext): void {
  program
    .command("calibrate")
    .description(
      "fit the model's scales and weights to churn outcomes (k-fold cross-validated) and write a new model file",
    )
    .option("--model <file>", "scoring model (YAML or JSON)")
    .option("--accounts <file>", "accounts file (.csv or .jsonl)")
    .option("--metrics <file>", "metric observations file")
    .option("--responses <file>", "survey responses file")
    .option("--outcomes <file>", "outcomes file: account_id,churned (1/0, true/false)[,churned_at]")
    .option("--as-of <date>", "score as of this date, YYYY-MM-DD, with the data observed before it")
    .requiredOption("--out <file>", "the calibrated model file to write (.yaml or .yml)")
    .option(
      "--from-history",
      "fit only the churn probability map, on the workspace's stored snapshots and churned accounts, into the active model",
    )
    .option(
      "--lead-days <days>",
      "with --from-history: the snapshots this many days before churn (the horizon)",
      "90",
    )
    .option(
      "--fit <what>",
      "what to fit: weights, scales (monotone curves, the model's weights kept) or all",
      DEFAULT_FIT.mode,
    )
    .option(
      "--max-points <n>",
      `most points of a fitted scale, at quantiles of its input (2-100; default ${DEFAULT_FIT.maxPoints})`,
    )
    .option("--keep-direction", "keep each scale's direction from the model (default: learned from the data)")
    .option("--folds <k>", "cross-validation folds", "5")
    .option("--seed <n>", "seed of the folds' shuffle", "1")
    .option("--target-precision <p>", "also tune the at-risk threshold for this precision (0-1)")
    .option("--target-recall <r>", "also tune the at-risk threshold for this recall (0-1)")
    .option(
      "--horizon-days <days>",
      "the outcomes mean churn within this many days of --as-of: the churn probability's horizon",
      String(DEFAULT_HORIZON_DAYS),
    )
    .option("--json", "print a JSON object")
    .option("--skip-invalid", "calibrate on the valid rows and report the invalid ones")
    .action(async (opts: CalibrateOptions, command: Command) => {
      if (![".yaml", ".yml"].includes(extname(opts.out).toLowerCase()))
        throw new UsageError(
          `--out: the calibrated model is written as YAML, with its evidence as a comment: name it .yaml or .yml (got ${JSON.stringify(opts.out)})`,
        );
      if (opts.fromHistory) return fromHistory(ctx, command, opts);
      const missing = (["model", "accounts", "outcomes", "asOf"] as const).filter(
        (k) => opts[k] === undefined,
      );
      if (missing.length > 0)
        throw new UsageError(`missing ${missing.map(flag).join(", ")} (or use --from-history)`);
      const asOf = asOfOption(opts.asOf);
      const { folds, seed } = foldOptions(opts);
      const horizonDays = numberOption("--horizon-days", opts.horizonDays, 1, 3650);
      if (!Number.isInteger(horizonDays))
        throw new UsageError("--horizon-days must be a whole number of days");
      if (opts.targetPrecision !== undefined && opts.targetRecall !== undefined)
        throw new UsageError("give --target-precision or --target-recall, not both");
      const target: Target | null =
        opts.targetPrecision !== undefined
          ? { precision: numberOption("--target-precision", opts.targetPrecision, 0, 1) }
          : opts.targetRecall !== undefined
            ? { recall: numberOption("--target-recall", opts.targetRecall, 0, 1) }
            : null;
      const fit = fitOption(opts);
      const { model, source } = await readModelFile(opts.model!);
      const result = await calibrateFiles(
        model,
        source,
        opts.model!,
        {
          accounts: opts.accounts!,
          metrics: opts.metrics,
          responses: opts.responses,
          outcomes: opts.outcomes!,
        },
        asOf,
        {
          folds,
          seed,
          target,
          fit,
          horizonDays,
          skipInvalid: opts.skipInvalid ?? false,
          progress: ctx.progress(),
        },
      );
      await writeModelFile(opts.out, result.source);
      if (!result.data.report.empty)
        ctx.io.stderr.write(
          `${result.data.report.lines().join("\n")}\nskipped ${result.data.report.rows} invalid row(s)\n`,
        );
      const c = result.calibration;
      const json = {
        as_of: formatDay(asOf),
        model: model.name,
        out: opts.out,
        accounts: result.data.samples.length,
        churned: result.data.samples.filter((s) => s.churned).length,
        folds: c.folds,
        seed: c.seed,
        before: heldOutJson(c.before),
        after: heldOutJson(c.after),
        fit: { mode: c.fit.mode, max_points: c.fit.maxPoints, keep_direction: c.fit.keepDirection },
        weights: c.weights,
        scales:
          c.scales?.map((s) => ({
            key: s.key,
            direction: s.direction,
            direction_from: s.directionFrom,
            fitted: s.fitted,
            before: s.before,
            after: s.after,
          })) ?? null,
        bands: c.bands,
        at_risk_threshold: c.threshold,
        target: target,
        churn_probability: result.churnMap,
        notes: result.notes,
      };
      if (opts.json) {
        ctx.io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
        return;
      }
      const row = (label: string, b: string, a: string) => [label, b, a];
      ctx.io.stdout.write(
        [
          `Calibrated "${model.name}" on ${json.accounts} accounts (${json.churned} churned) as of ${json.as_of}: ` +
            `${c.folds}-fold cross-validation, figures on held-out folds only`,
          table(
            ["", "before", "after"],
            [
              row("AUC", fmt(c.before.auc), fmt(c.after.auc)),
              row(
                "at-risk precision",
                fmtPercent(c.before.atRisk.precision, 1),
                fmtPercent(c.after.atRisk.precision, 1),
              ),
              row(
                "at-risk recall",
                fmtPercent(c.before.atRisk.recall, 1),
                fmtPercent(c.after.atRisk.recall, 1),
              ),
              row("flagged at risk", String(c.before.atRisk.flagged), String(c.after.atRisk.flagged)),
              row(
                "churn probability: Brier",
                fmt(c.before.probability.brier),
                fmt(c.after.probability.brier),
              ),
              row("log loss", fmt(c.before.probability.logLoss), fmt(c.after.probability.logLoss)),
              row("expected calibration error", fmt(c.before.probability.ece), fmt(c.after.probability.ece)),
            ],
            ["left", "right", "right"],
          ),
          table(
            ["weight", "before", "after"],
            c.weights.map((w) => [w.key, w.before, w.after]),
            ["left", "right", "right"],
          ),
          ...(c.scales
            ? [
                table(
                  ["scale", "direction", "points after"],
                  c.scales.map((s) => [
                    s.key,
                    `${s.direction === 1 ? "higher is better" : "lower is better"} (${s.directionFrom})`,
                    s.fitted && "points" in s.after
                      ? s.after.points.map(([x, y]) => `${x}:${y}`).join(" ")
                      : "unchanged",
                  ]),
                  ["left", "left", "left"],
                ),
              ]
            : []),
          ...(movedBands(c).length > 0
            ? [
                `band mins, moved so each band keeps its share of the accounts: ${movedBands(c)
                  .map((b) => `${b.key} ${b.before} -> ${b.after}`)
                  .join(", ")}`,
              ]
            : []),
          ...(c.threshold
            ? [`at-risk threshold (${c.threshold.band} min): ${c.threshold.before} -> ${c.threshold.after}`]
            : []),
          ...(result.churnMap ? [churnMapText(result.churnMap)] : []),
          `wrote ${opts.out}`,
          ...result.notes.map((n) => `note: ${n}`),
          "",
        ].join("\n"),
      );
    });
}

/**
 * `--from-history`: the churn map only, fitted on the workspace's history (services/calibrate-history)
 * and written into the active model's text; `css-bot model set` then makes it active.
 */
async function fromHistory(ctx: CliContext, command: Command, opts: CalibrateOptions): Promise<void> {
  const fileOnly = (
    ["model", "accounts", "metrics", "responses", "outcomes", "asOf", "maxPoints", "keepDirection"] as const
  ).filter((k) => opts[k] !== undefined);
  const given = [
    ...fileOnly.map(flag),
    ...(["fit", "horizonDays", "targetPrecision", "targetRecall", "skipInvalid"] as const)
      .filter((k) => command.getOptionValueSource(k) === "cli")
      .map(flag),
  ];
  if (given.length > 0)
    throw new UsageError(
      `--from-history fits only the churn map, on the database's history: leave out ${given.join(", ")} (--lead-days is its horizon)`,
    );
  const lead = numberOption("--lead-days", opts.leadDays, 1, 3650);
  if (!Number.isInteger(lead)) throw new UsageError("--lead-days must be a whole number of days");
  const folds = foldOptions(opts);
  const result = await withWorkspace(ctx, command, { create: false }, (db, workspace) =>
    calibrateHistory(db.prisma, workspace.id, lead, folds),
  );
  await writeModelFile(opts.out, result.source);
  const h = result.history;
  const json = {
    from_history: true,
    lead_days: lead,
    model_version: result.modelVersion,
    out: opts.out,
    accounts: h.report.accounts,
    churned: h.report.churned,
    held_out: probabilityJson(h.report.probability),
    churn_probability: result.map,
    notes: h.notes,
  };
  if (opts.json) {
    ctx.io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return;
  }
  const version = result.modelVersion === null ? "the default model" : `model version ${result.modelVersion}`;
  ctx.io.stdout.write(
    [
      `Fitted the churn map of ${version} on the history: ${json.accounts} accounts (${json.churned} churned ` +
        `within ${lead} days of their snapshot), figures on held-out folds only`,
      table(
        ["churn probability", "held out"],
        [
          ["Brier", fmt(h.report.probability.brier)],
          ["log loss", fmt(h.report.probability.logLoss)],
          ["expected calibration error", fmt(h.report.probability.ece)],
        ],
        ["left", "right"],
      ),
      churnMapText(result.map),
      `wrote ${opts.out}: the model with its churn map; \`css-bot model set ${opts.out}\` makes it active`,
      ...h.notes.map((n) => `note: ${n}`),
      "",
    ].join("\n"),
  );
}

/** Writes the calibrated model, which must first load as the model it claims to be. */
async function writeModelFile(out: string, source: string): Promise<void> {
  parseModel(source, out);
  try {
    await writeFile(out, source);
  } catch (e) {
    throw new UserError(`${out}: cannot write: ${(e as Error).message}`);
  }
}

function fitOption(opts: CalibrateOptions): FitChoice {
  if (!(FIT_MODES as readonly string[]).includes(opts.fit))
    throw new UsageError(`--fit must be one of ${FIT_MODES.join(", ")}, got ${JSON.stringify(opts.fit)}`);
  const mode = opts.fit as FitMode;
  if (mode === "weights" && (opts.maxPoints !== undefined || opts.keepDirection))
    throw new UsageError(
      `${opts.maxPoints !== undefined ? "--max-points" : "--keep-direction"} shapes fitted scales: it needs --fit scales or --fit all, not --fit weights`,
    );
  const maxPoints =
    opts.maxPoints === undefined
      ? DEFAULT_FIT.maxPoints
      : numberOption("--max-points", opts.maxPoints, 2, 100);
  if (!Number.isInteger(maxPoints))
    throw new UsageError(`--max-points must be a whole number, got ${opts.maxPoints}`);
  return { mode, maxPoints, keepDirection: opts.keepDirection ?? false };
}

/** The written map at a few scores, so the reader sees what the probabilities look like. */
function churnMapText(map: ChurnMap): string {
  const own = Object.keys(map.segments ?? {});
  const at = [20, 40, 50, 60, 70, 80, 90];
  return [
    `churn probability within ${map.horizon_days} days, fitted on ${map.portfolio.accounts} accounts (${map.portfolio.churned} churned)` +
      (own.length > 0 ? `; own curves for ${own.join(", ")}` : "") +
      ":",
    table(
      ["score", ...at.map(String)],
      [["probability", ...at.map((x) => fmtPercent(probabilityFromMap(map, null, x), 1))]],
      ["left", ...at.map(() => "right" as const)],
    ),
  ].join("\n");
}

const fmt = (x: number | null) => (x === null ? "undefined" : x.toFixed(3));

function heldOutJson(h: HeldOut) {
  return {
    auc: h.auc,
    auc_folds: h.aucFolds,
    at_risk: {
      precision: h.atRisk.precision,
      recall: h.atRisk.recall,
      lift: h.atRisk.lift,
      accounts: h.atRisk.flagged,
      churned: h.atRisk.flaggedChurned,
    },
    accounts: h.accounts,
    churned: h.churned,
    insufficient_data: h.insufficientData,
    ...probabilityJson(h.probability),
  };
}
