// `/css renewals [days]`: the active accounts renewing within the window, with their current score,
// band and churn probability, MRR and owner, the worst expected loss (MRR × probability) first.
// Probabilities come from the active model's churn map (fitted on outcomes by `css-bot calibrate`);
// without one there are none, and the list is lowest score first, then highest MRR.
import { findActiveModel } from "../db/repositories/models.ts";
import { renewalsInWindow, type RenewalRow } from "../db/repositories/revenue-at-risk.ts";
import type { Day } from "../domain/dates.ts";
import { DEFAULT_MODEL } from "../domain/model/default-model.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { bandLabel, bandTone, type BandTone } from "./account-card.ts";

/** The most renewals a reply lists; the rest are counted. */
export const RENEWALS_SHOWN = 20;

export interface RenewalLine extends RenewalRow {
  bandLabel: string | null;
  tone: BandTone;
  /** MRR × probability; null without either. */
  expectedLoss: number | null;
}

export interface RenewalsView {
  today: Day;
  days: number;
  /** The churn map's horizon; null when the active model has no map (no probabilities). */
  horizonDays: number | null;
  shown: RenewalLine[];
  total: number;
  withProbability: number;
  /** With a probability but no MRR: left out of the sums. */
  unknownMrr: number;
  /** Σ MRR and Σ MRR × p over the accounts with both. */
  mrr: number;
  expectedLoss: number;
}

export async function listRenewals(
  prisma: PrismaClient,
  workspaceId: number,
  today: Day,
  days: number,
): Promise<RenewalsView> {
  const model = (await findActiveModel(prisma, workspaceId))?.model ?? DEFAULT_MODEL;
  const horizonDays = model.churn_probability?.horizon_days ?? null;
  const read = await renewalsInWindow(prisma, workspaceId, {
    from: today,
    to: today + days,
    limit: RENEWALS_SHOWN,
    withProbability: horizonDays !== null,
  });
  return {
    today,
    days,
    horizonDays,
    shown: read.rows.map((r) => ({
      ...r,
      bandLabel: r.band === null ? null : bandLabel(model, r.segment, r.band),
      tone: r.band === null ? "none" : bandTone(model, r.segment, r.band),
      expectedLoss: r.mrr === null || r.probability === null ? null : r.mrr * r.probability,
    })),
    total: read.total,
    withProbability: read.withProbability,
    unknownMrr: read.unknownMrr,
    mrr: read.mrr,
    expectedLoss: read.expectedLoss,
  };
}
