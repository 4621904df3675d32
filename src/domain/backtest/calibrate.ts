// Calibration by k-fold cross-validation: for each fold, the scales and weights (as `fit` says; and,
// when asked, the at-risk threshold) are fitted on the other folds only, then the input model and the fitted one are both
// evaluated on the held-out fold only. The model written out is fitted on all the data; the figures
// reported for it are the held-out ones, an honest estimate of how the procedure does on new data.
import { KnownError } from "../../errors.ts";
import type { Scale, ScoringModel } from "../model/schema.ts";
import { keepBandShares } from "./band-shares.ts";
import { DEFAULT_HORIZON_DAYS } from "./fit-churn-map.ts";
import { DEFAULT_FIT, fitScales, withScales, type ComponentScaleFit, type FitChoice } from "./fit-scales.ts";
import { fitWeights, withWeights } from "./fit-weights.ts";
import { splitFold, stratifiedFolds } from "./folds.ts";
import {
  foldProbabilities,
  noProbabilityFigures,
  probabilityFigures,
  type ProbabilityFigures,
} from "./held-out-probability.ts";
import { churnAuc, warningStats, type WarningStats } from "./metrics.ts";
import type { Prediction } from "./probability-metrics.ts";
import type { BacktestSample } from "./report.ts";
import { scoreSamples, type OutcomeSample } from "./samples.ts";
import { chooseThreshold, thresholdBand, withThreshold, type Target } from "./threshold.ts";

export class CalibrationError extends KnownError {
  readonly code = "CALIBRATION";
}

export interface CalibrateOptions {
  folds: number;
  seed: number;
  /** The bands that count as at risk (the lowest band of the model and of each segment). */
  riskBands: readonly string[];
  target?: Target | null;
  /** What to fit: the scales, the weights or both (DEFAULT_FIT when absent). */
  fit?: FitChoice;
  /** The horizon of the churn maps fitted in each fold (a label: the figures do not depend on it). */
  horizonDays?: number;
  /** Called with the accounts each step sees: lets a test prove fitting and evaluation never overlap. */
  trace?: (event: { fold: number; phase: "fit" | "evaluate"; accountIds: readonly string[] }) => void;
}

export interface HeldOut {
  /** Mean of the folds' AUCs (over the folds where it is defined). */
  auc: number | null;
  aucFolds: (number | null)[];
  /** Pooled over the held-out folds. */
  atRisk: WarningStats;
  accounts: number;
  churned: number;
  insufficientData: number;
  /** The churn probability: each fold read through a map fitted on the other folds' scores. */
  probability: ProbabilityFigures;
}

export interface Calibration {
  folds: number;
  seed: number;
  before: HeldOut;
  after: HeldOut;
  /** The input model with the weights (and threshold) fitted on all the data. */
  model: ScoringModel;
  weights: { key: string; before: number; after: number }[];
  /** The base bands' mins (moved by fitted scales, to keep each band's share of the accounts). */
  bands: { key: string; before: number; after: number }[];
  /** The fitted scales (null with fit mode "weights"). */
  scales: ScaleChange[] | null;
  fit: FitChoice;
  threshold: { band: string; before: number; after: number; reached: boolean } | null;
  /** False when no component separated churned from retained accounts: weights unchanged. */
  fitted: boolean;
}

export interface ScaleChange extends Omit<ComponentScaleFit, "scale"> {
  before: Scale;
  after: Scale;
}

interface Fitted {
  model: ScoringModel;
  fitted: boolean;
  reached: boolean | null;
  scales: ComponentScaleFit[] | null;
  /** `train` scored with the fitted model, when the fit computed them (scores only: bands may differ). */
  trainScores: BacktestSample[] | undefined;
}

/**
 * Fits on `train` only: it is all this function is given. `scored`: `train` scored with `model`
 * (they do not depend on the fold, so calibrate scores every account once).
 */
export function fitModel(
  model: ScoringModel,
  train: readonly OutcomeSample[],
  options: Pick<CalibrateOptions, "riskBands" | "target" | "fit">,
  scored: readonly BacktestSample[] = scoreSamples(model, train),
): Fitted {
  const choice = options.fit ?? DEFAULT_FIT;
  let fitted: ScoringModel;
  let scales: ComponentScaleFit[] | null = null;
  let didFit: boolean;
  // The training accounts' scores under the fitted scales, when computed here (bands aside, they are
  // the fitted model's scores: the churn map of the fold reads them).
  let trainScores: BacktestSample[] | undefined;
  if (choice.mode === "weights") {
    const fit = fitWeights(model, scored);
    fitted = withWeights(model, fit.weights);
    didFit = fit.fitted;
  } else {
    const fit = fitScales(
      model,
      train.filter((_, i) => scored[i]!.score !== null),
      choice,
    );
    if (fit.fitted) {
      const curves = withScales(model, fit);
      trainScores = scoreSamples(curves, train);
      fitted = keepBandShares(model, scored, curves, trainScores);
    } else fitted = model;
    scales = fit.components;
    didFit = fit.fitted;
  }
  let reached: boolean | null = null;
  if (options.target) {
    const choice = chooseThreshold(fitted, train, options.riskBands, options.target);
    if (choice) {
      fitted = withThreshold(fitted, choice.min);
      reached = choice.reached;
    }
  }
  return { model: fitted, fitted: didFit, reached, scales, trainScores };
}

export function calibrate(
  model: ScoringModel,
  samples: readonly OutcomeSample[],
  options: CalibrateOptions,
): Calibration {
  const k = options.folds;
  const churned = samples.filter((s) => s.churned).length;
  const retained = samples.length - churned;
  if (churned < k || retained < k) {
    throw new CalibrationError(
      `${k}-fold calibration needs at least ${k} churned and ${k} retained accounts (got ${churned} churned, ${retained} retained)` +
        (churned === 0 || retained === 0 ? ": with only one outcome there is nothing to separate" : ""),
    );
  }
  if (options.target && !thresholdBand(model))
    throw new CalibrationError("the model has a single band: there is no at-risk threshold to tune");

  const folds = stratifiedFolds(
    samples.map((s) => s.churned),
    k,
    options.seed,
  );
  // The input model's scores: the same in every fold.
  const inputScores = scoreSamples(model, samples);
  const before: BacktestSample[][] = [];
  const after: BacktestSample[][] = [];
  const beforeP: (Prediction[] | null)[] = [];
  const afterP: (Prediction[] | null)[] = [];
  const horizonDays = options.horizonDays ?? DEFAULT_HORIZON_DAYS;
  for (let f = 0; f < k; f++) {
    const { train, test } = splitFold(folds, f);
    const trainSamples = train.map((i) => samples[i]!);
    const testSamples = test.map((i) => samples[i]!);
    options.trace?.({ fold: f, phase: "fit", accountIds: trainSamples.map((s) => s.accountId) });
    const trainScores = train.map((i) => inputScores[i]!);
    const fitted = fitModel(model, trainSamples, options, trainScores);
    options.trace?.({ fold: f, phase: "evaluate", accountIds: testSamples.map((s) => s.accountId) });
    before.push(test.map((i) => inputScores[i]!));
    after.push(scoreSamples(fitted.model, testSamples));
    // The map of each model's scores, fitted on the training folds (after the fit, for the fitted one).
    beforeP.push(foldPredictions(trainScores, before[f]!, horizonDays));
    afterP.push(
      foldPredictions(fitted.trainScores ?? scoreSamples(fitted.model, trainSamples), after[f]!, horizonDays),
    );
  }

  const final = fitModel(model, samples, options, inputScores);
  const band = thresholdBand(model);
  const finalBand = thresholdBand(final.model);
  return {
    folds: k,
    seed: options.seed,
    before: heldOut(before, beforeP, options.riskBands),
    after: heldOut(after, afterP, options.riskBands),
    model: final.model,
    weights: model.components.map((c, i) => ({
      key: c.key,
      before: c.weight,
      after: final.model.components[i]!.weight,
    })),
    scales:
      final.scales?.map(({ scale, ...rest }, i) => ({
        ...rest,
        before: model.components[i]!.scale,
        after: scale,
      })) ?? null,
    fit: options.fit ?? DEFAULT_FIT,
    bands: model.bands.map((b, i) => ({ key: b.key, before: b.min, after: final.model.bands[i]!.min })),
    threshold:
      options.target && band && finalBand
        ? { band: band.key, before: band.min, after: finalBand.min, reached: final.reached ?? false }
        : null,
    fitted: final.fitted,
  };
}

/** The held-out fold's scored accounts with their probability; null when the training fold holds one outcome. */
function foldPredictions(
  train: readonly BacktestSample[],
  test: readonly BacktestSample[],
  horizonDays: number,
): Prediction[] | null {
  const scored = (list: readonly BacktestSample[]) =>
    list.flatMap((s) =>
      s.score === null ? [] : [{ segment: s.segment ?? null, score: s.score, churned: s.churned }],
    );
  const testScored = scored(test);
  const p = foldProbabilities(scored(train), testScored, { horizonDays });
  return p && testScored.map((s, i) => ({ probability: p[i]!, churned: s.churned }));
}

function heldOut(
  folds: readonly BacktestSample[][],
  predictions: readonly (Prediction[] | null)[],
  riskBands: readonly string[],
): HeldOut {
  const risk = new Set(riskBands);
  const scoredFolds = folds.map((f) =>
    f.filter((s): s is BacktestSample & { score: number } => s.score !== null),
  );
  const aucFolds = scoredFolds.map((f) => churnAuc(f).value);
  const defined = aucFolds.filter((a): a is number => a !== null);
  const pooled = scoredFolds.flat();
  return {
    auc: defined.length === 0 ? null : defined.reduce((a, b) => a + b, 0) / defined.length,
    aucFolds,
    atRisk: warningStats(pooled.map((s) => ({ flagged: risk.has(s.band), churned: s.churned }))),
    accounts: pooled.length,
    churned: pooled.filter((s) => s.churned).length,
    insufficientData: folds.flat().length - pooled.length,
    probability: predictions.every((p) => p !== null)
      ? probabilityFigures(predictions.flatMap((p) => p ?? []))
      : noProbabilityFigures(
          "a training fold's scored accounts all had the same outcome: no churn map to read",
        ),
  };
}
