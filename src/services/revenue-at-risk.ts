// A workspace's revenue at risk from its current snapshots' churn probabilities (the active model's
// churn map) and its accounts' MRR, through the domain's one definition. The digest, posted in a
// channel, takes only shares of it: no amount leaves this file for a channel.
import { riskAccounts } from "../db/repositories/revenue-at-risk.ts";
import type { Day } from "../domain/dates.ts";
import { revenueAtRisk, type RevenueAtRisk } from "../domain/kpi/revenue-at-risk.ts";
import type { ScoringModel } from "../domain/model/schema.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";

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
