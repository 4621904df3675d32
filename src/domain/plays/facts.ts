// What a play is evaluated on: one account as of one day, and what changed since the evaluation
// before. The live run (services/plays) reads these from the database for the accounts a run may
// have made news of; `plays test` builds them from the stored history, day by day. Both then call
// the same pure functions (triggers.ts, conditions.ts), so a dry run means what a live run does.
import type { Day } from "../dates.ts";
import type { SurveyKind } from "../records.ts";
import type { TriggerKind } from "./schema.ts";

/** The account as it is on the day: the import's fields and its score. */
export interface PlayAccount {
  /** The database id. */
  id: number;
  /** The customer's own id (account_id of the files). */
  externalId: string;
  name: string;
  domain: string | null;
  segment: string | null;
  /** The owner as the source gives it (an email, usually). */
  owner: string | null;
  /** The owner matched to a Slack user, or null. */
  ownerSlackUserId: string | null;
  mrr: number | null;
  seats: number | null;
  renewalDate: Day | null;
  customerSince: Day | null;
  band: string | null;
  score: number | null;
  /** The lowest band of the account's segment: what `lowest` means for this account. */
  lowestBand: string;
}

export interface ComponentState {
  key: string;
  raw: number | null;
  /** The sub-score, 0-100, or null without data. */
  score: number | null;
}

export interface SurveyAnswer {
  /** A stable id (the response's row id), for the fire's facts. */
  id: string;
  survey: SurveyKind;
  score: number;
  comment: string | null;
  respondedOn: Day;
}

/** One account's day, and what the evaluation before it saw. */
export interface PlayDay {
  day: Day;
  /** The day of the evaluation before (the previous snapshot's as-of); null: the account's first. */
  previousDay: Day | null;
  /** The band move recorded for the day, if any. */
  bandChange: { from: string | null; to: string; fromScore: number | null; toScore: number | null } | null;
  /** The band before the day (the previous snapshot's); null for the first snapshot. */
  previousBand: string | null;
  /** Scores by day, oldest first, covering at least the longest score_drop window; today's last. */
  scores: { day: Day; score: number | null }[];
  /** Today's components (the snapshot's). */
  components: ComponentState[];
  /** The previous snapshot's components; null for the first snapshot. */
  previousComponents: ComponentState[] | null;
  /** The last day each metric named by a no_data trigger was observed, on or before `day` (null: never). */
  lastObserved: Record<string, Day | null>;
  /**
   * The survey answers that are news on the day, given a week back at most: after a run, those that
   * arrived since the run before (AnswerArrival); replayed from history (`plays test`), those given
   * after previousDay, up to and including the day (answerIsNew).
   */
  answers: SurveyAnswer[];
}

/** How many days late a run may be and still see what it missed (answers, no_data, renewal). */
export const CATCH_UP_DAYS = 7;

/**
 * Whether an answer given on `on` is news on `day`: after the evaluation before (`previousDay`), up to
 * the day, and at most CATCH_UP_DAYS back, so an account scored again after a gap (or for the first
 * time) is not told of old answers. The live run and `plays test` both ask this, so they agree.
 */
export function answerIsNew(on: Day, day: Day, previousDay: Day | null): boolean {
  return on <= day && on >= day - CATCH_UP_DAYS && (previousDay === null || on > previousDay);
}

/**
 * The answers a run's plays are told of: those css-bot stored after the run before it started
 * (`after`; null: there was none) and by the time this run started (`until`). An answer given after a
 * day's run, or delivered days late by its source, is news at the next run; once a run's evaluation
 * is done, the next starts where that run started, so its answers are not told again.
 */
export interface AnswerArrival {
  after: Date | null;
  until: Date;
}

/** Why a play fired: the trigger's kind, its facts (stored with the fire, JSON) and a line for people. */
export interface TriggerHit {
  kind: TriggerKind;
  /** e.g. { from: 81, to: 69, points: 12, within_days: 7 }; JSON-safe. */
  facts: Record<string, unknown>;
  /** e.g. "score fell 12 points in 7 days (81 -> 69)"; plain text, escaped where it is shown. */
  summary: string;
}

/** A connector whose sync failed (the connector_failed trigger's subject). */
export interface FailedConnector {
  id: number;
  name: string;
  kind: string;
  error: string;
}
