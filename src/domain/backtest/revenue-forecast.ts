// The churn forecast in money, back-tested: per calendar month, the MRR the held-out churn
// probabilities expected to lose (predicted) beside the MRR of the accounts that did churn (actual).
//
// - Predicted: each account's expected loss, MRR × its held-out probability (from a map fitted on
//   the other folds only, so no account is judged by a map that saw its outcome), is spread evenly
//   over the days of its forecast window, and each month gets the share of the days it holds. A
//   90-day window from 15 January puts 17/90 of the loss in January, 28/90 in February, 31/90 in
//   March and 14/90 in April.
// - Actual: the MRR of each churned account, in the month of its churn date.
// - The MRR is the one known when the forecast was made (the caller's choice: the KPI library's
//   definition, see domain/kpi/portfolio.ts); the same figure goes into both columns, so the two
//   differ only by probability and outcome.
// - Accounts without an MRR are left out of both, and counted. A churned account without a churn
//   date counts in the actual total but in no month, and is counted: nothing is placed by guess.
import { formatDay, type Day } from "../dates.ts";
import type { AccountRecord, MetricRecord } from "../records.ts";

export interface ForecastAccount {
  accountId: string;
  /** The held-out probability of churning within the window; null when none was computed. */
  probability: number | null;
  /** The account's MRR when the forecast was made; null when unknown. */
  mrr: number | null;
  churned: boolean;
  churnedAt: Day | null;
  /** The days the expected loss is spread over: `days` days from `from`, inclusive. */
  window: { from: Day; days: number };
}

export interface ForecastMonth {
  /** `YYYY-MM` */
  month: string;
  predictedMrr: number;
  actualMrr: number;
  /** Accounts with a share of their expected loss in the month, and the accounts that churned in it. */
  accounts: number;
  churned: number;
}

export interface RevenueForecast {
  /** Why there is no forecast (then `months` is empty and the totals are null). */
  reason: string | null;
  /** Accounts in the forecast: with a probability and an MRR. */
  accounts: number;
  /** Accounts with a probability but no MRR, left out of both columns. */
  withoutMrr: number;
  predictedTotal: number | null;
  actualTotal: number | null;
  /** Churned accounts without a churn date: in `actualTotal`, in no month. */
  churnedWithoutDate: number;
  actualWithoutDateMrr: number;
  /**
   * The months with a prediction or a churn, in order. A month with neither is not listed (a churn
   * date years away would otherwise bring years of empty rows).
   */
  months: ForecastMonth[];
}

const month = (day: Day) => formatDay(day).slice(0, 7);

/** Each month's share of the window's days, in order (shares sum to 1). */
export function monthShares(window: { from: Day; days: number }): { month: string; share: number }[] {
  if (!Number.isInteger(window.days) || window.days < 1)
    throw new RangeError(`a forecast window is a whole number of days >= 1, got ${window.days}`);
  const shares: { month: string; share: number }[] = [];
  for (let d = window.from; d < window.from + window.days; d++) {
    const m = month(d);
    const last = shares[shares.length - 1];
    if (last && last.month === m) last.share += 1;
    else shares.push({ month: m, share: 1 });
  }
  for (const s of shares) s.share /= window.days;
  return shares;
}

export function revenueForecast(input: readonly ForecastAccount[]): RevenueForecast {
  const none = (reason: string, accounts = 0, withoutMrr = 0): RevenueForecast => ({
    reason,
    accounts,
    withoutMrr,
    predictedTotal: null,
    actualTotal: null,
    churnedWithoutDate: 0,
    actualWithoutDateMrr: 0,
    months: [],
  });
  const judged = input.filter((a) => a.probability !== null);
  if (judged.length === 0) return none("no account has a held-out churn probability");
  const priced = judged.filter((a) => a.mrr !== null);
  if (priced.length === 0)
    return none(`none of the ${judged.length} account(s) has an MRR`, 0, judged.length);

  const byMonth = new Map<string, ForecastMonth>();
  const at = (m: string) => {
    let row = byMonth.get(m);
    if (!row) byMonth.set(m, (row = { month: m, predictedMrr: 0, actualMrr: 0, accounts: 0, churned: 0 }));
    return row;
  };
  // Accounts mostly share a window (the as-of date and horizon): its months are worked out once.
  const sharesOf = new Map<string, { month: string; share: number }[]>();
  let predictedTotal = 0;
  let actualTotal = 0;
  let churnedWithoutDate = 0;
  let actualWithoutDateMrr = 0;
  for (const a of priced) {
    const mrr = a.mrr!;
    const key = `${a.window.from}:${a.window.days}`;
    let shares = sharesOf.get(key);
    if (!shares) sharesOf.set(key, (shares = monthShares(a.window)));
    const expected = mrr * a.probability!;
    predictedTotal += expected;
    for (const s of shares) {
      const row = at(s.month);
      row.predictedMrr += expected * s.share;
      row.accounts += 1;
    }
    if (!a.churned) continue;
    actualTotal += mrr;
    if (a.churnedAt === null) {
      churnedWithoutDate += 1;
      actualWithoutDateMrr += mrr;
      continue;
    }
    const row = at(month(a.churnedAt));
    row.actualMrr += mrr;
    row.churned += 1;
  }
  return {
    reason: null,
    accounts: priced.length,
    withoutMrr: judged.length - priced.length,
    predictedTotal: cents(predictedTotal),
    actualTotal: cents(actualTotal),
    churnedWithoutDate,
    actualWithoutDateMrr: cents(actualWithoutDateMrr),
    months: [...byMonth.values()]
      .sort((a, b) => (a.month < b.month ? -1 : 1))
      .map((m) => ({
        ...m,
        predictedMrr: cents(m.predictedMrr),
        actualMrr: cents(m.actualMrr),
      })),
  };
}

/** Money to the cent: the sums of shares carry float dust no reader should see. */
const cents = (x: number) => Math.round(x * 100) / 100;

/**
 * The MRR of each account on one day, read as the KPI library reads it (domain/kpi/portfolio.ts):
 * its last `mrr` observation on or before the day (the later row on a tie); with no `mrr`
 * observation at all, the account's `mrr` field; unknown when its observations all come later. A
 * negative or non-finite value is ignored, as if absent. Observations are fed one at a time, so a
 * file is read once.
 */
export class MrrOnDay {
  /** Per account that has any `mrr` observation: the latest on or before the day, if any. */
  private readonly latest = new Map<string, { day: Day; value: number } | null>();

  constructor(readonly day: Day) {}

  add(m: MetricRecord): void {
    if (m.metric !== "mrr" || !Number.isFinite(m.value) || m.value < 0) return;
    const current = this.latest.get(m.accountId) ?? null;
    if (m.observedOn > this.day) {
      if (!this.latest.has(m.accountId)) this.latest.set(m.accountId, null);
    } else if (current === null || m.observedOn >= current.day) {
      this.latest.set(m.accountId, { day: m.observedOn, value: m.value });
    }
  }

  of(account: Pick<AccountRecord, "accountId" | "mrr">): number | null {
    if (this.latest.has(account.accountId)) return this.latest.get(account.accountId)?.value ?? null;
    return account.mrr !== null && Number.isFinite(account.mrr) && account.mrr >= 0 ? account.mrr : null;
  }
}
