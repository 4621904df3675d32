// What makes a play fire: each trigger kind evaluated on one account's day (facts.ts).
//
// Triggers are edge-triggered: a play fires on the evaluation where its trigger becomes true, not on
// every day it stays true, so an account that sits below a line is told once. Each trigger therefore
// compares the day with the evaluation before it (`previousDay`, the previous snapshot). How often a
// play may fire again for the same account is the cooldown's business (guards.ts), not the trigger's.
import { formatDay, type Day } from "../dates.ts";
import type { SurveyKind } from "../records.ts";
import { scoreMoveText } from "../scoring/score-move.ts";
import { inBandList, resolveBandList } from "./band-list.ts";
import type {
  ComponentState,
  FailedConnector,
  PlayAccount,
  PlayDay,
  SurveyAnswer,
  TriggerHit,
} from "./facts.ts";
import { boundText, formatNumber, inBound, plural, round1, shortQuote } from "./plain-text.ts";
import type { Bound, Trigger } from "./schema.ts";

/** Whether `trigger` fires for the account on `day`; null when it does not (or has no account). */
export function evaluateTrigger(trigger: Trigger, account: PlayAccount, day: PlayDay): TriggerHit | null {
  if ("band_entered" in trigger) return bandEntered(trigger.band_entered, account, day);
  if ("band_left" in trigger) return bandLeft(trigger.band_left, account, day);
  if ("score_drop" in trigger) return scoreDrop(trigger.score_drop, day);
  if ("component" in trigger) return componentCrossed(trigger.component, day);
  if ("no_data" in trigger) return noData(trigger.no_data, day);
  if ("renewal" in trigger) return renewal(trigger.renewal, account, day);
  if ("survey_answer" in trigger) return surveyAnswer(trigger.survey_answer, day);
  // connector_failed has no account: connectorFailedHit evaluates it.
  return null;
}

/** Whether a connector_failed trigger fires for this failed sync (any connector, or the one named). */
export function connectorFailedHit(trigger: Trigger, connector: FailedConnector): TriggerHit | null {
  if (!("connector_failed" in trigger)) return null;
  const wanted = trigger.connector_failed.connector;
  // Names are typed by admins on both sides: "Stripe" in the playbook means the connector "stripe".
  if (wanted !== undefined && wanted.trim().toLowerCase() !== connector.name.trim().toLowerCase())
    return null;
  const error = shortQuote(connector.error);
  return {
    kind: "connector_failed",
    facts: { connector_id: connector.id, name: connector.name, kind: connector.kind, error: connector.error },
    summary: `connector ${connector.name} (${connector.kind}) failed${error ? `: ${error}` : ""}`,
  };
}

// ---- Bands ----

function bandEntered(list: string[], account: PlayAccount, day: PlayDay): TriggerHit | null {
  const change = day.bandChange;
  if (!change) return null;
  // A first score (from null) into a listed band counts as entering it: the account is news.
  if (!inBandList(change.to, list, account.lowestBand)) return null;
  if (inBandList(change.from, list, account.lowestBand)) return null;
  return {
    kind: "band_entered",
    facts: bandFacts(change, list, account),
    summary:
      change.from === null
        ? `entered ${change.to} (first score ${scoreText(change.toScore)})`
        : `entered ${change.to} from ${change.from} (${scoreMoveText(change.fromScore, change.toScore)})`,
  };
}

function bandLeft(list: string[], account: PlayAccount, day: PlayDay): TriggerHit | null {
  const change = day.bandChange;
  if (!change || change.from === null) return null;
  if (!inBandList(change.from, list, account.lowestBand)) return null;
  if (inBandList(change.to, list, account.lowestBand)) return null;
  return {
    kind: "band_left",
    facts: bandFacts(change, list, account),
    summary: `left ${change.from} for ${change.to} (${scoreMoveText(change.fromScore, change.toScore)})`,
  };
}

function bandFacts(
  change: NonNullable<PlayDay["bandChange"]>,
  list: string[],
  account: PlayAccount,
): Record<string, unknown> {
  return {
    from: change.from,
    to: change.to,
    from_score: change.fromScore,
    to_score: change.toScore,
    bands: resolveBandList(list, account.lowestBand),
  };
}

function scoreText(score: number | null): string {
  return score === null ? "n/a" : formatNumber(round1(score));
}

// ---- Score drop ----

// Scores are sums of weighted sub-scores: 81.2 - 69.2 may come out as 11.999999999999993.
const EPSILON = 1e-9;

interface Drop {
  high: number;
  highDay: Day;
  score: number;
}

/**
 * The drop on `at`: its score against the highest of the `within` days before it, [at - within, at)
 * (so within 1 compares with the day before), when it is at least `points`, and when no such drop
 * held on `before` (the evaluation before; null: none): that fall was told then. Null otherwise (no
 * score that day, no earlier score, too small, or already told). One pass over the scores for both
 * days: the run asks this of thousands of accounts, and reading their scores is most of the work.
 */
function freshDrop(
  scores: PlayDay["scores"],
  at: Day,
  before: Day | null,
  within: number,
  points: number,
): Drop | null {
  let score: number | null = null;
  let high: number | null = null;
  let highDay: Day = at;
  let scoreBefore: number | null = null;
  let highBefore: number | null = null;
  for (const s of scores) {
    const value = s.score;
    if (value === null) continue;
    const d = s.day;
    if (d === at) score = value;
    else if (d < at && d >= at - within) {
      // On a tie the latest day is the high: the fall is measured from where it began.
      if (high === null || value > high || (value === high && d > highDay)) {
        high = value;
        highDay = d;
      }
    }
    if (before === null) continue;
    if (d === before) scoreBefore = value;
    else if (d < before && d >= before - within && (highBefore === null || value > highBefore))
      highBefore = value;
  }
  if (!isDrop(score, high, points)) return null;
  if (isDrop(scoreBefore, highBefore, points)) return null;
  return { high: high!, highDay, score: score! };
}

function isDrop(score: number | null, high: number | null, points: number): boolean {
  return score !== null && high !== null && !(high - score < points - EPSILON);
}

/**
 * Whether a score_drop trigger of `points` can fire on a day whose score is `score`, given the
 * snapshot before (undefined: none). Only when the score fell since, or that snapshot had no score: were today's
 * score at least the one before (p), today's high could not be p's score (the drop would be below
 * it), so it would be one of p's window, at most p's high, and p's score, no lower than today's,
 * would have been as far below it: the drop already held at p, and was told then. The recompute's
 * shards ask this to keep the accounts whose history must be read to a few (run-candidates.ts).
 */
export function scoreMayDrop(
  points: number,
  score: number | null,
  previous: { score: number | null } | undefined,
): boolean {
  if (score === null || previous === undefined) return false;
  // A drop of (nearly) nothing counts a high equal to the score: the argument above needs a fall.
  return previous.score === null || score < previous.score || points <= EPSILON;
}

function scoreDrop(trigger: { points: number; within_days: number }, day: PlayDay): TriggerHit | null {
  const { points, within_days } = trigger;
  const drop = freshDrop(day.scores, day.day, day.previousDay, within_days, points);
  if (!drop) return null;
  const fell = round1(drop.high - drop.score);
  return {
    kind: "score_drop",
    facts: {
      from: drop.high,
      to: drop.score,
      points: fell,
      within_days,
      high_day: formatDay(drop.highDay),
    },
    summary: `score fell ${plural(fell, "point")} in ${plural(within_days, "day")} (${scoreMoveText(drop.high, drop.score)})`,
  };
}

// ---- Component ----

export type ComponentTrigger = Bound & { key: string; value: "sub_score" | "raw" };

function componentValue(
  components: readonly ComponentState[] | null,
  key: string,
  value: "sub_score" | "raw",
): number | null {
  if (components === null) return null;
  for (const c of components) if (c.key === key) return value === "raw" ? c.raw : c.score;
  return null;
}

/**
 * The component's value now and at the snapshot before when it crossed into the trigger's bound
 * between the two; null when it did not. A first snapshot (`before` null), or one without data, was
 * not in the bound. The trigger and the recompute's shards (run-candidates.ts) both ask this.
 */
export function componentCrossing(
  trigger: ComponentTrigger,
  components: readonly ComponentState[],
  previousComponents: readonly ComponentState[] | null,
): { now: number; before: number | null } | null {
  const now = componentValue(components, trigger.key, trigger.value);
  if (now === null || !inBound(now, trigger)) return null;
  const before = componentValue(previousComponents, trigger.key, trigger.value);
  if (before !== null && inBound(before, trigger)) return null;
  return { now, before };
}

function componentCrossed(trigger: ComponentTrigger, day: PlayDay): TriggerHit | null {
  const crossing = componentCrossing(trigger, day.components, day.previousComponents);
  if (!crossing) return null;
  const { now, before } = crossing;
  const bound = boundOf(trigger);
  const what = trigger.value === "raw" ? "raw value" : "sub-score";
  const was =
    day.previousComponents === null
      ? "first snapshot"
      : before === null
        ? "was no data"
        : `was ${formatNumber(before)}`;
  return {
    kind: "component",
    facts: { key: trigger.key, value: trigger.value, now, before, bound },
    summary: `${trigger.key} ${what} ${formatNumber(now)}, ${boundText(bound)} (${was})`,
  };
}

/** The bound alone, without undefined keys (facts are stored as JSON). */
function boundOf(b: Bound): Bound {
  const out: Bound = {};
  if (b.below !== undefined) out.below = b.below;
  if (b.above !== undefined) out.above = b.above;
  if (b.at_most !== undefined) out.at_most = b.at_most;
  if (b.at_least !== undefined) out.at_least = b.at_least;
  return out;
}

// ---- No data ----

function noData(trigger: { metric: string; days: number }, day: PlayDay): TriggerHit | null {
  const last = day.lastObserved[trigger.metric];
  // Never observed: nothing went quiet (the metric may simply not apply to this account).
  if (last === null || last === undefined) return null;
  const gap = day.day - last;
  if (gap < trigger.days) return null;
  if (day.previousDay !== null && day.previousDay - last >= trigger.days) return null;
  return {
    kind: "no_data",
    facts: { metric: trigger.metric, days: trigger.days, last_observed: formatDay(last), gap_days: gap },
    summary: `no ${trigger.metric} for ${plural(gap, "day")} (last ${formatDay(last)})`,
  };
}

// ---- Renewal ----

function renewal(
  trigger: { within_days: number; bands: string[] },
  account: PlayAccount,
  day: PlayDay,
): TriggerHit | null {
  const renewalDate = account.renewalDate;
  if (renewalDate === null) return null;
  const holds = (at: Day, band: string | null) =>
    renewalDate - at >= 0 &&
    renewalDate - at <= trigger.within_days &&
    inBandList(band, trigger.bands, account.lowestBand);
  if (!holds(day.day, account.band)) return null;
  // Already inside the window and the bands at the evaluation before: told then.
  if (day.previousDay !== null && holds(day.previousDay, day.previousBand)) return null;
  const left = renewalDate - day.day;
  const when = left === 0 ? "today" : `in ${plural(left, "day")}`;
  return {
    kind: "renewal",
    facts: {
      renewal_date: formatDay(renewalDate),
      days_left: left,
      within_days: trigger.within_days,
      band: account.band,
    },
    summary: `renews ${when} (${formatDay(renewalDate)}) while ${account.band}`,
  };
}

// ---- Survey answer ----

const SURVEY_LABELS: Record<SurveyKind, string> = { nps: "NPS", csat: "CSAT", ces: "CES" };

function surveyAnswer(trigger: Bound & { survey: SurveyKind }, day: PlayDay): TriggerHit | null {
  // One pass for the answers in the bound, their lowest score and the first comment worth quoting.
  const hits: SurveyAnswer[] = [];
  let lowest = Infinity;
  let comment: string | null = null;
  for (const a of day.answers) {
    if (a.survey !== trigger.survey || !inBound(a.score, trigger)) continue;
    hits.push(a);
    lowest = Math.min(lowest, a.score);
    if (comment === null && a.comment !== null && a.comment.trim() !== "") comment = a.comment;
  }
  if (hits.length === 0) return null;
  const label = SURVEY_LABELS[trigger.survey];
  const head =
    hits.length === 1
      ? `${label} ${formatNumber(lowest)}`
      : `${hits.length} ${label} answers, lowest ${formatNumber(lowest)}`;
  return {
    kind: "survey_answer",
    facts: {
      survey: trigger.survey,
      bound: boundOf(trigger),
      answers: hits.map((a) => ({
        id: a.id,
        score: a.score,
        comment: a.comment,
        responded_on: formatDay(a.respondedOn),
      })),
    },
    summary: comment === null ? head : `${head}: "${shortQuote(comment)}"`,
  };
}
