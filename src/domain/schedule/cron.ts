// Cron patterns as BullMQ reads them: the same parser (cron-parser, the version BullMQ uses), so
// what a user is shown as the next fire times is what the scheduler will do.
import { CronExpressionParser } from "cron-parser";

/** Null when `pattern` is a valid 5-field cron pattern; otherwise why not. */
export function cronProblem(pattern: string): string | null {
  if (!/^\S+(\s+\S+){4}$/.test(pattern.trim()))
    return "must be a 5-field cron pattern (minute hour day month weekday)";
  try {
    CronExpressionParser.parse(pattern);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The next `count` fire times of `pattern` in time zone `tz`, after `from`. */
export function nextFireTimes(pattern: string, tz: string, from: Date, count: number): Date[] {
  return CronExpressionParser.parse(pattern, { tz, currentDate: from })
    .take(count)
    .map((d) => d.toDate());
}
