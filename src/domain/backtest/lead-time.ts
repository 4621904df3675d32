// Lead time: how long before churning an account was already in the risk band, from its snapshots.
import { quantile, mean } from "simple-statistics";
import type { Day } from "../dates.ts";

export interface SnapshotBand {
  day: Day;
  band: string;
}

/**
 * Days from the start of the account's last unbroken stretch of risk-band snapshots to its churn
 * day; null when its last snapshot before churning was not in a risk band (no warning standing).
 * A stretch that ended in a recovery was a warning withdrawn, so only the last one counts.
 * `snapshots` are those dated before the churn day, in any order.
 */
export function leadDays(
  churnDay: Day,
  snapshots: readonly SnapshotBand[],
  riskBands: ReadonlySet<string>,
): number | null {
  const before = snapshots.filter((s) => s.day < churnDay).sort((a, b) => a.day - b.day);
  let start: Day | null = null;
  for (const s of before) {
    if (!riskBands.has(s.band)) start = null;
    else if (start === null) start = s.day;
  }
  return start === null ? null : churnDay - start;
}

export interface LeadTimeSummary {
  /** Churned accounts with snapshots before churning. */
  accounts: number;
  /** Those in a risk band at their last snapshot before churning (warned), and the others. */
  warned: number;
  notWarned: number;
  /** Days, over the warned accounts; null when none was warned. */
  min: number | null;
  p25: number | null;
  median: number | null;
  p75: number | null;
  max: number | null;
  mean: number | null;
}

export function summariseLeadTimes(leads: readonly (number | null)[]): LeadTimeSummary {
  const days = leads.filter((d): d is number => d !== null);
  const [p0, p25, p50, p75, p100] =
    days.length === 0 ? [null, null, null, null, null] : quantile(days, [0, 0.25, 0.5, 0.75, 1]);
  return {
    accounts: leads.length,
    warned: days.length,
    notWarned: leads.length - days.length,
    min: p0 ?? null,
    p25: p25 ?? null,
    median: p50 ?? null,
    p75: p75 ?? null,
    max: p100 ?? null,
    mean: days.length === 0 ? null : mean(days),
  };
}
