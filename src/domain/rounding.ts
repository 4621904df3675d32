// Rounding by numbers where it gives what toFixed and toPrecision would, which are slow: the plays
// write tens of thousands of scores and moves after a run (score-move.ts, plays/plain-text.ts).

/**
 * Below this, `y` is a product such as |x| * 100 of a score-sized x (under 1e6): then it is within
 * 1e-8 of the exact product, far inside TIE_MARGIN, so its nearest whole number is the exact one's.
 */
export const ROUNDING_LIMIT = 1e8;
/** A value this close to a half could round either way in floating point: the caller asks toFixed. */
const TIE_MARGIN = 1e-6;

/**
 * The nearest whole number to `y` (0 <= y < ROUNDING_LIMIT, computed with at most one rounding),
 * as toFixed and toPrecision round the exact value; NaN when `y` is (nearly) halfway between two,
 * where they round the exact value up and floating point may have moved it across the half.
 */
export function nearestWhole(y: number): number {
  const whole = Math.floor(y);
  const fraction = y - whole;
  if (Math.abs(fraction - 0.5) < TIE_MARGIN) return Number.NaN;
  return fraction < 0.5 ? whole : whole + 1;
}
