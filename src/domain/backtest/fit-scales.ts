// Fits each component's scale as a monotone piecewise-linear curve, together with non-negative
// weights. A curve through breakpoints q0 < q1 < ... < qm (quantiles of the input) is a sum of ramps
// r_k(x) = clamp((x - q_{k-1}) / (q_k - q_{k-1}), 0, 1), one per segment; with every ramp's
// coefficient >= 0 it can only rise (or, with the ramps flipped, only fall). So the whole score,
// all components' curves added, is a logistic regression of retained (1) / churned (0) on the
// ramps with coefficients >= 0 (logistic-fit.ts). A component's rise from its worst to its best
// value is its effect: the weights are the effects' shares, and the curve divided by its rise,
// times 100, is its scale. The score the model then computes is the fitted linear predictor up to
// a scale and shift, so it ranks accounts as the fit does; each component stays a readable curve
// with a weight, and more of a good thing never lowers the score.
import type { Scale, ScoringModel } from "../model/schema.ts";
import { scaleDirection } from "../scoring/scale.ts";
import { weightsFromEffects } from "./fit-weights.ts";
import { fitLogistic } from "./logistic-fit.ts";
import type { OutcomeSample } from "./samples.ts";

export const FIT_MODES = ["weights", "scales", "all"] as const;
/** weights: the weights only; scales: the curves only (the model's weights kept); all: both. */
export type FitMode = (typeof FIT_MODES)[number];

export interface FitChoice {
  mode: FitMode;
  /** Most points a fitted scale may have (>= 2): breakpoints at as many quantiles of the input. */
  maxPoints: number;
  /** Keep the direction each scale has in the model (learned only where the model's scale has none). */
  keepDirection: boolean;
}

/**
 * Ten points: a segment per tenth of the accounts, few enough to read in a model file and enough
 * accounts per segment (a tenth of the training data) for each increment to be estimated.
 */
export const DEFAULT_MAX_POINTS = 10;
export const DEFAULT_FIT: FitChoice = { mode: "all", maxPoints: DEFAULT_MAX_POINTS, keepDirection: false };

export type Direction = 1 | -1;

export interface ComponentScaleFit {
  key: string;
  /** +1: a higher input raises the sub-score; -1: lowers it. */
  direction: Direction;
  /** "model": the model's scale said so; "data": learned from the training accounts. */
  directionFrom: "model" | "data";
  /** The fitted scale; the model's own when the component had no effect or no spread. */
  scale: Scale;
  fitted: boolean;
}

export interface ScaleFit {
  components: ComponentScaleFit[];
  /** One per base component: fitted ("all") or the model's ("scales", or nothing fitted). */
  weights: number[];
  /** False when no component separated churned from retained accounts (model unchanged). */
  fitted: boolean;
}

/**
 * Fits on `train` only: it is all this function is given. `train`: the accounts the input model
 * scores (enough coverage), as the back-test and the weight fit use them.
 */
export function fitScales(model: ScoringModel, train: readonly OutcomeSample[], choice: FitChoice): ScaleFit {
  const keys = model.components.map((c) => c.key);
  const modelWeights = model.components.map((c) => c.weight);
  const rows = train;
  const values = keys.map((k) => rows.map((r) => finiteOrNull(r.raws[k])));
  const breaks = values.map((v) => quantileBreaks(v, choice.maxPoints));
  const modelDirections = model.components.map((c) => scaleDirection(c.scale));
  const outcome = rows.map((r): 0 | 1 => (r.churned ? 0 : 1));
  const unchanged = (): ScaleFit => ({
    components: model.components.map((c, j) => ({
      key: c.key,
      direction: modelDirections[j] === -1 ? -1 : 1,
      directionFrom: "model",
      scale: c.scale,
      fitted: false,
    })),
    weights: modelWeights,
    fitted: false,
  });
  const usable = keys.flatMap((_, j) => (breaks[j]!.length >= 2 ? [j] : []));
  if (usable.length === 0 || outcome.every((y) => y === 1) || outcome.every((y) => y === 0))
    return unchanged();

  const learned = learnDirections(values, usable, outcome);
  // The model's direction when asked to keep it or when the data show none; otherwise the data's
  // (a model scale that rises and falls has no direction to keep).
  const directions = keys.map((_, j): { direction: Direction; from: "model" | "data" } => {
    const fromModel = modelDirections[j]!;
    if (fromModel !== 0 && (choice.keepDirection || learned[j] === 0))
      return { direction: fromModel, from: "model" };
    return { direction: learned[j] === -1 ? -1 : 1, from: "data" };
  });

  const { x, p, columns } = rampDesign(
    values,
    breaks,
    usable,
    directions.map((d) => d.direction),
  );
  const fit = fitLogistic(x, p, outcome, { nonNegative: true });
  const effects = keys.map(() => 0);
  const increments = keys.map(() => [] as number[]);
  columns.forEach((j, c) => {
    const b = Math.max(0, fit.coefficients[c]!);
    increments[j]!.push(b);
    effects[j]! += b;
  });
  // An effect this small next to the largest moves no score by a hundredth of a point.
  const largest = Math.max(...effects);
  const has = effects.map((e) => largest > 0 && e > largest * 1e-6);
  if (!has.some(Boolean)) return unchanged();

  const components = model.components.map((c, j): ComponentScaleFit => {
    const d = directions[j]!;
    if (!has[j])
      return { key: c.key, direction: d.direction, directionFrom: d.from, scale: c.scale, fitted: false };
    const points = curvePoints(breaks[j]!, increments[j]!, d.direction);
    return { key: c.key, direction: d.direction, directionFrom: d.from, scale: { points }, fitted: true };
  });
  const total = modelWeights.reduce((a, b) => a + b, 0);
  const weights =
    choice.mode === "all"
      ? (weightsFromEffects(
          has.map((h, j) => (h ? effects[j]! : 0)),
          total,
        ) ?? modelWeights)
      : modelWeights;
  return { components, weights, fitted: true };
}

/**
 * Up to `maxPoints` distinct breakpoints at the quantiles 0, 1/(maxPoints-1), ..., 1 of the
 * values present (nearest rank), so each segment holds about the same number of accounts; an
 * input with few distinct values (a 0/1 flag) gets one breakpoint per value.
 */
export function quantileBreaks(values: readonly (number | null)[], maxPoints: number): number[] {
  const sorted = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  if (sorted.length === 0) return [];
  const out: number[] = [];
  for (let k = 0; k < maxPoints; k++) {
    const v = sorted[Math.round((k / (maxPoints - 1)) * (sorted.length - 1))]!;
    if (out.length === 0 || v > out[out.length - 1]!) out.push(v);
  }
  return out;
}

/**
 * The scale's points from the breakpoints and the increments of the segments between them (>= 0):
 * the cumulative rise, as a share of the whole rise, times 100 (from 100 down for direction -1),
 * to one decimal. Points that add nothing (on the line between their neighbours, or in a flat run
 * at either end, where the scale clamps anyway) are left out, so the file shows only the bends.
 */
export function curvePoints(
  breaks: readonly number[],
  increments: readonly number[],
  direction: Direction,
): [number, number][] {
  if (breaks.length !== increments.length + 1)
    throw new RangeError("one increment per segment between breaks");
  const rise = increments.reduce((a, b) => a + b, 0);
  let cumulative = 0;
  const ys = breaks.map((_, k) => {
    if (k > 0) cumulative += increments[k - 1]!;
    const share = rise > 0 ? cumulative / rise : 0;
    return Math.round((direction === 1 ? share : 1 - share) * 1000) / 10;
  });
  let points: [number, number][] = breaks.map((x, k) => [x, ys[k]!]);
  while (points.length > 2 && points[0]![1] === points[1]![1]) points = points.slice(1);
  while (points.length > 2 && points.at(-1)![1] === points.at(-2)![1]) points = points.slice(0, -1);
  const kept: [number, number][] = [points[0]!];
  for (let k = 1; k < points.length - 1; k++) {
    const [x0, y0] = kept.at(-1)!;
    const [x1, y1] = points[k]!;
    const [x2, y2] = points[k + 1]!;
    const onLine = y0 + ((x1 - x0) / (x2 - x0)) * (y2 - y0);
    if (Math.abs(onLine - y1) > 0.05) kept.push([x1, y1]);
  }
  kept.push(points.at(-1)!);
  return kept;
}

/**
 * Each component's direction as the sign of its coefficient in an unconstrained logistic
 * regression on the standardised inputs (missing values at the mean): the way it pulls given the
 * others, which is the way its curve can help the score. 0: no usable spread or no pull.
 */
function learnDirections(
  values: readonly (number | null)[][],
  usable: readonly number[],
  y: readonly (0 | 1)[],
): (-1 | 0 | 1)[] {
  const n = y.length;
  const p = usable.length;
  const x = new Float64Array(n * p);
  usable.forEach((j, c) => {
    const present = values[j]!.filter((v): v is number => v !== null);
    const mean = present.reduce((a, b) => a + b, 0) / present.length;
    const sd = Math.sqrt(present.reduce((a, b) => a + (b - mean) ** 2, 0) / present.length) || 1;
    values[j]!.forEach((v, i) => (x[i * p + c] = v === null ? 0 : (v - mean) / sd));
  });
  const fit = fitLogistic(x, p, y, { nonNegative: false });
  const out = values.map((): -1 | 0 | 1 => 0);
  usable.forEach((j, c) => (out[j] = Math.sign(fit.coefficients[c]!) as -1 | 0 | 1));
  return out;
}

/** The ramps of every usable component, flipped for direction -1; a missing input takes the ramps' mean. */
function rampDesign(
  values: readonly (number | null)[][],
  breaks: readonly number[][],
  usable: readonly number[],
  directions: readonly Direction[],
): { x: Float64Array; p: number; columns: number[] } {
  const columns = usable.flatMap((j) => breaks[j]!.slice(1).map(() => j));
  const p = columns.length;
  const n = values[0]?.length ?? 0;
  const x = new Float64Array(n * p);
  let c0 = 0;
  for (const j of usable) {
    const q = breaks[j]!;
    const m = q.length - 1;
    const missing: number[] = [];
    const sums = new Float64Array(m);
    values[j]!.forEach((v, i) => {
      if (v === null) return void missing.push(i);
      for (let k = 1; k <= m; k++) {
        const r = Math.min(1, Math.max(0, (v - q[k - 1]!) / (q[k]! - q[k - 1]!)));
        const f = directions[j] === 1 ? r : 1 - r;
        x[i * p + c0 + k - 1] = f;
        sums[k - 1]! += f;
      }
    });
    const present = n - missing.length;
    for (const i of missing) for (let k = 0; k < m; k++) x[i * p + c0 + k] = sums[k]! / present;
    c0 += m;
  }
  return { x, p, columns };
}

/** The model with the fitted scales and weights (segments' own scales and weights left as they are). */
export function withScales(model: ScoringModel, fit: ScaleFit): ScoringModel {
  return {
    ...model,
    components: model.components.map((c, j) => ({
      ...c,
      scale: fit.components[j]!.scale,
      weight: fit.weights[j] ?? c.weight,
    })),
  };
}

function finiteOrNull(v: number | null | undefined): number | null {
  return v === null || v === undefined || !Number.isFinite(v) ? null : v;
}
