// The back-test's revenue forecast as `backtest --json` prints it (key `revenue_forecast`,
// docs/backtesting.md) and as the report's table: predicted against actual churned MRR per month.
import type { RevenueForecast } from "../../domain/backtest/revenue-forecast.ts";
import { table } from "./format.ts";

export function revenueForecastJson(r: RevenueForecast, horizonDays: number) {
  return {
    horizon_days: horizonDays,
    accounts: r.accounts,
    accounts_without_mrr: r.withoutMrr,
    predicted_total: r.predictedTotal,
    actual_total: r.actualTotal,
    churned_without_date: r.churnedWithoutDate,
    actual_without_date_mrr: r.actualWithoutDateMrr,
    months: r.months.map((m) => ({
      month: m.month,
      predicted_mrr: m.predictedMrr,
      actual_mrr: m.actualMrr,
      accounts: m.accounts,
      churned: m.churned,
    })),
    reason: r.reason,
  };
}

/** Money as a reader scans it: thousands separated, to the cent. */
const money = (x: number) =>
  x.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** The table, under a line that says how each column was made (`spread` says where predictions go). */
export function revenueForecastText(r: RevenueForecast, spread: string): string {
  if (r.reason !== null) return `Revenue forecast: not made (${r.reason})`;
  const churned = r.months.reduce((n, m) => n + m.churned, 0) + r.churnedWithoutDate;
  const undated = r.churnedWithoutDate > 0;
  return [
    `Revenue forecast on held-out probabilities: MRR × probability, ${spread}; actual = the MRR of the ` +
      `accounts that churned, in the month of their churn (${r.accounts} accounts with an MRR)`,
    table(
      ["month", "accounts", "predicted churned MRR", "churned", "actual churned MRR"],
      [
        ...r.months.map((m) => [m.month, m.accounts, money(m.predictedMrr), m.churned, money(m.actualMrr)]),
        ...(undated ? [["no churn date", "", "", r.churnedWithoutDate, money(r.actualWithoutDateMrr)]] : []),
        ["total", r.accounts, money(r.predictedTotal!), churned, money(r.actualTotal!)],
      ],
      ["left", "right", "right", "right", "right"],
    ),
  ].join("\n");
}
