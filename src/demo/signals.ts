// From an account's target level (0-100) to the raw signals a customer portfolio produces. Each
// mapping inverts the demo scoring model's curve for that signal, so an account aimed at 85 produces
// data that scores about 85; the noise and the per-account offsets do the rest.
import type { Random } from "./random.ts";

const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, value));

/** Piecewise-linear interpolation through (x, y) points sorted by x, flat outside them. */
function through(points: readonly (readonly [number, number])[], x: number): number {
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last) throw new RangeError("no points");
  if (x <= first[0]) return first[1];
  for (let i = 1; i < points.length; i++) {
    const [x1, y1] = points[i] as readonly [number, number];
    const [x0, y0] = points[i - 1] as readonly [number, number];
    if (x <= x1) return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
  }
  return last[1];
}

/**
 * The level the usage, ticket and survey signals aim at so that the score lands on `level`: almost
 * every account has no failed charge, so payments score 100 with a tenth of the weight, and the other
 * signals aim a little lower to make up for it.
 */
export function signalLevel(level: number): number {
  return (level - 10) / 0.9;
}

/** Level → weekly active ratio; the inverse of usage points [[0.1,0],[0.5,70],[0.8,100]]. */
export function usageRatioFor(level: number): number {
  return through(
    [
      [0, 0.1],
      [70, 0.5],
      [100, 0.8],
    ],
    clamp(level, 0, 100),
  );
}

/** Level → mean open tickets; the inverse of "10 open → 0, none → 100". */
export function openTicketsFor(level: number): number {
  return 10 * (1 - clamp(level, 0, 100) / 100);
}

/** Level → share of CSAT ratings of 4-5; the inverse of points [[50,0],[80,70],[95,100]]. */
function satisfiedShareFor(level: number): number {
  const percent = through(
    [
      [0, 50],
      [70, 80],
      [100, 95],
    ],
    clamp(level, 0, 100),
  );
  return percent / 100;
}

const DETRACTOR_SCORES = [0, 1, 2, 3, 4, 5, 5, 6, 6, 6] as const;

/** An NPS answer (0-10) for an account at `level`: the NPS it aims at is 2 × level − 100. */
export function drawNps(random: Random, level: number): number {
  const nps = (2 * clamp(level, 0, 100) - 100) / 100;
  // About a third answer 7-8, fewer when the aim leaves no room for them.
  const passives = Math.min(0.35, 1 - Math.abs(nps));
  const promoters = clamp((1 - passives + nps) / 2, 0, 1);
  const detractors = clamp((1 - passives - nps) / 2, 0, 1);
  const u = random.float();
  if (u < promoters) return random.chance(0.55) ? 10 : 9;
  if (u < promoters + detractors) return random.pick(DETRACTOR_SCORES);
  return random.chance(0.5) ? 8 : 7;
}

/** A CSAT rating (1-5). */
export function drawCsat(random: Random, level: number): number {
  if (random.chance(satisfiedShareFor(level))) return random.chance(0.55) ? 5 : 4;
  const u = random.float();
  return u < 0.55 ? 3 : u < 0.85 ? 2 : 1;
}

/** A customer effort rating (1-7, lower is easier): the mean aims at 5 − 4 × level / 100. */
export function drawCes(random: Random, level: number): number {
  const mean = 5 - (4 * clamp(level, 0, 100)) / 100;
  return clamp(Math.round(random.normal(mean, 0.8)), 1, 7);
}

/** Chance that a monthly charge fails for an account at `level`. */
export function paymentFailureChance(level: number): number {
  if (level >= 80) return 0.005;
  if (level >= 70) return 0.02;
  return 0.08;
}
