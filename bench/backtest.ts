// npm run bench -- backtest [--fit weights|scales|all] [--max-points N] [--keep-direction] [--folds K]
//                           [--seed N] [--target-precision P] [--as-of YYYY-MM-DD]
//
// The back-test on real data: converts ../shared/datasets/ (iranian-churn.csv, telco-churn.csv)
// with the documented example script, back-tests each example model (examples/*-churn-model.yaml)
// and calibrates it by k-fold cross-validation, then prints AUC and at-risk precision and recall
// before and after calibration (held-out folds only) beside a logistic regression baseline fitted
// on the same folds (on the model's inputs, and on every column the conversion keeps), and how long
// each step took; then the churn probability's held-out Brier score, log loss and expected
// calibration error.
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { convertDataset, DATASETS, type Dataset } from "../examples/datasets-to-files.ts";
import { table } from "../src/cli/output/format.ts";
import { DEFAULT_HORIZON_DAYS } from "../src/domain/backtest/fit-churn-map.ts";
import { DEFAULT_FIT, FIT_MODES, type FitChoice } from "../src/domain/backtest/fit-scales.ts";
import type { ProbabilityFigures } from "../src/domain/backtest/held-out-probability.ts";
import type { OutcomeSample } from "../src/domain/backtest/samples.ts";
import { parseDay } from "../src/domain/dates.ts";
import { parseModel } from "../src/domain/model/parse-model.ts";
import type { ScoringModel } from "../src/domain/model/schema.ts";
import { backtestFiles, readOutcomeData } from "../src/services/backtest-files.ts";
import { calibrateFiles } from "../src/services/calibrate-files.ts";
import { BenchUsageError, oneOf, parseFlags, wholeNumber } from "./support/args.ts";
import { baselineAuc, type BaselineRow } from "./support/logistic-baseline.ts";

const ROOT = new URL("../", import.meta.url).pathname;
/** The shared data sets beside the repository, or wherever CSS_DATASETS_DIR says. */
const DATA = process.env.CSS_DATASETS_DIR ?? join(ROOT, "../shared/datasets");

export async function main(args: string[]): Promise<void> {
  const flags = parseFlags(
    args,
    ["folds", "seed", "target-precision", "as-of", "fit", "max-points"],
    ["keep-direction"],
  );
  const fit: FitChoice = {
    mode: oneOf("fit", flags.fit, FIT_MODES, DEFAULT_FIT.mode),
    maxPoints: wholeNumber("max-points", flags["max-points"], DEFAULT_FIT.maxPoints, 2),
    keepDirection: flags["keep-direction"] ?? false,
  };
  const folds = wholeNumber("folds", flags.folds, 5, 2);
  const seed = wholeNumber("seed", flags.seed, 1, 0);
  const asOfText = flags["as-of"] ?? "2026-01-01";
  const asOf = parseDay(asOfText);
  if (asOf === null)
    throw new BenchUsageError(`--as-of must be a date YYYY-MM-DD (got ${JSON.stringify(asOfText)})`);
  const precision = flags["target-precision"] === undefined ? null : Number(flags["target-precision"]);
  if (precision !== null && !(precision >= 0 && precision <= 1))
    throw new BenchUsageError("--target-precision must be a number from 0 to 1");

  for (const dataset of DATASETS) {
    const file = join(DATA, `${dataset}-churn.csv`);
    if (!existsSync(file)) {
      throw new BenchUsageError(
        `no data set at ${file}: the shared data sets are read from ../shared/datasets beside the repository, or from CSS_DATASETS_DIR`,
      );
    }
  }
  const dir = await mkdtemp(join(tmpdir(), "css-bot-bench-backtest-"));
  const rows: (string | number)[][] = [];
  const probabilityRows: string[][] = [];
  const pct = (x: number | null) => (x === null ? "–" : `${(x * 100).toFixed(1)}%`);
  const auc = (x: number | null) => (x === null ? "–" : x.toFixed(3));
  try {
    for (const dataset of DATASETS) {
      const started = performance.now();
      const files = await convertDataset(dataset, join(DATA, `${dataset}-churn.csv`), join(dir, dataset), {
        asOf: asOfText,
      });
      const converted = performance.now();
      const modelFile = join(ROOT, "examples", `${dataset}-churn-model.yaml`);
      const source = await readFile(modelFile, "utf8");
      const model = parseModel(source, modelFile);
      const inputs = { accounts: files.accounts, metrics: files.metrics, outcomes: files.outcomes };
      const whole = await backtestFiles(model, inputs, asOf);
      const backtested = performance.now();
      const cal = await calibrateFiles(model, source, modelFile, inputs, asOf, {
        folds,
        seed,
        target: precision === null ? null : { precision },
        fit,
        horizonDays: DEFAULT_HORIZON_DAYS,
      });
      const calibrated = performance.now();
      const c = cal.calibration;
      const modelInputs = model.components.map((x) => x.key);
      const lrModel = baselineAuc(baselineRows(cal.data.samples), modelInputs, folds, seed);
      const allColumns = await everyMetric(files.metrics);
      const wide = await readOutcomeData(allColumnsModel(allColumns), inputs, asOf);
      const lrAll = baselineAuc(alignedRows(cal.data.samples, wide.samples), allColumns, folds, seed);
      const baselined = performance.now();
      log(
        `${dataset}: ${files.rows} accounts, ${files.churned} churned; weights ${c.weights.map((w) => `${w.key} ${w.before}->${w.after}`).join(", ")}` +
          (c.threshold ? `; threshold ${c.threshold.before}->${c.threshold.after}` : ""),
      );
      rows.push([
        label(dataset),
        `${files.rows} (${files.churned})`,
        auc(whole.report.auc),
        auc(c.before.auc),
        auc(c.after.auc),
        auc(lrModel),
        `${auc(lrAll)} (${allColumns.length})`,
        `${pct(c.before.atRisk.precision)} → ${pct(c.after.atRisk.precision)}`,
        `${pct(c.before.atRisk.recall)} → ${pct(c.after.atRisk.recall)}`,
        seconds(converted - started),
        seconds(backtested - converted),
        seconds(calibrated - backtested),
        seconds(baselined - calibrated),
      ]);
      probabilityRows.push(
        probabilityRow(
          label(dataset),
          whole.report.churned / whole.report.accounts,
          c.before.probability,
          c.after.probability,
        ),
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  process.stdout.write(
    `${table(
      [
        "data set",
        "accounts (churned)",
        "AUC, all data",
        "AUC before (CV)",
        `AUC after (CV, ${fit.mode})`,
        "LR, model's inputs (CV)",
        "LR, all columns (CV)",
        "at-risk precision (CV)",
        "at-risk recall (CV)",
        "convert s",
        "backtest s",
        "calibrate s",
        "baselines s",
      ],
      rows,
    )}\n` +
      `${folds}-fold cross-validation, seed ${seed}${precision === null ? "" : `, target precision ${precision}`}; ` +
      `--fit ${fit.mode}${fit.mode === "weights" ? "" : `, --max-points ${fit.maxPoints}${fit.keepDirection ? ", --keep-direction" : ""}`}; ` +
      `CV figures are on held-out folds only (before: the example model; after: fitted on the other folds; ` +
      `LR: logistic regression on the same folds, on the model's inputs and on every column converted, their number in brackets).\n\n` +
      `${table(["data set", "base rate: Brier / log loss", "Brier before → after", "log loss before → after", "ECE before → after"], probabilityRows)}\n` +
      `Churn probability, held-out folds only: each fold's probabilities from an isotonic map fitted on the other folds' scores ` +
      `(before: the example model's scores, as css-bot backtest reports them; after: scales, weights and map fitted on the other folds).\n`,
  );
}

/**
 * Brier, log loss and ECE before -> after calibration, on held-out folds ("before" is what
 * `css-bot backtest` reports for the example model with the same folds and seed).
 */
function probabilityRow(
  name: string,
  rate: number,
  before: ProbabilityFigures,
  after: ProbabilityFigures,
): string[] {
  const f = (x: number | null) => (x === null ? "–" : x.toFixed(3));
  // What telling every account the portfolio's churn rate would score: the bar a map must clear.
  const baseLogLoss = -(rate * Math.log(rate) + (1 - rate) * Math.log(1 - rate));
  return [
    name,
    `${f(rate * (1 - rate))} / ${f(baseLogLoss)}`,
    `${f(before.brier)} → ${f(after.brier)}`,
    `${f(before.logLoss)} → ${f(after.logLoss)}`,
    `${f(before.ece)} → ${f(after.ece)}`,
  ];
}

function baselineRows(samples: readonly OutcomeSample[]): BaselineRow[] {
  return samples.map((s) => ({ accountId: s.accountId, churned: s.churned, values: s.raws }));
}

/** The wide samples in the order of `samples`, so the baseline deals the same folds as calibrate. */
function alignedRows(samples: readonly OutcomeSample[], wide: readonly OutcomeSample[]): BaselineRow[] {
  const byId = new Map(wide.map((w) => [w.accountId, w]));
  return samples.map((s) => {
    const w = byId.get(s.accountId);
    if (!w) throw new Error(`account ${s.accountId} missing from the wide read`);
    return { accountId: s.accountId, churned: s.churned, values: w.raws };
  });
}

/** The metric names of a converted metrics file (account_id,metric,value,observed_at). */
async function everyMetric(metricsFile: string): Promise<string[]> {
  const names = new Set<string>();
  for (const line of (await readFile(metricsFile, "utf8")).split("\n").slice(1))
    if (line !== "") names.add(line.split(",")[1]!);
  return [...names].sort();
}

/** A model reading every metric as it is (one component each), so the baseline sees every column. */
function allColumnsModel(metrics: readonly string[]): ScoringModel {
  return parseModel(
    JSON.stringify({
      name: "every-column",
      min_coverage: 0.01,
      bands: [{ key: "all", min: 0 }],
      components: metrics.map((m) => ({
        key: m,
        input: { metric: m, agg: "last", window_days: 30 },
        scale: { min: 0, max: 1 },
        weight: 1,
      })),
    }),
    "every-column model",
  );
}

const label = (d: Dataset) => (d === "iranian" ? "Iranian telecom" : "IBM Telco");
const seconds = (ms: number) => (ms / 1000).toFixed(2);
const log = (text: string) => process.stderr.write(`${text}\n`);
