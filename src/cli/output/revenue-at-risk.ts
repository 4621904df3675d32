// Revenue at risk on the admin's terminal (`css-bot kpis --model`): its public JSON
// (`revenue_at_risk`, docs/scoring.md) and its tables. Amounts are shown here: a terminal is not a
// channel.
import { formatDay } from "../../domain/dates.ts";
import {
  RENEWAL_WINDOW_LABELS,
  type RevenueAtRisk,
  type RiskGroup,
} from "../../domain/kpi/revenue-at-risk.ts";
import { fmtPercent, table } from "./format.ts";

const groupJson = <K>(name: string, g: RiskGroup<K>) => ({
  [name]: g.key,
  accounts: g.accounts,
  mrr: g.mrr,
  expected_mrr_lost: g.expectedLoss,
});

export function revenueAtRiskJson(r: RevenueAtRisk) {
  return {
    as_of: formatDay(r.asOf),
    horizon_days: r.horizonDays,
    accounts: r.accounts,
    mrr: r.mrr,
    expected_mrr_lost: r.expectedLoss,
    share_of_mrr: r.share,
    next_quarter: {
      days: r.nextQuarter.days,
      expected_mrr_lost: r.nextQuarter.expectedLoss,
      gross_revenue_retention: r.nextQuarter.grossRevenueRetention,
    },
    left_out: {
      no_probability: r.leftOut.noProbability,
      unknown_mrr: r.leftOut.unknownMrr,
      mrr_without_probability: r.leftOut.mrrWithoutProbability,
    },
    by_band: r.byBand.map((g) => groupJson("band", g)),
    by_segment: r.bySegment.map((g) => groupJson("segment", g)),
    by_owner: r.byOwner.map((g) => groupJson("owner", g)),
    by_renewal_window: r.byRenewal.map((g) => ({
      ...groupJson("window", g),
      label: RENEWAL_WINDOW_LABELS[g.key],
    })),
  };
}

const WHOLE = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const amount = (x: number) => WHOLE.format(x);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The section `kpis` prints under the KPIs. */
export function revenueAtRiskText(r: RevenueAtRisk, modelName: string): string {
  const h = `${r.horizonDays} days`;
  const lines = [
    `Revenue at risk as of ${formatDay(r.asOf)} (model "${modelName}": probability of churning within ${h})`,
    `Expected MRR lost within ${h}: ${amount(r.expectedLoss)} of ${amount(r.mrr)} (${fmtPercent(r.share, 1)}), over ${plural(r.accounts, "account")}`,
    `Next quarter (${r.nextQuarter.days} days): expected MRR lost ${amount(r.nextQuarter.expectedLoss)}, gross revenue retention forecast ${fmtPercent(r.nextQuarter.grossRevenueRetention, 1)}`,
  ];
  const { noProbability, unknownMrr, mrrWithoutProbability } = r.leftOut;
  if (noProbability + unknownMrr > 0) {
    const parts = [];
    if (noProbability > 0)
      parts.push(
        `${plural(noProbability, "account")} without a probability (not scored; MRR ${amount(mrrWithoutProbability)} of unknown risk)`,
      );
    if (unknownMrr > 0) parts.push(`${plural(unknownMrr, "account")} with unknown MRR`);
    lines.push(`Not counted: ${parts.join(", ")}`);
  }
  const groups = <K>(title: string, list: RiskGroup<K>[], name: (k: K) => string) =>
    table(
      [title, "accounts", "MRR", "expected MRR lost", "share"],
      list.map((g) => [
        name(g.key),
        g.accounts,
        amount(g.mrr),
        amount(g.expectedLoss),
        fmtPercent(g.mrr === 0 ? null : g.expectedLoss / g.mrr, 1),
      ]),
      ["left", "right", "right", "right", "right"],
    );
  lines.push(
    `By band, segment, owner and renewal window (counted from ${formatDay(r.asOf)}), each expected loss within ${h}:`,
    groups("band", r.byBand, (k) => k ?? "(none)"),
    groups("segment", r.bySegment, (k) => k ?? "(no segment)"),
    groups("owner", r.byOwner, (k) => k ?? "(no owner)"),
    groups("renews", r.byRenewal, (k) => RENEWAL_WINDOW_LABELS[k]),
  );
  return `${lines.join("\n")}\n`;
}

/** What `kpis --model` says of a model without a churn map. */
export const NO_CHURN_MAP =
  'Revenue at risk: the model has no churn map, so there are no probabilities. They need a model calibrated on outcomes: `css-bot calibrate` with an outcomes file (docs/backtesting.md, "Churn probability").\n';
