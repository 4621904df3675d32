// The plays' candidates a recompute's shard can tell while it holds the day's results in memory:
// the accounts whose component crossed into a component play's bound, and those whose score fell
// (the only ones a score_drop play can fire for: triggers.ts scoreMayDrop), and those whose metric went
// quiet for a no_data play (no-data-window.ts, from the account's rollup), and those whose renewal
// window began or whose band changed inside it for a renewal play (renewalCandidate). Recorded with
// the run (play_candidates), they spare the evaluation after the run a second pass over every
// snapshot of the day and its JSON, or a probe of every renewing account's snapshot before
// (BENCHMARKS.md, Plays). The same pure functions as the triggers decide, so the
// shard keeps exactly the accounts the trigger could accept.
import { crossedFromMarks } from "./bound-marks.ts";
import type { Day } from "../dates.ts";
import type { ComponentState } from "./facts.ts";
import type { Play } from "./schema.ts";
import { noDataCandidate, noDataInputs } from "./no-data-window.ts";
import { componentCrossing, scoreMayDrop } from "./triggers.ts";

/** The trigger kinds whose candidates the shards record. */
export const RUN_CANDIDATE_KINDS = ["component", "score_drop", "no_data", "renewal"] as const;

/**
 * The plays whose candidates the shards record: those of RUN_CANDIDATE_KINDS, but a no_data play
 * whose windows do not fit a rollup's input (found in SQL instead).
 */
export const runCandidatePlays = (plays: readonly Play[]): Play[] =>
  plays.filter((p) =>
    "no_data" in p.trigger
      ? noDataInputs(p.trigger.no_data) !== null
      : RUN_CANDIDATE_KINDS.some((kind) => kind in p.trigger),
  );

/** One account as the shard scored it, and its snapshot before (undefined: its first). */
export interface ScoredAccount {
  accountId: number;
  score: number | null;
  components: readonly ComponentState[];
  /** Its bits today (bound-marks.ts boundBits of the component plays), when worked out already. */
  bounds?: string;
  previous?: {
    score: number | null;
    /**
     * The bits of its marks (bound-marks.ts) when they are of this run's playbook version: which of
     * the component plays' bounds it was in. With them the components are never read.
     */
    bounds?: string | null;
    /** Its day and band: a renewal play's candidacy (renewalCandidate). */
    asOf?: Day;
    band?: string;
    /**
     * Its components, or their JSON text as stored, parsed only when a component is in a bound today
     * and the marks do not tell (parsing is the cost). A text rather than a function that parses: a
     * closure made for each of a shard's 5,000 accounts cost more than the parses it spared (under
     * tsx, each is named as it is made: 0.5 µs).
     */
    components: readonly ComponentState[] | string;
  };
  /**
   * The account's metric rollup as of the day (input signature -> value), no_data's inputs included;
   * absent, no values: no no_data candidate.
   */
  metrics?: Readonly<Record<string, number | null>>;
  /** For a renewal play: the day scored, its band today and its renewal date (null: none). */
  renewal?: { day: Day; band: string; date: Day | null };
}

/**
 * A renewal play's candidacy (play-candidates.ts's SQL, exactly): the renewal date within
 * [day, day + days], and the trigger not held already at the snapshot before in the same band: no
 * snapshot before, or the window began since (renewal date beyond its day + days), or the band
 * changed since. The trigger (its bands) then decides.
 */
export function renewalCandidate(
  days: number,
  day: Day,
  band: string,
  renewal: Day | null,
  before: { asOf: Day; band: string } | undefined,
): boolean {
  if (renewal === null || renewal < day || renewal > day + days) return false;
  return before === undefined || renewal > before.asOf + days || before.band !== band;
}

const componentsOf = (c: readonly ComponentState[] | string): readonly ComponentState[] =>
  typeof c === "string" ? (JSON.parse(c) as ComponentState[]) : c;

/** The plays (of `plays`, run-candidate ones) that could fire for the account: their keys. */
export function runCandidates(plays: readonly Play[], account: ScoredAccount): string[] {
  const keys: string[] = [];
  let before: readonly ComponentState[] | null | undefined;
  // The component play's place among the component plays of `plays`: its bit in the marks.
  let index = -1;
  for (const play of plays) {
    const t = play.trigger;
    if ("score_drop" in t) {
      if (scoreMayDrop(t.score_drop.points, account.score, account.previous)) keys.push(play.key);
    } else if ("component" in t) {
      index++;
      // In the bound today at all (compared with nothing before), before the snapshot before is read.
      const now =
        account.bounds === undefined
          ? componentCrossing(t.component, account.components, null) !== null
          : account.bounds[index] === "1";
      if (!now) continue;
      const marked = account.previous?.bounds;
      if (marked) {
        if (crossedFromMarks(now, marked, index)) keys.push(play.key);
        continue;
      }
      before ??= account.previous ? componentsOf(account.previous.components) : null;
      if (componentCrossing(t.component, account.components, before)) keys.push(play.key);
    } else if ("no_data" in t) {
      if (noDataCandidate(t.no_data, account.metrics ?? {})) keys.push(play.key);
    } else if ("renewal" in t) {
      const r = account.renewal;
      const p = account.previous;
      // A snapshot before without its day or band cannot be told from: none is passed by callers.
      const before =
        p && p.asOf !== undefined && p.band !== undefined ? { asOf: p.asOf, band: p.band } : undefined;
      if (r && renewalCandidate(t.renewal.within_days, r.day, r.band, r.date, before)) keys.push(play.key);
    }
  }
  return keys;
}
