// Fits the components' weights to churn outcomes with non-negative least squares (ml-fcnnls):
// the retained (1) / churned (0) outcome regressed on the centred component sub-scores, with every
// coefficient >= 0. Least squares on a 0/1 outcome gives Fisher's discriminant direction (up to
// scale), the linear combination that best separates the two groups; the non-negativity keeps each
// component pulling the score the way its sub-score does, so the score stays explainable. The
// coefficients, scaled to the model's total weight, become the weights.
import { fcnnlsVector } from "ml-fcnnls";
import type { ScoringModel } from "../model/schema.ts";
import type { BacktestSample } from "./report.ts";

/** A component the fit gives no weight keeps about this share of the total (a model's weights must be > 0). */
export const MIN_WEIGHT_SHARE = 0.01;

export interface WeightFit {
  /** One per base component, in the model's order; the input weights when nothing carried signal. */
  weights: number[];
  /** False when no component separated churned from retained accounts (weights left as they were). */
  fitted: boolean;
}

/**
 * `scored`: the training accounts scored with the input model (sub-scores do not depend on the
 * weights); those without a score are left out, as the back-test leaves them out.
 */
export function fitWeights(model: ScoringModel, scored: readonly BacktestSample[]): WeightFit {
  const keys = model.components.map((c) => c.key);
  const total = model.components.reduce((s, c) => s + c.weight, 0);
  const rows = scored.filter((s) => s.score !== null);
  const unchanged = { weights: model.components.map((c) => c.weight), fitted: false };
  if (rows.length < 2 || rows.every((r) => r.churned) || rows.every((r) => !r.churned)) return unchanged;

  const sub = rows.map((r) => keys.map((k) => r.components.find((c) => c.key === k)?.score ?? null));
  // Centre each column on its training mean; a missing sub-score takes the mean (contributes 0).
  const means = keys.map((_, j) => {
    const present = sub.map((x) => x[j]).filter((v): v is number => v !== null);
    return present.length === 0 ? null : present.reduce((a, b) => a + b, 0) / present.length;
  });
  const usable = keys.map((_, j) => means[j] !== null && sub.some((x) => x[j] !== null && x[j] !== means[j]));
  const columns = keys.flatMap((_, j) => (usable[j] ? [j] : []));
  if (columns.length === 0) return unchanged;
  const X = sub.map((x) => columns.map((j) => (x[j] === null ? 0 : x[j]! - means[j]!)));
  const retainedRate = rows.filter((r) => !r.churned).length / rows.length;
  const y = rows.map((r) => (r.churned ? 0 : 1) - retainedRate);
  const k = fcnnlsVector(X, y).K.to1DArray();

  const beta = keys.map(() => 0);
  columns.forEach((j, i) => (beta[j] = Math.max(0, k[i] ?? 0)));
  const weights = weightsFromEffects(beta, total);
  return weights ? { weights, fitted: true } : unchanged;
}

/**
 * Weights in proportion to each component's effect (>= 0) on the fitted score, scaled to `total`;
 * a component without effect keeps the floor share. Null when no component has an effect.
 */
export function weightsFromEffects(effects: readonly number[], total: number): number[] | null {
  const sum = effects.reduce((a, b) => a + b, 0);
  if (!(sum > 0)) return null;
  const shares = effects.map((b) => Math.max(b / sum, MIN_WEIGHT_SHARE));
  const shareSum = shares.reduce((a, b) => a + b, 0);
  return shares.map((s) => roundWeight((s / shareSum) * total));
}

/** Three significant digits: weights are read by people, and only their ratios matter. */
export function roundWeight(w: number): number {
  return Number(w.toPrecision(3));
}

/** The model with the base components' weights replaced (segments' own weights are left as they are). */
export function withWeights(model: ScoringModel, weights: readonly number[]): ScoringModel {
  return { ...model, components: model.components.map((c, i) => ({ ...c, weight: weights[i] ?? c.weight })) };
}
