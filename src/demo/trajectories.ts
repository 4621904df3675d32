// How each sample account's health moves over the window. A trajectory is a path of a target level
// (0-100, on the scale of the score) that every signal of the account is drawn around, so an account
// that drifts shows it in usage, tickets, surveys and payments together.
import type { Day } from "../domain/dates.ts";
import type { Random } from "./random.ts";

export const TRAJECTORY_KINDS = [
  "healthy",
  "caution",
  "at_risk",
  "drifting",
  "recovering",
  "borderline",
  "churned",
] as const;
export type TrajectoryKind = (typeof TRAJECTORY_KINDS)[number];

/** What the generator meant an account to do; reportable beside the scores it produces. */
export interface Trajectory {
  kind: TrajectoryKind;
  /** First day of the decline or recovery (drifting, recovering, churned); null for steady accounts. */
  changeStartsOn: Day | null;
}

/**
 * Shares of the portfolio, tuned so the last day's bands come out near 60% healthy, 20% caution and
 * 15-20% at risk. "healthy" takes whatever the others leave.
 */
const SHARES: Record<Exclude<TrajectoryKind, "healthy">, number> = {
  caution: 0.23,
  at_risk: 0.03,
  drifting: 0.1,
  recovering: 0.05,
  borderline: 0.06,
  churned: 0.03,
};

/** Exactly the shares (rounded), in a shuffled order, so small portfolios still get each kind. */
export function assignTrajectoryKinds(random: Random, count: number): TrajectoryKind[] {
  const kinds: TrajectoryKind[] = [];
  for (const [kind, share] of Object.entries(SHARES) as [TrajectoryKind, number][]) {
    const n = Math.min(Math.round(share * count), count - kinds.length);
    for (let i = 0; i < n; i++) kinds.push(kind);
  }
  while (kinds.length < count) kinds.push("healthy");
  return random.shuffle(kinds);
}

/** A level path over window indexes 0..days-1: a ramp from `start` to `end`, plus a slow wobble. */
export interface LevelPlan {
  start: number;
  end: number;
  /** Window index where the ramp begins (may lie before the window, or past it for steady accounts). */
  rampFrom: number;
  rampDays: number;
  wobble: number;
  period: number;
  phase: number;
  /** Window index of the churn (the first day without data); null for accounts still active. */
  churnIndex: number | null;
}

export function planLevel(random: Random, kind: TrajectoryKind, days: number): LevelPlan {
  const steady = { rampFrom: days, rampDays: 1, churnIndex: null };
  const wobble = {
    wobble: random.between(0.5, 2),
    period: random.between(20, 60),
    phase: random.between(0, 2 * Math.PI),
  };
  switch (kind) {
    case "healthy": {
      const level = random.between(86, 98);
      return { start: level, end: level, ...steady, ...wobble };
    }
    case "caution": {
      const level = random.between(74.5, 79);
      return { start: level, end: level, ...steady, ...wobble };
    }
    case "at_risk": {
      const level = random.between(40, 64);
      return { start: level, end: level, ...steady, ...wobble };
    }
    case "borderline": {
      // Hovers just over a band threshold (70 or 80) with a faster, larger wobble: bait for hysteresis.
      const level = random.pick([72, 82, 82]) + random.between(-1, 1);
      return { start: level, end: level, ...steady, wobble: 3, period: random.between(8, 16), phase: 0 };
    }
    case "drifting": {
      const lead = random.int(30, 45);
      const rampFrom = days - lead;
      const rampDays = Math.round(lead * 0.75);
      return {
        start: random.between(84, 94),
        end: random.between(25, 50),
        rampFrom,
        rampDays,
        churnIndex: null,
        ...wobble,
      };
    }
    case "recovering": {
      const lead = random.int(28, 42);
      const rampDays = Math.round(lead * 0.6);
      return {
        start: random.between(35, 58),
        end: random.between(88, 97),
        rampFrom: days - lead,
        rampDays,
        churnIndex: null,
        ...wobble,
      };
    }
    case "churned": {
      const churnIndex = random.int(Math.floor(days / 4), Math.max(Math.floor(days / 4), days - 3));
      const rampDays = random.int(20, 40);
      return {
        start: random.between(65, 85),
        end: random.between(20, 40),
        rampFrom: churnIndex - rampDays,
        rampDays,
        churnIndex,
        ...wobble,
      };
    }
  }
}

export function levelAt(plan: LevelPlan, index: number): number {
  const progress = Math.min(1, Math.max(0, (index - plan.rampFrom) / plan.rampDays));
  const ramp = plan.start + (plan.end - plan.start) * progress;
  return ramp + plan.wobble * Math.sin((2 * Math.PI * index) / plan.period + plan.phase);
}
