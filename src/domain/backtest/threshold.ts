// The at-risk threshold: the min of the band just above the lowest one (scores below it are at
// risk). Calibration may move it to reach a target precision or recall on the training data.
import type { ScoringModel } from "../model/schema.ts";
import { warningStats } from "./metrics.ts";
import { scoreSamples, type OutcomeSample } from "./samples.ts";

export type Target = { precision: number } | { recall: number };

export interface ThresholdBand {
  /** Index in the model file's `bands` array, key and min of the band above the lowest. */
  index: number;
  key: string;
  min: number;
  /** The threshold must stay below this (the next band's min, or 100). */
  upper: number;
}

/** The band whose min is the at-risk threshold; null for a model with a single band. */
export function thresholdBand(model: ScoringModel): ThresholdBand | null {
  const ascending = model.bands.map((b, index) => ({ ...b, index })).sort((a, b) => a.min - b.min);
  const band = ascending[1];
  if (!band) return null;
  return { index: band.index, key: band.key, min: band.min, upper: ascending[2]?.min ?? 100 };
}

export function withThreshold(model: ScoringModel, min: number): ScoringModel {
  const band = thresholdBand(model);
  if (!band) return model;
  return { ...model, bands: model.bands.map((b, i) => (i === band.index ? { ...b, min } : b)) };
}

/** Candidate thresholds: every half point strictly between 0 and the next band's min. */
const STEP = 0.5;

export interface ThresholdChoice {
  min: number;
  /** Whether the target was met on the data it was chosen on. */
  reached: boolean;
}

/**
 * Chooses the threshold on `samples` (training data only). For a target precision: the highest
 * recall among the thresholds whose precision reaches it; for a target recall: the highest
 * precision among those whose recall reaches it. Unreachable: the best precision (or recall).
 * Accounts of a segment with its own bands keep them, so the base threshold does not move them.
 */
export function chooseThreshold(
  model: ScoringModel,
  samples: readonly OutcomeSample[],
  riskBands: readonly string[],
  target: Target,
): ThresholdChoice | null {
  const band = thresholdBand(model);
  if (!band) return null;
  const risk = new Set(riskBands);
  const ownBands = (segment: string | null) =>
    segment !== null && model.segments?.[segment]?.bands !== undefined;
  const scored = scoreSamples(model, samples)
    .map((s, i) => ({ ...s, own: ownBands(samples[i]!.segment) }))
    .filter((s) => s.score !== null);
  const candidates: { min: number; precision: number | null; recall: number | null }[] = [];
  for (let t = STEP; t < band.upper - 1e-9; t += STEP) {
    const stats = warningStats(
      scored.map((s) => ({ flagged: s.own ? risk.has(s.band) : s.score! < t, churned: s.churned })),
    );
    candidates.push({ min: t, precision: stats.precision, recall: stats.recall });
  }
  const byPrecision = (a: Candidate, b: Candidate) =>
    (b.precision ?? -1) - (a.precision ?? -1) || (b.recall ?? -1) - (a.recall ?? -1);
  const byRecall = (a: Candidate, b: Candidate) =>
    (b.recall ?? -1) - (a.recall ?? -1) || (b.precision ?? -1) - (a.precision ?? -1);
  type Candidate = (typeof candidates)[number];
  const wantPrecision = "precision" in target;
  const meets = (c: Candidate) =>
    wantPrecision ? (c.precision ?? -1) >= target.precision : (c.recall ?? -1) >= target.recall;
  const feasible = candidates.filter(meets);
  const pool = feasible.length > 0 ? feasible : candidates;
  // Feasible: maximise the other figure; unreachable: get as close to the target as possible.
  const order = feasible.length > 0 === wantPrecision ? byRecall : byPrecision;
  const best = [...pool].sort(order)[0];
  return best ? { min: best.min, reached: feasible.length > 0 } : null;
}
