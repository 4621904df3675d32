// css-bot calibrate on files: fits the model's scales and weights (as --fit says; and optionally its
// at-risk threshold) to the accounts' outcomes by cross-validation, and writes the model file again
// with only those changed and the held-out evidence as a comment at the top.
import { calibrate, type Calibration } from "../domain/backtest/calibrate.ts";
import { editModelSource } from "../domain/backtest/edit-model-source.ts";
import { fitChurnMap, MIN_SEGMENT_CHURNERS } from "../domain/backtest/fit-churn-map.ts";
import type { FitChoice } from "../domain/backtest/fit-scales.ts";
import { MIN_WEIGHT_SHARE } from "../domain/backtest/fit-weights.ts";
import { scoreSamples } from "../domain/backtest/samples.ts";
import type { Target } from "../domain/backtest/threshold.ts";
import { formatDay, type Day } from "../domain/dates.ts";
import { writeChurnMap } from "../domain/backtest/write-churn-map.ts";
import type { ChurnMap, ScoringModel } from "../domain/model/schema.ts";
import { scaleDirection } from "../domain/scoring/scale.ts";
import { riskBands } from "./account-lists.ts";
import { outcomeNotes, readOutcomeData, type BacktestFiles, type OutcomeData } from "./backtest-files.ts";
import type { ReadFilesOptions } from "./read-portfolio-files.ts";

export interface CalibrateFilesOptions extends ReadFilesOptions {
  folds: number;
  seed: number;
  target: Target | null;
  fit: FitChoice;
  /** The outcomes stand for churn within this many days of the as-of date: the churn map's horizon. */
  horizonDays: number;
}

export interface FileCalibration {
  data: OutcomeData;
  calibration: Calibration;
  /** The calibrated model file's text. */
  source: string;
  /** The churn map written into it (fitted on all the data with the calibrated weights); null when the scored accounts hold one outcome only. */
  churnMap: ChurnMap | null;
  notes: string[];
}

export async function calibrateFiles(
  model: ScoringModel,
  modelSource: string,
  modelFile: string,
  files: BacktestFiles,
  asOf: Day,
  options: CalibrateFilesOptions,
): Promise<FileCalibration> {
  const data = await readOutcomeData(model, files, asOf, options);
  const calibration = calibrate(model, data.samples, {
    folds: options.folds,
    seed: options.seed,
    riskBands: riskBands(model),
    target: options.target,
    fit: options.fit,
    horizonDays: options.horizonDays,
  });
  // The map reads the calibrated score, so it is fitted after the scales and weights, on all the data.
  const churnMap = fitChurnMap(
    scoreSamples(calibration.model, data.samples).flatMap((s) =>
      s.score === null ? [] : [{ segment: s.segment ?? null, score: s.score, churned: s.churned }],
    ),
    { horizonDays: options.horizonDays },
  );
  const edited = editModelSource(
    modelSource,
    {
      weights: calibration.weights.map((w, index) => ({ index, weight: w.after })),
      scales: (calibration.scales ?? []).map((s, index) => ({ index, scale: s.after })),
      bandMins: calibration.bands.map((b, index) => ({ index, min: b.after })),
    },
    evidence(model, modelFile, data, calibration, options.target, churnMap),
  );
  const source = churnMap ? writeChurnMap(edited, churnMap) : edited;
  const notes = [...outcomeNotes(data)];
  if (!calibration.fitted)
    notes.push(
      `no component separated churned from retained accounts: the ${calibration.fit.mode === "weights" ? "weights are" : "scales and weights are"} unchanged`,
    );
  if (calibration.threshold && !calibration.threshold.reached)
    notes.push("the target was not reached on the data: the threshold that comes closest was chosen");
  if (model.segments && Object.keys(model.segments).length > 0)
    notes.push("segments' own scales, weights and bands are left as they are");
  if (!churnMap) notes.push("no churn map: the scored accounts all had the same outcome");
  const late = data.samples.filter((s) => s.churnedAt != null && s.churnedAt >= asOf + options.horizonDays);
  if (churnMap && late.length > 0)
    notes.push(
      `${late.length} account(s) churned ${options.horizonDays} days or more after ${formatDay(asOf)} (churned_at), ` +
        `yet count as churned within the map's ${options.horizonDays}-day horizon: give --horizon-days to match the outcomes`,
    );
  else if (model.churn_probability) notes.push("the model's churn map was fitted again");
  return { data, calibration, source, churnMap, notes };
}

const pct = (x: number | null) => (x === null ? "n/a" : `${(x * 100).toFixed(1)}%`);
const auc = (x: number | null) => (x === null ? "undefined" : x.toFixed(3));
const dec = (x: number | null) => (x === null ? "n/a" : x.toFixed(3));

function evidence(
  model: ScoringModel,
  modelFile: string,
  data: OutcomeData,
  c: Calibration,
  target: Target | null,
  churnMap: ChurnMap | null,
): string[] {
  const churned = data.samples.filter((s) => s.churned).length;
  const total = model.components.reduce((s, x) => s + x.weight, 0);
  const changed = c.weights
    .filter((w) => w.before !== w.after)
    .map((w) => `${w.key} ${w.before} -> ${w.after}`);
  const lines = [
    `Calibrated by \`css-bot calibrate\` from ${modelFile}: ${data.samples.length} accounts (${churned} churned),`,
    `scored as of ${formatDay(data.asOf)} with the data observed before it.`,
    `${c.folds}-fold cross-validation (seed ${c.seed}); every figure is on held-out folds only (before -> after):`,
    `  AUC ${auc(c.before.auc)} -> ${auc(c.after.auc)}`,
    `  at-risk precision ${pct(c.before.atRisk.precision)} -> ${pct(c.after.atRisk.precision)}, recall ${pct(c.before.atRisk.recall)} -> ${pct(c.after.atRisk.recall)}`,
    `  churn probability: Brier ${dec(c.before.probability.brier)} -> ${dec(c.after.probability.brier)}, log loss ${dec(c.before.probability.logLoss)} -> ${dec(c.after.probability.logLoss)}, expected calibration error ${dec(c.before.probability.ece)} -> ${dec(c.after.probability.ece)}`,
    ...method(c, total),
    ...wrap(changed.length > 0 ? `Changed: ${changed.join(", ")}.` : "No weight changed."),
    ...directions(c),
    ...bandMoves(c),
  ];
  if (c.threshold && target) {
    const goal = "precision" in target ? `precision ${target.precision}` : `recall ${target.recall}`;
    lines.push(
      `At-risk threshold (${c.threshold.band} min) ${c.threshold.before} -> ${c.threshold.after} for target ${goal}` +
        (c.threshold.reached ? "." : " (not reached: the closest)."),
    );
  }
  if (churnMap) {
    const own = Object.keys(churnMap.segments ?? {});
    lines.push(
      ...wrap(
        `Churn probability (churn_probability, at the end): the chance of churning within ${churnMap.horizon_days} days ` +
          `at each calibrated score, by isotonic regression of churned (1) / retained (0) on the score over ` +
          `${churnMap.portfolio.accounts} scored accounts (${churnMap.portfolio.churned} churned); straight lines between ` +
          `the points, flat beyond the ends. ` +
          (own.length > 0
            ? `Segments with their own curve (at least ${MIN_SEGMENT_CHURNERS} churned and ${MIN_SEGMENT_CHURNERS} retained): ${own.join(", ")}; the others read the portfolio's.`
            : `No segment had ${MIN_SEGMENT_CHURNERS} churned and ${MIN_SEGMENT_CHURNERS} retained accounts of its own: every account reads the portfolio's curve.`),
      ),
    );
  }
  lines.push("");
  return lines;
}

/** How the numbers were fitted, in the words of the fit mode. */
function method(c: Calibration, total: number): string[] {
  const floor = `a component given no weight keeps about ${MIN_WEIGHT_SHARE * 100}%.`;
  if (c.fit.mode === "weights")
    return wrap(
      `Weights: non-negative least squares of retained (1) / churned (0) on the centred component ` +
        `sub-scores, scaled to the model's total weight (${total}); ${floor}`,
    );
  return wrap(
    `Scales: monotone piecewise-linear, breakpoints at up to ${c.fit.maxPoints} quantiles of each input, ` +
      `fitted ${c.fit.mode === "all" ? "with the weights " : ""}by a logistic regression of retained (1) / ` +
      `churned (0) whose increments are >= 0 (IRLS with NNLS steps); ` +
      (c.fit.mode === "all"
        ? `weights = each curve's rise, scaled to the model's total weight (${total}); ${floor}`
        : "each curve spans 0-100 and the model's weights are kept."),
  );
}

/** Components whose direction came from the data, where it differs from the model's scale. */
function directions(c: Calibration): string[] {
  const flipped = (c.scales ?? []).filter(
    (s) => s.directionFrom === "data" && scaleDirection(s.before) !== s.direction,
  );
  if (flipped.length === 0) return [];
  const word = (d: number) => (d === 1 ? "higher is better" : d === -1 ? "lower is better" : "no direction");
  return wrap(
    `Directions learned from the data (--keep-direction keeps the model's): ${flipped
      .map((s) => `${s.key} ${word(s.direction)} (the model: ${word(scaleDirection(s.before))})`)
      .join(", ")}.`,
  );
}

/** Bands whose min moved with the fitted scales (a tuned at-risk threshold is reported on its own). */
export function movedBands(c: Calibration): Calibration["bands"] {
  return c.bands.filter((b) => b.before !== b.after && b.key !== c.threshold?.band);
}

function bandMoves(c: Calibration): string[] {
  const moved = movedBands(c);
  if (moved.length === 0) return [];
  return wrap(
    `Bands moved so each keeps its share of the accounts under the fitted scales: ${moved
      .map((b) => `${b.key} min ${b.before} -> ${b.after}`)
      .join(", ")}.`,
  );
}

/** Splits a long comment line at spaces, so the file stays readable. */
function wrap(text: string, width = 100): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = `  ${word}`;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  return [...lines, line];
}
