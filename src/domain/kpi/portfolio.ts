/**
 * Portfolio KPIs for one calendar month, and the single-KPI formulas they use.
 *
 * How `computePortfolioKpis` reads the data:
 *
 * - The period P is a calendar month, from its first to its last day inclusive. "Start" is the last
 *   day of the previous month (P.first − 1), the end of the previous period.
 * - An account is a customer on day D when it had become one (`createdAt` is null or `createdAt` <= D)
 *   and had not churned by then (`status` is "active", or `churnedAt` is null, or `churnedAt` > D).
 *   An account whose `status` is "active" is never treated as churned, whatever its `churnedAt`.
 *   A churned account with no `churnedAt` cannot be placed in time: it stays a customer on every day
 *   from its `createdAt` on and is never counted as lost in any period.
 * - Customers at start are the customers on the start day. Lost customers are the customers at start
 *   that are churned with a `churnedAt` within P.
 * - Customer churn rate = lost / customers at start; customer retention rate = (customers at start −
 *   lost) / customers at start, so the two sum to 1. Both are null when there are no customers at start.
 * - The MRR of an account on day D is the value of its last `mrr` metric observation on or before D;
 *   when the account has no `mrr` observation at all, it is the account's `mrr` field, constant over
 *   time. It is unknown when the account has observations but none on or before D, or has none and
 *   its `mrr` field is null; an unknown MRR adds nothing to any sum below.
 * - MRR at start = the sum of the customers' MRR on the start day. Cancelled MRR = the MRR at
 *   start of the lost customers. For every other customer at start whose MRR is known both at start
 *   and on P.last, a decrease is downgrade MRR and an increase is expansion MRR.
 * - Net MRR churn rate = (cancelled + downgrade − expansion) / MRR at start; negative when expansion
 *   exceeds the losses. Null when MRR at start is 0 or unknown for every customer at start.
 * - CLV = average MRR at start (over the customers at start whose MRR is known) × gross margin
 *   (default 0.8) / the period's customer churn rate. Null when the churn rate is null or 0 (an
 *   infinite expected lifetime) or no customer at start has a known MRR.
 * - Adoption rate is adoption by active users over licensed seats, not the share of features used.
 *   It counts the accounts that are customers on P.last, have `seats` > 0 and have at least one
 *   `active_users` observation within P: the sum of their last `active_users` observation within P
 *   divided by the sum of their seats. Null when no account qualifies. It may exceed 1 when more
 *   people use the product than have seats.
 * - NPS, CSAT and CES are computed over all responses with `respondedOn` within P, of every account
 *   (even one missing from the account list), with the formulas of the survey KPIs. Scores are taken
 *   as given: they are validated when they are ingested.
 * - Metric observations of accounts missing from the account list are ignored, as are metrics other
 *   than `mrr` and `active_users`. When an account has two observations of a metric on the same day,
 *   the one read later wins, so a database query should order the rows by observation day and id.
 *   A negative or non-finite value (an observation or the `mrr` field) is ignored, as if absent.
 * - Metrics and responses are each read once, in a single pass, keeping a few numbers per account:
 *   memory grows with the number of accounts, not with the number of rows.
 *
 * Rates are fractions (0.05 is 5%); NPS is a whole number from −100 to 100; CSAT a percentage from 0
 * to 100; CES the mean effort rating.
 */
import type { Day, Period } from "../dates.ts";
import type { AccountRecord, MetricRecord, ResponseRecord, SurveyKind } from "../records.ts";
import { addScore, cesFromCounts, csatFromCounts, emptySurveyCounts, npsFromCounts } from "./surveys.ts";
import type { SurveyCounts } from "./surveys.ts";

export const DEFAULT_GROSS_MARGIN = 0.8;

function assertCount(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be >= 0, got ${value}`);
}

/**
 * Customer churn rate = lost customers / customers at the end of the previous period.
 * Null when there were no customers then.
 */
export function customerChurnRate(lost: number, customersAtEndOfPreviousPeriod: number): number | null {
  assertCount("lost", lost);
  assertCount("customersAtEndOfPreviousPeriod", customersAtEndOfPreviousPeriod);
  if (customersAtEndOfPreviousPeriod === 0) return null;
  if (lost > customersAtEndOfPreviousPeriod) {
    throw new RangeError(`cannot lose ${lost} of ${customersAtEndOfPreviousPeriod} customers`);
  }
  return lost / customersAtEndOfPreviousPeriod;
}

/**
 * Customer retention rate = (customers at start − lost customers) / customers at start, which is
 * 1 − customer churn rate. Null when there were no customers at start.
 */
export function customerRetentionRate(atStart: number, lost: number): number | null {
  assertCount("atStart", atStart);
  assertCount("lost", lost);
  if (atStart === 0) return null;
  if (lost > atStart) throw new RangeError(`cannot lose ${lost} of ${atStart} customers`);
  return (atStart - lost) / atStart;
}

export interface MrrMovements {
  /** MRR of the customers lost in the period, at the end of the previous period. */
  cancelledMrr: number;
  /** MRR lost by customers that stayed but pay less. */
  downgradeMrr: number;
  /** MRR gained from customers that stayed and pay more. */
  expansionMrr: number;
  /** MRR at the end of the previous period. */
  mrrAtStart: number;
}

/**
 * Net MRR churn rate = (cancelled MRR + downgrade MRR − expansion MRR) / MRR at the end of the
 * previous period. The movements are amounts (>= 0); the rate is negative when expansion exceeds the
 * losses (net negative churn). Null when MRR at start is 0.
 */
export function netMrrChurnRate(m: MrrMovements): number | null {
  assertCount("cancelledMrr", m.cancelledMrr);
  assertCount("downgradeMrr", m.downgradeMrr);
  assertCount("expansionMrr", m.expansionMrr);
  assertCount("mrrAtStart", m.mrrAtStart);
  if (m.mrrAtStart === 0) return null;
  return (m.cancelledMrr + m.downgradeMrr - m.expansionMrr) / m.mrrAtStart;
}

/**
 * Customer lifetime value = average MRR × gross margin / monthly customer churn rate, i.e. the monthly
 * gross profit of a customer times the expected lifetime in months (1 / churn rate). Null when the
 * churn rate is 0: nobody leaves, so the expected lifetime, and the value, are infinite.
 */
export function customerLifetimeValue(p: {
  averageMrr: number;
  grossMargin: number;
  monthlyChurnRate: number;
}): number | null {
  assertCount("monthlyChurnRate", p.monthlyChurnRate);
  if (p.monthlyChurnRate === 0) return null;
  return (p.averageMrr * p.grossMargin) / p.monthlyChurnRate;
}

/** Adoption rate = active users / licensed seats. Null when there are no seats. */
export function adoptionRate(activeUsers: number, seats: number): number | null {
  assertCount("activeUsers", activeUsers);
  assertCount("seats", seats);
  if (seats === 0) return null;
  return activeUsers / seats;
}

export interface PortfolioKpiInput {
  accounts: AccountRecord[];
  metrics: Iterable<MetricRecord>;
  responses: Iterable<ResponseRecord>;
  period: Period;
  /** Gross margin as a fraction, for CLV; 0.8 when omitted. */
  grossMargin?: number;
}

export interface PortfolioKpis {
  nps: number | null;
  csat: number | null;
  ces: number | null;
  customer_churn_rate: number | null;
  customer_retention_rate: number | null;
  net_mrr_churn_rate: number | null;
  clv: number | null;
  adoption_rate: number | null;
}

/** The day the account churned, or null when it has not (or cannot be placed in time). */
function churnDay(a: AccountRecord): Day | null {
  return a.status === "churned" ? a.churnedAt : null;
}

function isCustomerOn(a: AccountRecord, day: Day): boolean {
  const churned = churnDay(a);
  return (a.createdAt === null || a.createdAt <= day) && (churned === null || churned > day);
}

/** The last observation on or before some day, or within some window: later day wins, then later row. */
interface Latest {
  day: Day;
  value: number;
}

function later(current: Latest | undefined, day: Day, value: number): Latest {
  return current === undefined || day >= current.day ? { day, value } : current;
}

/** What one pass over the metrics keeps per account. */
interface AccountMetrics {
  hasMrr: boolean;
  mrrAtStart?: Latest;
  mrrAtEnd?: Latest;
  activeUsersInPeriod?: Latest;
}

function scanMetrics(
  metrics: Iterable<MetricRecord>,
  accountIds: ReadonlySet<string>,
  start: Day,
  period: Period,
): Map<string, AccountMetrics> {
  const byAccount = new Map<string, AccountMetrics>();
  for (const m of metrics) {
    if (m.metric !== "mrr" && m.metric !== "active_users") continue;
    if (!accountIds.has(m.accountId) || !isAmount(m.value)) continue;
    let s = byAccount.get(m.accountId);
    if (s === undefined) {
      s = { hasMrr: false };
      byAccount.set(m.accountId, s);
    }
    const d = m.observedOn;
    if (m.metric === "mrr") {
      s.hasMrr = true;
      if (d <= start) s.mrrAtStart = later(s.mrrAtStart, d, m.value);
      if (d <= period.last) s.mrrAtEnd = later(s.mrrAtEnd, d, m.value);
    } else if (d >= period.first && d <= period.last) {
      s.activeUsersInPeriod = later(s.activeUsersInPeriod, d, m.value);
    }
  }
  return byAccount;
}

function scanResponses(
  responses: Iterable<ResponseRecord>,
  period: Period,
): Record<SurveyKind, SurveyCounts> {
  const counts = { nps: emptySurveyCounts(), csat: emptySurveyCounts(), ces: emptySurveyCounts() };
  for (const r of responses) {
    if (r.respondedOn < period.first || r.respondedOn > period.last) continue;
    addScore(counts[r.survey], r.score);
  }
  return counts;
}

function isAmount(value: number): boolean {
  return Number.isFinite(value) && value >= 0;
}

/** MRR at start or at end per the module comment: an observation, else the constant field, else unknown. */
function mrrOf(a: AccountRecord, s: AccountMetrics | undefined, at: "start" | "end"): number | null {
  if (s?.hasMrr) return (at === "start" ? s.mrrAtStart : s.mrrAtEnd)?.value ?? null;
  return a.mrr !== null && isAmount(a.mrr) ? a.mrr : null;
}

/**
 * The customers on `period.last` with their MRR that day (null: unknown), read as the module comment
 * says: what revenue at risk is taken of at the end of the period.
 */
export function customersAtEnd(
  input: Pick<PortfolioKpiInput, "accounts" | "metrics" | "period">,
): { account: AccountRecord; mrr: number | null }[] {
  const { accounts, period } = input;
  const metrics = scanMetrics(
    input.metrics,
    new Set(accounts.map((a) => a.accountId)),
    period.first - 1,
    period,
  );
  return accounts
    .filter((a) => isCustomerOn(a, period.last))
    .map((account) => ({ account, mrr: mrrOf(account, metrics.get(account.accountId), "end") }));
}

/** The portfolio KPIs of `period`; see the module comment for how the data is read. */
export function computePortfolioKpis(input: PortfolioKpiInput): PortfolioKpis {
  const { accounts, period } = input;
  const grossMargin = input.grossMargin ?? DEFAULT_GROSS_MARGIN;
  const start = period.first - 1;
  const metrics = scanMetrics(input.metrics, new Set(accounts.map((a) => a.accountId)), start, period);
  const surveys = scanResponses(input.responses, period);

  let atStart = 0;
  let lost = 0;
  const mrr: MrrMovements = { cancelledMrr: 0, downgradeMrr: 0, expansionMrr: 0, mrrAtStart: 0 };
  let knownMrrCustomers = 0;
  let activeUsers = 0;
  let seats = 0;
  for (const a of accounts) {
    const s = metrics.get(a.accountId);
    if (isCustomerOn(a, start)) {
      atStart += 1;
      const churned = churnDay(a);
      const isLost = churned !== null && churned >= period.first && churned <= period.last;
      if (isLost) lost += 1;
      const before = mrrOf(a, s, "start");
      if (before !== null) {
        knownMrrCustomers += 1;
        mrr.mrrAtStart += before;
        const after = isLost ? null : mrrOf(a, s, "end");
        if (isLost) mrr.cancelledMrr += before;
        else if (after !== null && after < before) mrr.downgradeMrr += before - after;
        else if (after !== null && after > before) mrr.expansionMrr += after - before;
      }
    }
    const used = s?.activeUsersInPeriod;
    if (used !== undefined && a.seats !== null && a.seats > 0 && isCustomerOn(a, period.last)) {
      activeUsers += used.value;
      seats += a.seats;
    }
  }

  const churnRate = atStart === 0 ? null : customerChurnRate(lost, atStart);
  return {
    nps: npsFromCounts(surveys.nps),
    csat: csatFromCounts(surveys.csat),
    ces: cesFromCounts(surveys.ces),
    customer_churn_rate: churnRate,
    customer_retention_rate: atStart === 0 ? null : customerRetentionRate(atStart, lost),
    net_mrr_churn_rate: knownMrrCustomers === 0 || mrr.mrrAtStart === 0 ? null : netMrrChurnRate(mrr),
    clv:
      churnRate === null || knownMrrCustomers === 0
        ? null
        : customerLifetimeValue({
            averageMrr: mrr.mrrAtStart / knownMrrCustomers,
            grossMargin,
            monthlyChurnRate: churnRate,
          }),
    adoption_rate: seats === 0 ? null : adoptionRate(activeUsers, seats),
  };
}
