// A realistic sample customer portfolio for the demo: accounts, daily product and billing metrics, and
// survey answers, all drawn from one seed. Pure and deterministic: the same options give the same
// portfolio, byte for byte, on any machine.
import { dayToDate, type Day } from "../domain/dates.ts";
import {
  SURVEYS,
  type AccountRecord,
  type MetricRecord,
  type ResponseRecord,
  type SurveyKind,
} from "../domain/records.ts";
import { companyNames } from "./company-names.ts";
import { assignSegments, planAccount, type AccountPlan, type DemoSegment } from "./plan-account.ts";
import { Random } from "./random.ts";
import {
  drawCes,
  drawCsat,
  drawNps,
  openTicketsFor,
  paymentFailureChance,
  signalLevel,
  usageRatioFor,
} from "./signals.ts";
import { assignTrajectoryKinds, levelAt, type Trajectory, type TrajectoryKind } from "./trajectories.ts";

export const DEMO_METRICS = {
  weeklyActiveRatio: "weekly_active_ratio",
  activeUsers: "active_users",
  openTickets: "open_tickets",
  mrr: "mrr",
  failedPayments: "failed_payments",
} as const;

export interface GeneratePortfolioOptions {
  seed?: number;
  accounts?: number;
  days?: number;
  /** The last day of the window, included; the window is `days` days ending here. */
  endDay: Day;
}

export interface Portfolio {
  accounts: AccountRecord[];
  metrics: MetricRecord[];
  responses: ResponseRecord[];
  /** What each account was generated to do, by account id (kept apart: AccountRecord stays as defined). */
  trajectories: Map<string, Trajectory>;
}

export function generatePortfolio(options: GeneratePortfolioOptions): Portfolio {
  const { seed = 42, accounts: count = 300, days = 90, endDay } = options;
  for (const [name, value] of [
    ["seed", seed],
    ["accounts", count],
    ["days", days],
    ["endDay", endDay],
  ] as const) {
    if (!Number.isSafeInteger(value)) throw new RangeError(`${name} must be an integer, got ${value}`);
  }
  if (count < 1 || days < 1) throw new RangeError("accounts and days must be at least 1");

  const random = Random.fromSeed(seed);
  const names = companyNames(random, count);
  const segments = assignSegments(random, count);
  const kinds = assignTrajectoryKinds(random, count);
  const portfolio: Portfolio = { accounts: [], metrics: [], responses: [], trajectories: new Map() };
  for (let i = 0; i < count; i++) {
    // Each account draws from its own stream, so tuning one signal never reshuffles the others.
    const accountRandom = random.fork();
    const plan = planAccount(accountRandom, {
      id: `ACC-${String(i + 1).padStart(5, "0")}`,
      name: names[i] as string,
      segment: segments[i] as DemoSegment,
      kind: kinds[i] as TrajectoryKind,
      days,
      endDay,
    });
    portfolio.accounts.push(plan.record);
    portfolio.trajectories.set(plan.record.accountId, plan.trajectory);
    drawSeries(accountRandom, plan, endDay - days + 1, portfolio);
  }
  return portfolio;
}

const DRAW_ANSWER: Readonly<Record<SurveyKind, (random: Random, level: number) => number>> = {
  nps: drawNps,
  csat: drawCsat,
  ces: drawCes,
};

/** The account's daily metrics and its survey answers, appended to `out`. */
function drawSeries(random: Random, plan: AccountPlan, firstDay: Day, out: Portfolio): void {
  const { accountId, seats } = plan.record;
  const seatCount = seats ?? 1;
  let usageNoise = 0;
  let ticketNoise = 0;
  let spike = 0;
  let mrr = plan.startMrr;
  const metric = (name: string, value: number, observedOn: Day): void => {
    out.metrics.push({ accountId, metric: name, value, observedOn });
  };
  for (let t = 0; t < plan.end; t++) {
    const day = firstDay + t;
    const level = levelAt(plan.level, t);
    const aim = signalLevel(level);

    // Weekly actives are a trailing 7-day count, so their noise carries over from day to day.
    usageNoise = 0.75 * usageNoise + random.normal(0, 0.02);
    const ratio = clamp01(usageRatioFor(aim + plan.offsets.usage) + usageNoise);
    const activeUsers = Math.min(seatCount, Math.floor(ratio * seatCount + random.float())); // unbiased rounding
    metric(DEMO_METRICS.weeklyActiveRatio, Math.round((activeUsers / seatCount) * 10_000) / 10_000, day);
    metric(DEMO_METRICS.activeUsers, activeUsers, day);

    // Open tickets are a backlog: slow noise, plus incidents that open a burst and drain over days.
    ticketNoise = 0.8 * ticketNoise + random.normal(0, 0.45);
    if (random.chance(0.008 + 0.02 * (1 - aim / 100))) spike += random.int(3, 7);
    const tickets = openTicketsFor(aim + plan.offsets.tickets) + ticketNoise + spike;
    metric(DEMO_METRICS.openTickets, Math.max(0, Math.round(tickets)), day);
    spike *= 0.7;

    if (plan.mrrChange?.index === t) mrr = plan.mrrChange.mrr;
    metric(DEMO_METRICS.mrr, mrr, day);

    if (dayToDate(day).getUTCDate() === plan.billingDayOfMonth) {
      const failed = t === plan.forcedFailureIndex || random.chance(paymentFailureChance(level));
      if (failed) metric(DEMO_METRICS.failedPayments, random.chance(0.1) ? 2 : 1, day);
    }

    for (const survey of SURVEYS) {
      if (!random.chance(plan.surveysPerDay[survey])) continue;
      const score = DRAW_ANSWER[survey](random, aim + plan.offsets[survey]);
      out.responses.push({ accountId, survey, score, respondedOn: day });
    }
  }
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}
