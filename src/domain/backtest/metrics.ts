// Statistics of a score as a churn warning: AUC (Mann-Whitney, ties counting half), precision,
// recall and lift of a warning flag, and churn per band. Pure; undefined figures are null with a
// reason, never a made-up 0.5 or 0.
export interface Scored {
  score: number;
  churned: boolean;
}

export interface Auc {
  /** P(a churned account scores lower than a retained one) + P(tie) / 2; null when undefined. */
  value: number | null;
  /** Why `value` is null (no churners, or only churners); null when it is defined. */
  reason: string | null;
}

/**
 * The AUC of the score as a churn predictor, where a lower score means more risk. Computed from
 * average ranks (Mann-Whitney U), so tied scores count half a pair each, in O(n log n).
 */
export function churnAuc(samples: readonly Scored[]): Auc {
  const churned = samples.filter((s) => s.churned).length;
  const retained = samples.length - churned;
  if (churned === 0 || retained === 0) {
    const reason =
      samples.length === 0
        ? "no accounts"
        : churned === 0
          ? "no churned accounts (AUC compares churned with retained accounts)"
          : "only churned accounts (AUC compares churned with retained accounts)";
    return { value: null, reason };
  }
  const sorted = [...samples].sort((a, b) => a.score - b.score);
  // Sum of the retained accounts' ranks (1-based, ties get their average rank).
  let retainedRanks = 0;
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j < sorted.length && sorted[j]!.score === sorted[i]!.score) j++;
    const averageRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (!sorted[k]!.churned) retainedRanks += averageRank;
    i = j;
  }
  // U counts the (churned, retained) pairs where the retained account scores higher, ties half.
  const u = retainedRanks - (retained * (retained + 1)) / 2;
  return { value: u / (retained * churned), reason: null };
}

export interface WarningStats {
  /** Accounts flagged (in the warning band) and churned among them. */
  flagged: number;
  flaggedChurned: number;
  /** Churned among the flagged; null when nothing was flagged. */
  precision: number | null;
  /** Share of the churned accounts that were flagged; null without churners. */
  recall: number | null;
  /** Precision over the overall churn rate; null when either is undefined or the rate is 0. */
  lift: number | null;
}

export function warningStats(samples: readonly { flagged: boolean; churned: boolean }[]): WarningStats {
  let flagged = 0;
  let flaggedChurned = 0;
  let churned = 0;
  for (const s of samples) {
    if (s.churned) churned++;
    if (s.flagged) flagged++;
    if (s.flagged && s.churned) flaggedChurned++;
  }
  const precision = flagged === 0 ? null : flaggedChurned / flagged;
  const recall = churned === 0 ? null : flaggedChurned / churned;
  const rate = samples.length === 0 ? 0 : churned / samples.length;
  const lift = precision === null || rate === 0 ? null : precision / rate;
  return { flagged, flaggedChurned, precision, recall, lift };
}

export interface BandRow {
  band: string;
  accounts: number;
  churned: number;
  /** Null for a band without accounts. */
  churnRate: number | null;
}

/** Accounts and churn per band, in `order` (then any band not in it, in order of appearance). */
export function bandTable(
  order: readonly string[],
  samples: readonly { band: string; churned: boolean }[],
): BandRow[] {
  const rows = new Map<string, BandRow>(
    order.map((band) => [band, { band, accounts: 0, churned: 0, churnRate: null }]),
  );
  for (const s of samples) {
    let row = rows.get(s.band);
    if (!row) rows.set(s.band, (row = { band: s.band, accounts: 0, churned: 0, churnRate: null }));
    row.accounts++;
    if (s.churned) row.churned++;
  }
  return [...rows.values()].map((r) => ({
    ...r,
    churnRate: r.accounts === 0 ? null : r.churned / r.accounts,
  }));
}

export interface ScoreBin {
  /** Lowest and highest score in the bin. */
  from: number;
  to: number;
  accounts: number;
  churned: number;
  churnRate: number;
}

/** Accounts sorted by score and cut into `bins` groups of (nearly) equal size: churn per score range. */
export function churnByScoreBins(samples: readonly Scored[], bins: number): ScoreBin[] {
  const sorted = [...samples].sort((a, b) => a.score - b.score);
  const out: ScoreBin[] = [];
  const n = Math.min(bins, sorted.length);
  for (let b = 0; b < n; b++) {
    const part = sorted.slice(Math.floor((b * sorted.length) / n), Math.floor(((b + 1) * sorted.length) / n));
    const churned = part.filter((s) => s.churned).length;
    out.push({
      from: part[0]!.score,
      to: part[part.length - 1]!.score,
      accounts: part.length,
      churned,
      churnRate: churned / part.length,
    });
  }
  return out;
}
