// Fits the model's churn map: isotonic regression of the outcome (1 churned, 0 retained) on the
// score, so the probability never rises with the score, for the portfolio and for each segment
// with enough churners of its own. Written into the model file as readable [score, probability]
// points (see domain/model/churn-map.ts for how they are read).
import type { ChurnCurve, ChurnMap } from "../model/schema.ts";
import { isotonicDecreasing } from "./isotonic.ts";

/**
 * A segment gets its own curve only with at least this many churned and this many retained accounts
 * (a rate per step needs some of each); the others read the portfolio's curve. Thirty: below that,
 * a segment's curve has a handful of steps and moves by several points with each account.
 */
export const MIN_SEGMENT_CHURNERS = 30;

/**
 * The horizon a map is labelled with when the outcomes do not say: the outcomes of a back-test on
 * files are taken to be churn within the next 90 days (a quarter, and `--lead-days`' default).
 */
export const DEFAULT_HORIZON_DAYS = 90;

export interface ChurnMapSample {
  segment: string | null;
  score: number;
  churned: boolean;
}

export interface ChurnMapOptions {
  horizonDays: number;
  minSegmentChurners?: number;
}

/** Null when the samples hold no churned or no retained account: then there is nothing to fit. */
export function fitChurnMap(samples: readonly ChurnMapSample[], options: ChurnMapOptions): ChurnMap | null {
  const portfolio = fitChurnCurve(samples);
  if (!portfolio) return null;
  const min = options.minSegmentChurners ?? MIN_SEGMENT_CHURNERS;
  const bySegment = new Map<string, ChurnMapSample[]>();
  for (const s of samples) {
    if (s.segment === null) continue;
    let list = bySegment.get(s.segment);
    if (!list) bySegment.set(s.segment, (list = []));
    list.push(s);
  }
  const own: [string, ChurnCurve][] = [];
  for (const [segment, list] of [...bySegment].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const churned = list.filter((s) => s.churned).length;
    if (churned < min || list.length - churned < min) continue;
    own.push([segment, fitChurnCurve(list)!]);
  }
  // fromEntries defines own properties, so even a segment named "__proto__" is kept as a key.
  const segments = Object.fromEntries(own);
  return {
    horizon_days: options.horizonDays,
    method: "isotonic",
    portfolio,
    ...(Object.keys(segments).length > 0 ? { segments } : {}),
  };
}

/**
 * The curve of one group: each isotonic step becomes a point at its lowest and its highest score (one
 * when they are equal), so the probability is flat within a step and linear between steps. Null
 * without both outcomes.
 */
export function fitChurnCurve(samples: readonly { score: number; churned: boolean }[]): ChurnCurve | null {
  const churned = samples.filter((s) => s.churned).length;
  if (churned === 0 || churned === samples.length) return null;
  const blocks = isotonicDecreasing(
    samples.map((s) => ({ x: roundScore(s.score), y: s.churned ? 1 : 0, weight: 1 })),
  );
  // A step of only retained (or only churned) accounts would say 0 (or 1): a certainty no finite
  // history supports. Half an account in the whole sample is the floor; clamping keeps the order.
  const floor = 0.5 / samples.length;
  const points: [number, number][] = [];
  for (const b of blocks) {
    const p = roundProbability(Math.min(Math.max(b.value, floor), 1 - floor));
    for (const x of b.from === b.to ? [b.from] : [b.from, b.to]) {
      const last = points[points.length - 1];
      if (last && last[0] === x) continue;
      points.push([x, p]);
    }
  }
  return { accounts: samples.length, churned, points: dropCollinear(points) };
}

/** Two decimals: the map is read by people, and a hundredth of a point never changes a decision. */
const roundScore = (score: number) => Math.round(score * 100) / 100;

/**
 * Three significant digits below one half, four decimals above (kept below 1): both are
 * non-decreasing, so rounding keeps the probabilities non-increasing in the score, and none becomes
 * 0 or 1.
 */
function roundProbability(p: number): number {
  return p < 0.5 ? Number(p.toPrecision(3)) : Math.min(Number(p.toFixed(4)), 0.9999);
}

/** Points between two others of the same probability add nothing to a flat stretch: dropped. */
function dropCollinear(points: [number, number][]): [number, number][] {
  return points.filter(
    (p, i) =>
      i === 0 || i === points.length - 1 || !(points[i - 1]![1] === p[1] && points[i + 1]![1] === p[1]),
  );
}
