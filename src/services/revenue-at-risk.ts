// Revenue at risk through the domain's one definition: a workspace's, from its current snapshots'
// churn probabilities (the active model's churn map) and its accounts' MRR, and a portfolio's read
// from files (`css-bot kpis --model`), scored by the file scorer. The digest, posted in a channel,
// takes only shares of it: no amount leaves this file for a channel.
import { riskAccounts } from "../db/repositories/revenue-at-risk.ts";
import type { Day, Period } from "../domain/dates.ts";
import { customersAtEnd } from "../domain/kpi/portfolio.ts";
import { revenueAtRisk, type RevenueAtRisk } from "../domain/kpi/revenue-at-risk.ts";
import { churnProbability } from "../domain/model/churn-map.ts";
import type { ScoringModel } from "../domain/model/schema.ts";
import type { AccountRecord, MetricRecord } from "../domain/records.ts";
import type { PortfolioInputs } from "../domain/scoring/portfolio-inputs.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { scorePortfolio } from "./score-files.ts";

/** What the digest may say of revenue at risk: shares of MRR and counts, never an amount. */
export interface RevenueAtRiskShares {
  horizonDays: number;
  /** Of the counted accounts' MRR expected to churn within the horizon. */
  share: number;
  /** 1 − the share expected to churn within the next quarter (91 days). */
  grossRevenueRetention: number;
  /** The accounts counted, and those left out (no probability or no MRR). */
  accounts: number;
  leftOut: number;
}

/** Revenue at risk of the workspace's active accounts as of `asOf`; null when the model has no map. */
export async function workspaceRevenueAtRisk(
  prisma: PrismaClient,
  workspaceId: number,
  model: ScoringModel,
  asOf: Day,
): Promise<RevenueAtRisk | null> {
  const horizonDays = model.churn_probability?.horizon_days;
  if (horizonDays === undefined) return null;
  return revenueAtRisk(await riskAccounts(prisma, workspaceId, true), asOf, horizonDays);
}

/** The shares of it, or null when no account has both a probability and an MRR to take a share of. */
export function sharesOf(r: RevenueAtRisk | null): RevenueAtRiskShares | null {
  if (r === null || r.share === null || r.nextQuarter.grossRevenueRetention === null) return null;
  return {
    horizonDays: r.horizonDays,
    share: r.share,
    grossRevenueRetention: r.nextQuarter.grossRevenueRetention,
    accounts: r.accounts,
    leftOut: r.leftOut.noProbability + r.leftOut.unknownMrr,
  };
}

/**
 * Revenue at risk of the customers on the period's last day, each scored as of that day from
 * `inputs` (collected for `period.last`) and read on the model's churn map; their MRR that day as the
 * KPIs read it. Null when the model has no map.
 */
export function revenueAtRiskOfFiles(
  model: ScoringModel,
  files: { accounts: readonly AccountRecord[]; metrics: Iterable<MetricRecord>; inputs: PortfolioInputs },
  period: Period,
): RevenueAtRisk | null {
  const map = model.churn_probability;
  if (!map) return null;
  if (files.inputs.asOf !== period.last)
    throw new RangeError("the inputs must be collected as of the period's last day");
  const customers = customersAtEnd({ accounts: [...files.accounts], metrics: files.metrics, period });
  const scores = scorePortfolio(
    model,
    customers.map((c) => c.account),
    files.inputs,
  );
  return revenueAtRisk(
    customers.map(({ account, mrr }, i) => {
      const { score, band } = scores[i]!.result;
      return {
        band,
        segment: account.segment,
        owner: account.owner,
        mrr,
        renewalDate: account.renewalDate,
        probability: score === null ? null : churnProbability(model, account.segment, score),
      };
    }),
    period.last,
    map.horizon_days,
  );
}
