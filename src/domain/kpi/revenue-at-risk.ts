/**
 * Revenue at risk: the MRR expected to churn, from each account's churn probability (the model's
 * churn map, fitted on outcomes by `css-bot calibrate`) and its MRR. Pure.
 *
 * How it reads the accounts:
 *
 * - An account's expected loss is MRR × p, where p is its probability of churning within the map's
 *   horizon (`horizonDays`). Summed, it is the MRR expected to be lost within the horizon.
 * - An account without a probability (no score, or no map) or without a known MRR is left out of
 *   every sum and counted apart (`leftOut`): it is not zero risk, it is unknown. An account missing
 *   both is counted once, as without a probability. Shares are of the MRR of the accounts counted.
 * - The groups: by band, segment and owner (largest expected loss first), and by when the account
 *   renews relative to `asOf` (in fixed order): within 30 days (asOf to asOf + 30), 31–60, 61–90,
 *   after 90 days, a renewal date already passed, no renewal date. The expected loss of a group is
 *   still within the horizon: the windows say where the risk sits, they do not change it.
 * - The gross revenue retention (GRR) forecast for the next quarter (QUARTER_DAYS, 91 days) =
 *   1 − expected MRR lost within the quarter / MRR. When the horizon is not 91 days each probability
 *   is first carried to 91 days under a constant hazard: 1 − (1 − p)^(91 / horizon). It forecasts
 *   churn only: downgrades, which also lower GRR, are not modelled.
 */
import type { Day } from "../dates.ts";

export const QUARTER_DAYS = 91;

/** What revenue at risk reads of one account. */
export interface RiskAccount {
  band: string | null;
  segment: string | null;
  owner: string | null;
  /** Null when unknown. */
  mrr: number | null;
  renewalDate: Day | null;
  /** Of churning within the horizon; null without a score or a map. */
  probability: number | null;
}

export const RENEWAL_WINDOWS = ["30", "60", "90", "later", "past", "none"] as const;
export type RenewalWindow = (typeof RENEWAL_WINDOWS)[number];

export const RENEWAL_WINDOW_LABELS: Record<RenewalWindow, string> = {
  "30": "within 30 days",
  "60": "in 31-60 days",
  "90": "in 61-90 days",
  later: "after 90 days",
  past: "renewal date passed",
  none: "no renewal date",
};

export interface RiskGroup<K> {
  key: K;
  accounts: number;
  mrr: number;
  /** Within the horizon. */
  expectedLoss: number;
}

export interface RevenueAtRisk {
  asOf: Day;
  horizonDays: number;
  /** The accounts counted: with a probability and a known MRR. */
  accounts: number;
  mrr: number;
  /** Σ MRR × p within the horizon. */
  expectedLoss: number;
  /** expectedLoss / mrr; null when mrr is 0. */
  share: number | null;
  nextQuarter: { days: number; expectedLoss: number; grossRevenueRetention: number | null };
  leftOut: {
    noProbability: number;
    unknownMrr: number;
    /** The known MRR of the accounts without a probability: revenue whose risk nobody can say. */
    mrrWithoutProbability: number;
  };
  byBand: RiskGroup<string | null>[];
  bySegment: RiskGroup<string | null>[];
  byOwner: RiskGroup<string | null>[];
  /** Every window, in RENEWAL_WINDOWS order, empty ones included. */
  byRenewal: RiskGroup<RenewalWindow>[];
}

function checkProbability(p: number): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`a probability is between 0 and 1, got ${p}`);
}

function checkDays(name: string, days: number): void {
  if (!(Number.isFinite(days) && days > 0)) throw new RangeError(`${name} must be > 0 days, got ${days}`);
}

/**
 * The probability of churning within `toDays`, from one within `fromDays`, under a constant hazard:
 * 1 − (1 − p)^(toDays / fromDays). Equal days give p back unchanged.
 */
export function probabilityOver(p: number, fromDays: number, toDays: number): number {
  checkProbability(p);
  checkDays("fromDays", fromDays);
  checkDays("toDays", toDays);
  if (fromDays === toDays) return p;
  return 1 - Math.pow(1 - p, toDays / fromDays);
}

/** The renewal window of a renewal date as of a day. */
export function renewalWindow(renewalDate: Day | null, asOf: Day): RenewalWindow {
  if (renewalDate === null) return "none";
  const days = renewalDate - asOf;
  if (days < 0) return "past";
  if (days <= 30) return "30";
  if (days <= 60) return "60";
  if (days <= 90) return "90";
  return "later";
}

class Groups<K> {
  private readonly byKey = new Map<K, RiskGroup<K>>();

  add(key: K, mrr: number, loss: number): void {
    let g = this.byKey.get(key);
    if (!g) this.byKey.set(key, (g = { key, accounts: 0, mrr: 0, expectedLoss: 0 }));
    g.accounts += 1;
    g.mrr += mrr;
    g.expectedLoss += loss;
  }

  get(key: K): RiskGroup<K> {
    return this.byKey.get(key) ?? { key, accounts: 0, mrr: 0, expectedLoss: 0 };
  }

  /** Largest expected loss first; then the larger MRR, then by key (null last) so ties read the same. */
  ranked(): RiskGroup<K>[] {
    return [...this.byKey.values()].sort(
      (a, b) =>
        b.expectedLoss - a.expectedLoss ||
        b.mrr - a.mrr ||
        (a.key === null ? 1 : b.key === null ? -1 : String(a.key).localeCompare(String(b.key))),
    );
  }
}

/** Revenue at risk of `accounts` as of `asOf`, their probabilities within `horizonDays`. */
export function revenueAtRisk(
  accounts: Iterable<RiskAccount>,
  asOf: Day,
  horizonDays: number,
): RevenueAtRisk {
  checkDays("horizonDays", horizonDays);
  const band = new Groups<string | null>();
  const segment = new Groups<string | null>();
  const owner = new Groups<string | null>();
  const renewal = new Groups<RenewalWindow>();
  const leftOut = { noProbability: 0, unknownMrr: 0, mrrWithoutProbability: 0 };
  let counted = 0;
  let mrr = 0;
  let loss = 0;
  let quarterLoss = 0;
  for (const a of accounts) {
    if (a.probability === null) {
      leftOut.noProbability += 1;
      if (a.mrr !== null) leftOut.mrrWithoutProbability += a.mrr;
      continue;
    }
    checkProbability(a.probability);
    if (a.mrr === null) {
      leftOut.unknownMrr += 1;
      continue;
    }
    if (!(Number.isFinite(a.mrr) && a.mrr >= 0)) throw new RangeError(`MRR must be >= 0, got ${a.mrr}`);
    const l = a.mrr * a.probability;
    counted += 1;
    mrr += a.mrr;
    loss += l;
    quarterLoss += a.mrr * probabilityOver(a.probability, horizonDays, QUARTER_DAYS);
    band.add(a.band, a.mrr, l);
    segment.add(a.segment, a.mrr, l);
    owner.add(a.owner, a.mrr, l);
    renewal.add(renewalWindow(a.renewalDate, asOf), a.mrr, l);
  }
  return {
    asOf,
    horizonDays,
    accounts: counted,
    mrr,
    expectedLoss: loss,
    share: mrr === 0 ? null : loss / mrr,
    nextQuarter: {
      days: QUARTER_DAYS,
      expectedLoss: quarterLoss,
      grossRevenueRetention: mrr === 0 ? null : 1 - quarterLoss / mrr,
    },
    leftOut,
    byBand: band.ranked(),
    bySegment: segment.ranked(),
    byOwner: owner.ranked(),
    byRenewal: RENEWAL_WINDOWS.map((w) => renewal.get(w)),
  };
}
