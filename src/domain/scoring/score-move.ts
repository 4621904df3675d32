// How a move from one score to another is written, wherever one is shown (the digest, the case
// messages, the card, `css-bot explain`): whole numbers, unless rounding would make two different
// scores look alike. A band that changed between 81.61 and 82.02 reads "81.6 -> 82.0", not "82 -> 82".
import { nearestWhole, ROUNDING_LIMIT } from "../rounding.ts";

/** The most decimals a move is shown with: closer scores than this are the same score to a reader. */
const MAX_DIGITS = 2;

export interface ScoreMoveText {
  /** "n/a" for a score that is missing. */
  from: string;
  to: string;
  /** The change with its sign ("+0.4", "−12", "±0"); null when either score is missing. */
  delta: string | null;
}

/** The decimals that tell `from` and `to` apart: 0 when whole numbers already do (or nothing can). */
export function moveDigits(from: number | null, to: number | null): number {
  if (from === null || to === null) return 0;
  for (let digits = 0; digits <= MAX_DIGITS; digits++) {
    if (!sameFixed(from, to, digits)) return digits;
  }
  return 0;
}

// The plays write a move in every band change's and drop's summary, tens of thousands after a run:
// sameFixed compares the rounded numbers instead of toFixed's texts where that is exact.

/** Below this, |x| * 100 is under ROUNDING_LIMIT. */
const FAST_LIMIT = ROUNDING_LIMIT / 100;
const SCALES = [1, 10, 100];

/** Whether `a.toFixed(digits) === b.toFixed(digits)`. */
export function sameFixed(a: number, b: number, digits: number): boolean {
  const scale = SCALES[digits];
  if (scale !== undefined && Math.abs(a) < FAST_LIMIT && Math.abs(b) < FAST_LIMIT) {
    // toFixed writes "-" for a value below 0 (not for -0), then |x| rounded to the nearest
    // multiple of 10^-digits, a tie going up: the same text is the same sign and the same multiple.
    if (a < 0 !== b < 0) return false;
    const ra = nearestWhole(Math.abs(a) * scale);
    const rb = nearestWhole(Math.abs(b) * scale);
    // NaN (a tie, or near one) is equal to nothing: then toFixed says.
    if (ra === rb) return true;
    if (!Number.isNaN(ra) && !Number.isNaN(rb)) return false;
  }
  return a.toFixed(digits) === b.toFixed(digits);
}

/** `score.toFixed(digits)`, "n/a" for a missing score. */
function fixed(score: number | null, digits: number): string {
  if (score === null) return "n/a";
  if (digits === 0 && score >= 0 && score < FAST_LIMIT) {
    // toFixed(0) of a value from 0 writes its nearest whole number (a tie going up), as String does.
    const whole = nearestWhole(score);
    if (!Number.isNaN(whole)) return String(whole);
  }
  return score.toFixed(digits);
}

export function scoreMove(from: number | null, to: number | null): ScoreMoveText {
  const digits = moveDigits(from, to);
  return {
    from: fixed(from, digits),
    to: fixed(to, digits),
    delta: from === null || to === null ? null : signed(to - from, digits),
  };
}

/** "81.6 -> 82.0", "86 -> 53" (the arrow is the caller's: Slack's text uses "→"). */
export function scoreMoveText(from: number | null, to: number | null, arrow = "->"): string {
  // scoreMove's from and to, without its delta (a third toFixed), which the text does not show.
  const digits = moveDigits(from, to);
  return `${fixed(from, digits)} ${arrow} ${fixed(to, digits)}`;
}

function signed(x: number, digits: number): string {
  const text = Math.abs(x).toFixed(digits);
  if (Number(text) === 0) return "±0";
  return `${x > 0 ? "+" : "−"}${text}`;
}
