// The churn probability evaluated honestly: the accounts are split into stratified folds, and each
// fold's probabilities come from a churn map fitted on the other folds only, so no account is ever
// judged by a map that saw its outcome. The figures (Brier score, log loss, reliability bins and the
// expected calibration error) are pooled over the held-out folds.
import { probabilityFromMap } from "../model/churn-map.ts";
import { fitChurnMap, type ChurnMapSample } from "./fit-churn-map.ts";
import { splitFold, stratifiedFolds } from "./folds.ts";
import {
  brierScore,
  calibrationBins,
  expectedCalibrationError,
  logLoss,
  type CalibrationBin,
  type Prediction,
} from "./probability-metrics.ts";

export interface ProbabilitySample extends ChurnMapSample {
  accountId: string;
}

export interface HeldOutProbabilityOptions {
  folds: number;
  seed: number;
  /** The horizon the outcomes stand for; it does not change the figures, only the maps' label. */
  horizonDays: number;
  minSegmentChurners?: number;
  /** Called with the accounts each step sees: lets a test prove fitting and evaluation never overlap. */
  trace?: (event: { fold: number; phase: "fit" | "evaluate"; accountIds: readonly string[] }) => void;
}

/** The figures of probabilities against outcomes: null (with `reason`) when they could not be made. */
export interface ProbabilityFigures {
  brier: number | null;
  logLoss: number | null;
  ece: number | null;
  calibration: CalibrationBin[];
  reason: string | null;
}

export interface HeldOutProbability extends ProbabilityFigures {
  folds: number;
  seed: number;
  /** Each sample's held-out probability, in the order given (null when undefined). */
  probabilities: (number | null)[];
  /** The samples' accounts, in the same order: what the revenue forecast joins its MRR on. */
  accountIds: string[];
}

export function probabilityFigures(predictions: readonly Prediction[]): ProbabilityFigures {
  const calibration = calibrationBins(predictions);
  return {
    brier: brierScore(predictions),
    logLoss: logLoss(predictions),
    ece: expectedCalibrationError(calibration),
    calibration,
    reason: null,
  };
}

export function noProbabilityFigures(reason: string): ProbabilityFigures {
  return { brier: null, logLoss: null, ece: null, calibration: [], reason };
}

/**
 * One fold's probabilities: the map fitted on `train` only, read at each `test` account's score.
 * Null when `train` holds one outcome only (no map can be fitted).
 */
export function foldProbabilities(
  train: readonly ChurnMapSample[],
  test: readonly ChurnMapSample[],
  options: Pick<HeldOutProbabilityOptions, "horizonDays" | "minSegmentChurners">,
): number[] | null {
  const map = fitChurnMap(train, options);
  return map ? test.map((s) => probabilityFromMap(map, s.segment, s.score)) : null;
}

export function heldOutProbability(
  samples: readonly ProbabilitySample[],
  options: HeldOutProbabilityOptions,
): HeldOutProbability {
  const k = options.folds;
  const churned = samples.filter((s) => s.churned).length;
  const retained = samples.length - churned;
  const base = { folds: k, seed: options.seed, accountIds: samples.map((s) => s.accountId) };
  if (churned < k || retained < k)
    return {
      ...base,
      ...noProbabilityFigures(
        `held-out probabilities need at least ${k} churned and ${k} retained scored accounts for ${k} folds (got ${churned} churned, ${retained} retained)`,
      ),
      probabilities: samples.map(() => null),
    };
  const folds = stratifiedFolds(
    samples.map((s) => s.churned),
    k,
    options.seed,
  );
  const probabilities = new Array<number | null>(samples.length).fill(null);
  for (let f = 0; f < k; f++) {
    const { train, test } = splitFold(folds, f);
    const trainSamples = train.map((i) => samples[i]!);
    const testSamples = test.map((i) => samples[i]!);
    options.trace?.({ fold: f, phase: "fit", accountIds: trainSamples.map((s) => s.accountId) });
    options.trace?.({ fold: f, phase: "evaluate", accountIds: testSamples.map((s) => s.accountId) });
    // Every training fold holds both outcomes (stratified, and at least k of each), so the map exists.
    const p = foldProbabilities(trainSamples, testSamples, options)!;
    test.forEach((i, j) => (probabilities[i] = p[j]!));
  }
  const predictions = samples.map((s, i) => ({ probability: probabilities[i]!, churned: s.churned }));
  return { ...base, ...probabilityFigures(predictions), probabilities };
}
