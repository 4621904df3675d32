// Fitted scales change where scores fall: a curve fitted to churn may give most accounts a low
// sub-score, so bands set for the old scales would hold other shares of the portfolio (every
// account "at risk", say). The bands' mins are moved so that each band keeps the share of the
// training accounts it held under the input model: the team sees as many accounts per band as it
// planned for, and the fit decides which ones.
import type { ScoringModel } from "../model/schema.ts";
import type { BacktestSample } from "./report.ts";

/**
 * `after` with its base bands' mins placed at the quantiles of its scores that `before`'s mins had.
 * `beforeScores` and `afterScores`: the same training accounts, in the same order, scored with each.
 */
export function keepBandShares(
  before: ScoringModel,
  beforeScores: readonly BacktestSample[],
  after: ScoringModel,
  afterScores: readonly BacktestSample[],
): ScoringModel {
  // A segment with bands of its own is banded by those, not by the base mins.
  const base = beforeScores.flatMap((s, i) =>
    s.segment == null || before.segments?.[s.segment]?.bands === undefined ? [i] : [],
  );
  const sorted = (scores: readonly BacktestSample[]) =>
    base
      .map((i) => scores[i]!.score)
      .filter((s): s is number => s !== null)
      .sort((a, b) => a - b);
  const old = sorted(beforeScores);
  const now = sorted(afterScores);
  if (old.length === 0 || now.length !== old.length) return after;
  const n = now.length;
  const ascending = before.bands.map((b, index) => ({ min: b.min, index })).sort((a, b) => a.min - b.min);
  const mins = before.bands.map((b) => b.min);
  let previous = 0;
  for (const { min, index } of ascending) {
    if (min === 0) continue;
    // As many accounts below the new min as were below the old one: the new min sits between the
    // new scores of the same ranks.
    const rank = lowerBound(old, min);
    const placed = rank <= 0 ? now[0]! : rank >= n ? now[n - 1]! + 0.1 : (now[rank - 1]! + now[rank]!) / 2;
    const rounded = Math.max(Math.round(placed * 10) / 10, Math.round((previous + 0.1) * 10) / 10);
    // Beyond 100 the band could hold no score: keep the model's bands rather than invent some.
    if (rounded > 100) return after;
    mins[index] = rounded;
    previous = rounded;
  }
  return { ...after, bands: after.bands.map((b, i) => ({ ...b, min: mins[i]! })) };
}

/** Index of the first value >= x in ascending `values`. */
function lowerBound(values: readonly number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
