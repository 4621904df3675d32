// A score as a probability of churning: the model's churn map (fitted from outcomes by
// `css-bot calibrate`, see docs/backtesting.md) read at a score, and the probability as words.
// Without a map there is no probability: null, never a number made up from the score.
import type { ChurnCurve, ChurnMap, ScoringModel } from "./schema.ts";

/**
 * The probability that an account of `segment` with `score` churns within the map's horizon
 * (`model.churn_probability.horizon_days`); null when the model has no churn map. A segment without
 * a curve of its own (too few churners when it was fitted) reads the portfolio's.
 */
export function churnProbability(model: ScoringModel, segment: string | null, score: number): number | null {
  const map = model.churn_probability;
  return map ? probabilityFromMap(map, segment, score) : null;
}

export function probabilityFromMap(map: ChurnMap, segment: string | null, score: number): number {
  return probabilityAt(curveFor(map, segment), score);
}

/** The curve an account of `segment` reads: its segment's own, else the portfolio's. */
export function curveFor(map: ChurnMap, segment: string | null): ChurnCurve {
  // Own properties only: a segment named like an Object method ("constructor") has no curve.
  const own = segment !== null && map.segments !== undefined && Object.hasOwn(map.segments, segment);
  return own ? map.segments![segment]! : map.portfolio;
}

/**
 * The curve at `score`: linear between its points, flat beyond the first and the last. Points are
 * sorted with non-increasing probabilities, so the result never rises with the score.
 */
export function probabilityAt(curve: ChurnCurve, score: number): number {
  const points = curve.points;
  if (score <= points[0]![0]) return points[0]![1];
  const last = points[points.length - 1]!;
  if (score >= last[0]) return last[1];
  // Binary search for the segment [lo, lo + 1] that holds the score.
  let lo = 0;
  let hi = points.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (points[mid]![0] <= score) lo = mid;
    else hi = mid;
  }
  const [x0, p0] = points[lo]!;
  const [x1, p1] = points[hi]!;
  return p0 + ((score - x0) / (x1 - x0)) * (p1 - p0);
}

// Simple fractions people read at a glance, smallest denominator first so ties go to the simpler.
const FRACTIONS = [2, 3, 4, 5, 10].flatMap((n) =>
  Array.from({ length: n - 1 }, (_, i) => [i + 1, n] as const),
);

/**
 * The probability as a chance in words: "about 1 in 4 chance of churning within 90 days". Below 10%
 * it is 1 in N, above 90% N-1 in N, and in between the nearest of the halves, thirds, quarters,
 * fifths and tenths; below 1 in 100 (or above 99 in 100) it says so rather than claim a precision
 * the history cannot give.
 */
export function churnChancePhrase(probability: number, horizonDays: number): string {
  if (!(probability >= 0 && probability <= 1))
    throw new RangeError(`a probability is between 0 and 1, got ${probability}`);
  const within = `chance of churning within ${horizonDays} ${horizonDays === 1 ? "day" : "days"}`;
  return `${chance(probability)} ${within}`;
}

function chance(p: number): string {
  if (p < 0.01) return "less than 1 in 100";
  if (p > 0.99) return "more than 99 in 100";
  if (p < 0.1) return `about 1 in ${Math.round(1 / p)}`;
  if (p > 0.9) {
    const n = Math.round(1 / (1 - p));
    return `about ${n - 1} in ${n}`;
  }
  let best: readonly [number, number] = FRACTIONS[0]!;
  for (const f of FRACTIONS) if (Math.abs(p - f[0] / f[1]) < Math.abs(p - best[0] / best[1])) best = f;
  return `about ${best[0]} in ${best[1]}`;
}

/** The model's churn chance at a score as words; null when the model has no churn map. */
export function churnChance(model: ScoringModel, segment: string | null, score: number): string | null {
  const p = churnProbability(model, segment, score);
  return p === null ? null : churnChancePhrase(p, model.churn_probability!.horizon_days);
}

/**
 * A stored probability (a snapshot's) with the horizon of the model that scored it, in words; null
 * when there is none or that model has no map (then no probability is shown, whatever is stored).
 */
export function storedChurn(
  probability: number | null,
  model: ScoringModel,
): { probability: number; horizonDays: number; phrase: string } | null {
  const horizonDays = model.churn_probability?.horizon_days;
  if (probability === null || horizonDays === undefined) return null;
  return { probability, horizonDays, phrase: churnChancePhrase(probability, horizonDays) };
}
