// How plays write numbers, bounds and quotes in their plain-text lines (trigger summaries, condition
// reasons, cap summaries). Plain text only: the Slack builders escape it where it is shown.
import { nearestWhole } from "../rounding.ts";
import type { Bound } from "./schema.ts";

/** 12, 12.5, 0.0345, 1235: whole numbers as they are, others to 3 significant digits (whole above 100). */
export function formatNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  const abs = Math.abs(n);
  if (abs >= 100) return String(Math.round(n));
  if (abs >= 1) {
    // Three significant digits from 1 to 100 are hundredths or tenths: toPrecision's number, from
    // the nearest whole number of them (a tie going up, as toPrecision's), which is much faster.
    const scale = abs >= 10 ? 10 : 100;
    const whole = nearestWhole(abs * scale);
    if (!Number.isNaN(whole)) return String((n < 0 ? -whole : whole) / scale);
  }
  return String(Number(n.toPrecision(3)));
}

/** Rounded to one decimal, as a number (a fire's facts keep it as JSON). */
export function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/** True when `value` satisfies every bound given (below <, above >, at_most <=, at_least >=). */
export function inBound(value: number, bound: Bound): boolean {
  return (
    (bound.below === undefined || value < bound.below) &&
    (bound.above === undefined || value > bound.above) &&
    (bound.at_most === undefined || value <= bound.at_most) &&
    (bound.at_least === undefined || value >= bound.at_least)
  );
}

/** "below 20", "at least 3 and at most 6". */
export function boundText(bound: Bound): string {
  const parts: string[] = [];
  if (bound.above !== undefined) parts.push(`above ${formatNumber(bound.above)}`);
  if (bound.at_least !== undefined) parts.push(`at least ${formatNumber(bound.at_least)}`);
  if (bound.below !== undefined) parts.push(`below ${formatNumber(bound.below)}`);
  if (bound.at_most !== undefined) parts.push(`at most ${formatNumber(bound.at_most)}`);
  return parts.join(" and ");
}

/** A comment on one line, cut to `max` characters with an ellipsis: a summary quotes, it does not reproduce. */
export function shortQuote(text: string, max = 120): string {
  const line = text.replace(/\s+/g, " ").trim();
  // No more UTF-16 units than `max`, so no more characters: the usual comment, kept whole.
  if (line.length <= max) return line;
  const chars = [...line];
  return chars.length <= max ? line : `${chars.slice(0, max - 1).join("")}…`;
}

/** "1 day", "3 days". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatNumber(n)} ${n === 1 ? one : many}`;
}
