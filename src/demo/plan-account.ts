// One sample account before its daily data: size, contract dates, owner, trajectory, and the
// per-account quirks (response rate, billing day, a planned MRR change) its series is drawn with.
import { dateToDay, dayToDate, type Day } from "../domain/dates.ts";
import { SURVEYS, type AccountRecord, type SurveyKind } from "../domain/records.ts";
import { CSM_OWNERS, domainOf } from "./company-names.ts";
import type { Random } from "./random.ts";
import { planLevel, type LevelPlan, type Trajectory, type TrajectoryKind } from "./trajectories.ts";

export const DEMO_SEGMENTS = ["enterprise", "mid_market", "smb"] as const;
export type DemoSegment = (typeof DEMO_SEGMENTS)[number];

interface SegmentProfile {
  share: number;
  mrr: readonly [number, number];
  seats: readonly [number, number];
  /** MRR is a price list's multiple of this. */
  mrrStep: number;
  /** Mean survey answers per month, before the account's own response rate. */
  surveysPerMonth: Readonly<Record<SurveyKind, number>>;
  /** Share of accounts that never answer any survey. */
  silentShare: number;
  /** CSMs carry books by segment; the pools overlap at the edges. */
  owners: readonly string[];
}

const SEGMENTS: Readonly<Record<DemoSegment, SegmentProfile>> = {
  enterprise: {
    share: 0.15,
    mrr: [4_000, 25_000],
    seats: [100, 1_000],
    mrrStep: 100,
    surveysPerMonth: { nps: 1.5, csat: 2.5, ces: 1 },
    silentShare: 0,
    owners: CSM_OWNERS.slice(0, 3),
  },
  mid_market: {
    share: 0.35,
    mrr: [800, 4_000],
    seats: [25, 200],
    mrrStep: 50,
    surveysPerMonth: { nps: 0.8, csat: 1.2, ces: 0.5 },
    silentShare: 0.05,
    owners: CSM_OWNERS.slice(2, 6),
  },
  smb: {
    share: 0.5,
    mrr: [50, 800],
    seats: [3, 30],
    mrrStep: 10,
    surveysPerMonth: { nps: 0.4, csat: 0.6, ces: 0.3 },
    silentShare: 0.35,
    owners: CSM_OWNERS.slice(5),
  },
};

/** [expansion, downgrade] chances of one step change in MRR during the window. */
const MRR_CHANGE_CHANCES: Readonly<Record<TrajectoryKind, readonly [number, number]>> = {
  healthy: [0.12, 0.01],
  caution: [0.05, 0.04],
  at_risk: [0.01, 0.12],
  drifting: [0, 0.3],
  recovering: [0.15, 0],
  borderline: [0.05, 0.05],
  churned: [0, 0.15],
};

/** Share of drifting and churned accounts given one failed charge during their decline. */
const FORCED_FAILURE_CHANCE: Partial<Record<TrajectoryKind, number>> = { drifting: 0.85, churned: 0.6 };

export interface AccountPlan {
  record: AccountRecord;
  trajectory: Trajectory;
  level: LevelPlan;
  startMrr: number;
  mrrChange: { index: number; mrr: number } | null;
  /** Window indexes with data: 0 .. end-1 (churned accounts stop at churn). */
  end: number;
  offsets: Readonly<Record<"usage" | "tickets" | SurveyKind, number>>;
  surveysPerDay: Readonly<Record<SurveyKind, number>>;
  billingDayOfMonth: number;
  forcedFailureIndex: number | null;
}

export function assignSegments(random: Random, count: number): DemoSegment[] {
  const enterprise = Math.round(SEGMENTS.enterprise.share * count);
  const midMarket = Math.min(count - enterprise, Math.round(SEGMENTS.mid_market.share * count));
  const segments = Array.from({ length: count }, (_, i): DemoSegment =>
    i < enterprise ? "enterprise" : i < enterprise + midMarket ? "mid_market" : "smb",
  );
  return random.shuffle(segments);
}

export interface AccountSeed {
  id: string;
  name: string;
  segment: DemoSegment;
  kind: TrajectoryKind;
  days: number;
  endDay: Day;
}

export function planAccount(random: Random, seed: AccountSeed): AccountPlan {
  const { segment, kind, days, endDay } = seed;
  const profile = SEGMENTS[segment];
  const firstDay = endDay - days + 1;
  // One size draw feeds seats and MRR so bigger accounts pay more, with some scatter.
  const size = random.float();
  const seats = Math.round(logBetween(profile.seats, size + random.normal(0, 0.08)));
  const startMrr = roundTo(
    logBetween(profile.mrr, size + random.normal(0, 0.08)),
    profile.mrrStep,
    profile.mrr,
  );
  const level = planLevel(random, kind, days);
  const end = level.churnIndex ?? days;
  const churnedAt = level.churnIndex === null ? null : firstDay + level.churnIndex;
  // Contracts are annual: the renewal is the next anniversary, and churn happens at one.
  const createdAt =
    churnedAt === null ? endDay - random.int(365, 5 * 365) : addYears(churnedAt, -random.int(1, 4));
  const renewalDate = churnedAt ?? nextAnniversary(createdAt, endDay);
  const mrrChange = planMrrChange(random, kind, level, end, startMrr, profile);
  const silent = random.chance(profile.silentShare);
  const responsiveness = random.between(0.5, 1.5);
  const surveysPerDay = Object.fromEntries(
    SURVEYS.map((s) => [s, silent ? 0 : (profile.surveysPerMonth[s] * responsiveness) / 30]),
  ) as Record<SurveyKind, number>;
  const billingDayOfMonth = Math.min(28, dayToDate(createdAt).getUTCDate());
  const forcedFailureIndex = random.chance(FORCED_FAILURE_CHANCE[kind] ?? 0)
    ? pickBillingIndex(
        random,
        Math.max(0, Math.ceil(level.rampFrom + level.rampDays / 3)),
        end,
        firstDay,
        billingDayOfMonth,
      )
    : null;
  const record: AccountRecord = {
    accountId: seed.id,
    name: seed.name,
    domain: domainOf(seed.name),
    segment,
    owner: random.pick(profile.owners),
    mrr: mrrChange?.mrr ?? startMrr,
    seats,
    renewalDate,
    createdAt,
    status: churnedAt === null ? "active" : "churned",
    churnedAt,
  };
  const changes = kind === "drifting" || kind === "recovering" || kind === "churned";
  return {
    record,
    trajectory: { kind, changeStartsOn: changes ? firstDay + Math.max(0, level.rampFrom) : null },
    level,
    startMrr,
    mrrChange,
    end,
    offsets: {
      usage: random.normal(0, 4),
      tickets: random.normal(0, 5),
      nps: random.normal(0, 6),
      csat: random.normal(0, 6),
      ces: random.normal(0, 6),
    },
    surveysPerDay,
    billingDayOfMonth,
    forcedFailureIndex,
  };
}

function planMrrChange(
  random: Random,
  kind: TrajectoryKind,
  level: LevelPlan,
  end: number,
  startMrr: number,
  profile: SegmentProfile,
): AccountPlan["mrrChange"] {
  const [expand, downgrade] = MRR_CHANGE_CHANCES[kind];
  const u = random.float();
  if (u >= expand + downgrade || end < 2) return null;
  // A downgrade in a decline or an expansion in a recovery comes after the turn, not before it.
  const from = Math.min(end - 1, Math.max(0, level.rampFrom < end ? level.rampFrom : 0));
  const index = random.int(from, end - 1);
  const factor = u < expand ? random.between(1.1, 1.5) : random.between(0.6, 0.9);
  return { index, mrr: roundTo(startMrr * factor, profile.mrrStep, profile.mrr) };
}

/** A billing day in window indexes [from, end), or null when there is none. */
function pickBillingIndex(
  random: Random,
  from: number,
  end: number,
  firstDay: Day,
  dayOfMonth: number,
): number | null {
  const candidates: number[] = [];
  for (let t = from; t < end; t++) {
    if (dayToDate(firstDay + t).getUTCDate() === dayOfMonth) candidates.push(t);
  }
  return candidates.length === 0 ? null : random.pick(candidates);
}

function addYears(day: Day, years: number): Day {
  const date = dayToDate(day);
  return dateToDay(new Date(Date.UTC(date.getUTCFullYear() + years, date.getUTCMonth(), date.getUTCDate())));
}

function nextAnniversary(since: Day, after: Day): Day {
  let years = 1;
  while (addYears(since, years) <= after) years++;
  return addYears(since, years);
}

/** Log-uniform position `at` (0..1, clamped) in [min, max]: sizes are skewed, few big and many small. */
function logBetween([min, max]: readonly [number, number], at: number): number {
  const t = clamp01(at);
  return Math.exp(Math.log(min) + t * (Math.log(max) - Math.log(min)));
}

function roundTo(value: number, step: number, [min, max]: readonly [number, number]): number {
  return Math.min(max, Math.max(min, Math.round(value / step) * step));
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}
