// Business days (Monday to Friday) for due dates and escalations. Public holidays are not known here.
import type { Day } from "../dates.ts";

/** 0 = Sunday ... 6 = Saturday (day 0, 1970-01-01, was a Thursday). */
export function weekday(day: Day): number {
  return (((day + 4) % 7) + 7) % 7;
}

export function isBusinessDay(day: Day): boolean {
  const w = weekday(day);
  return w !== 0 && w !== 6;
}

/** The day `n` business days after `day` (a weekend start counts from the next Monday). */
export function addBusinessDays(day: Day, n: number): Day {
  let d = day;
  for (let left = n; left > 0;) {
    d++;
    if (isBusinessDay(d)) left--;
  }
  return d;
}

/** Business days from `from` (exclusive) to `to` (inclusive); 0 when `to` is not after `from`. */
export function businessDaysBetween(from: Day, to: Day): number {
  let count = 0;
  for (let d = from + 1; d <= to; d++) if (isBusinessDay(d)) count++;
  return count;
}
