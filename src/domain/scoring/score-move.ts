// How a move from one score to another is written, wherever one is shown (the digest, the case
// messages, the card, `css-bot explain`): whole numbers, unless rounding would make two different
// scores look alike. A band that changed between 81.61 and 82.02 reads "81.6 -> 82.0", not "82 -> 82".

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
    if (from.toFixed(digits) !== to.toFixed(digits)) return digits;
  }
  return 0;
}

export function scoreMove(from: number | null, to: number | null): ScoreMoveText {
  const digits = moveDigits(from, to);
  const fmt = (s: number | null) => (s === null ? "n/a" : s.toFixed(digits));
  return {
    from: fmt(from),
    to: fmt(to),
    delta: from === null || to === null ? null : signed(to - from, digits),
  };
}

/** "81.6 -> 82.0", "86 -> 53" (the arrow is the caller's: Slack's text uses "→"). */
export function scoreMoveText(from: number | null, to: number | null, arrow = "->"): string {
  const m = scoreMove(from, to);
  return `${m.from} ${arrow} ${m.to}`;
}

function signed(x: number, digits: number): string {
  const text = Math.abs(x).toFixed(digits);
  if (Number(text) === 0) return "±0";
  return `${x > 0 ? "+" : "−"}${text}`;
}
