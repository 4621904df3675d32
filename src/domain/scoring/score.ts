// The Customer Success Score: the weighted mean of component sub-scores over the components that
// have data, with weights renormalised over those, and no score at all below the minimum coverage.
import type { EffectiveModel } from "../model/resolve-segment.ts";
import { INSUFFICIENT_DATA } from "../model/schema.ts";
import { bandWithHysteresis } from "./bands.ts";
import { applyScale } from "./scale.ts";
import type { RawInputs } from "./window-inputs.ts";

export interface ComponentResult {
  key: string;
  /** The input value (e.g. NPS 35, usage ratio 0.62); null without data in the window. */
  raw: number | null;
  /** 0..100, null without data. */
  score: number | null;
  /** Effective weight: renormalised over the components with data (they sum to 1); 0 without data. */
  weight: number;
  /** Points this component contributes to the score (score x weight); null without data. */
  points: number | null;
}

export interface ScoreResult {
  /** 0..100 unrounded; null when coverage is below the model's minimum. */
  score: number | null;
  band: string;
  /** Share of the model's total weight whose components had data (0..1). */
  coverage: number;
  components: ComponentResult[];
  /** The model segment that applied (null: the base model). */
  segment: string | null;
}

/**
 * Scores one account from its raw inputs. `previousBand` (the band of the previous snapshot) makes
 * the band sticky by the model's hysteresis; pass null for a plain band.
 */
export function scoreFromInputs(
  model: EffectiveModel,
  raws: RawInputs,
  previousBand: string | null = null,
): ScoreResult {
  let totalWeight = 0;
  let dataWeight = 0;
  const partial = model.components.map((c) => {
    totalWeight += c.weight;
    const raw = raws[c.key] ?? null;
    if (raw === null || !Number.isFinite(raw))
      return { key: c.key, raw: null, score: null, nominal: c.weight, hasData: false };
    dataWeight += c.weight;
    return { key: c.key, raw, score: applyScale(c.scale, raw), nominal: c.weight, hasData: true };
  });
  let sum = 0;
  const components: ComponentResult[] = partial.map((p) => {
    const weight = p.hasData ? p.nominal / dataWeight : 0;
    const points = p.score === null ? null : p.score * weight;
    sum += points ?? 0;
    return {
      key: p.key,
      raw: p.raw === null ? null : roundRaw(p.raw),
      score: p.score === null ? null : roundTo(p.score, 4),
      weight: roundTo(weight, 6),
      points: points === null ? null : roundTo(points, 4),
    };
  });
  const coverage = totalWeight === 0 ? 0 : dataWeight / totalWeight;
  // Compared with a small tolerance so that 0.5 coverage from weights like 1/3 + 1/6 still counts.
  const enough = dataWeight > 0 && coverage >= model.minCoverage - 1e-9;
  // The sum of the unrounded points: the score keeps full precision; the components are rounded to
  // what a reader can use (see roundTo).
  const score = enough ? clampScore(sum) : null;
  return {
    score,
    band:
      score === null
        ? INSUFFICIENT_DATA
        : bandWithHysteresis(model.bands, score, previousBand, model.hysteresis),
    coverage,
    components,
    segment: model.segment,
  };
}

// A component's figures are kept to what a reader can use: sub-scores and points (0..100) to 4
// decimals, weights (0..1) to 6, raw inputs to 6 significant digits (whole digits are never cut).
// Full binary precision (15.291333333333336) told nobody anything, and writing it cost a recompute
// a third more bytes per snapshot to format, send, check and store.
function roundTo(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}

function roundRaw(x: number): number {
  if (x === 0 || Number.isInteger(x)) return x;
  const decimals = Math.max(0, 5 - Math.floor(Math.log10(Math.abs(x))));
  return roundTo(x, Math.min(decimals, 15));
}

// Sums of floating-point points can stray a hair outside 0..100.
function clampScore(x: number): number {
  return Math.min(100, Math.max(0, x));
}
