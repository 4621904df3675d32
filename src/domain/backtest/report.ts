// A back-test report: how well scores (from files, or the snapshots a workspace stored) separated
// the accounts that churned from those that stayed. Pure: samples in, figures out.
import { INSUFFICIENT_DATA } from "../model/schema.ts";
import {
  heldOutProbability,
  type HeldOutProbability,
  type HeldOutProbabilityOptions,
} from "./held-out-probability.ts";
import { bandTable, churnAuc, warningStats, type BandRow, type WarningStats } from "./metrics.ts";

export interface BacktestSample {
  accountId: string;
  /** The account's segment, when known: the churn probability is fitted per segment where data allow. */
  segment?: string | null;
  churned: boolean;
  /** Null: not scored (coverage below the model's minimum). */
  score: number | null;
  band: string;
  /** Each component's sub-score (0..100), null without data. */
  components: readonly { key: string; score: number | null }[];
}

export interface ComponentAuc {
  key: string;
  /** Scored accounts with data for this component, and the churned among them. */
  accounts: number;
  churned: number;
  auc: number | null;
  aucReason: string | null;
}

export interface BacktestReport {
  /** Scored accounts (insufficient data left out) and the churned among them. */
  accounts: number;
  churned: number;
  insufficientData: number;
  auc: number | null;
  aucReason: string | null;
  bands: BandRow[];
  /** The lowest band(s) as a churn warning. */
  atRisk: WarningStats & { bands: string[] };
  components: ComponentAuc[];
  /** The churn probability of each score, fitted and evaluated on held-out folds. */
  probability: HeldOutProbability;
}

export interface ReportOptions {
  /** Band keys from the highest down: the order of the bands table. */
  bandOrder: readonly string[];
  /** The bands that count as a warning: the model's lowest band (and each segment's lowest). */
  riskBands: readonly string[];
  /** Component keys, in the model's order. */
  componentKeys: readonly string[];
  /** The folds of the held-out churn probabilities. */
  probability: HeldOutProbabilityOptions;
}

export function backtestReport(samples: readonly BacktestSample[], options: ReportOptions): BacktestReport {
  const scored = samples.filter(
    (s): s is BacktestSample & { score: number } => s.score !== null && s.band !== INSUFFICIENT_DATA,
  );
  const auc = churnAuc(scored);
  const risk = new Set(options.riskBands);
  const components = options.componentKeys.map((key): ComponentAuc => {
    const withData: { score: number; churned: boolean }[] = [];
    for (const s of scored) {
      const c = s.components.find((x) => x.key === key);
      if (c && c.score !== null) withData.push({ score: c.score, churned: s.churned });
    }
    const a = churnAuc(withData);
    return {
      key,
      accounts: withData.length,
      churned: withData.filter((s) => s.churned).length,
      auc: a.value,
      aucReason: a.reason,
    };
  });
  return {
    accounts: scored.length,
    churned: scored.filter((s) => s.churned).length,
    insufficientData: samples.length - scored.length,
    auc: auc.value,
    aucReason: auc.reason,
    bands: bandTable(options.bandOrder, scored),
    atRisk: {
      ...warningStats(scored.map((s) => ({ flagged: risk.has(s.band), churned: s.churned }))),
      bands: [...options.riskBands],
    },
    components,
    probability: heldOutProbability(
      scored.map((s) => ({
        accountId: s.accountId,
        segment: s.segment ?? null,
        score: s.score,
        churned: s.churned,
      })),
      options.probability,
    ),
  };
}
