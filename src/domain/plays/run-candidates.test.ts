import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { CATCH_UP_DAYS, type ComponentState, type PlayAccount, type PlayDay } from "./facts.ts";
import { noDataCandidate, noDataInputs, noDataRollupInputs } from "./no-data-window.ts";
import { parsePlaybook } from "./parse-playbook.ts";
import { renewalCandidate, runCandidatePlays, runCandidates, type ScoredAccount } from "./run-candidates.ts";
import { evaluateTrigger, scoreMayDrop } from "./triggers.ts";
import { inputSignature } from "../scoring/window-inputs.ts";

const PLAYBOOK = parsePlaybook(
  `
name: t
plays:
  - key: usage_low
    trigger: { component: { key: usage, below: 20 } }
    actions: [{ post: { channel: alert_channel, text: x } }]
  - key: nps_raw_high
    trigger: { component: { key: nps, value: raw, at_least: 50 } }
    actions: [{ post: { channel: alert_channel, text: x } }]
  - key: slide
    trigger: { score_drop: { points: 10, within_days: 7 } }
    actions: [{ post: { channel: alert_channel, text: x } }]
  - key: entered
    trigger: { band_entered: [lowest] }
    actions: [{ post: { channel: alert_channel, text: x } }]
  - key: quiet
    trigger: { no_data: { metric: logins, days: 14 } }
    actions: [{ post: { channel: alert_channel, text: x } }]
  - key: quiet_decade
    trigger: { no_data: { metric: logins, days: 3643 } }
    actions: [{ post: { channel: alert_channel, text: x } }]
  - key: renewing
    trigger: { renewal: { within_days: 30, bands: [lowest] } }
    actions: [{ post: { channel: alert_channel, text: x } }]
`,
  "t.yaml",
);
const PLAYS = runCandidatePlays(PLAYBOOK.plays);

const comps = (usage: number | null, npsRaw: number | null = 0): ComponentState[] => [
  { key: "usage", raw: usage === null ? null : usage / 100, score: usage },
  { key: "nps", raw: npsRaw, score: npsRaw === null ? null : (npsRaw + 100) / 2 },
];

describe("the candidates a shard records", () => {
  it("keep the component, score_drop, no_data and renewal plays only, no_data within an input's longest window", () => {
    // 3643 + CATCH_UP_DAYS + 1 days is beyond the 3650 an input may span: left to SQL.
    expect(PLAYS.map((p) => p.key)).toEqual(["usage_low", "nps_raw_high", "slide", "quiet", "renewing"]);
    expect(noDataInputs({ metric: "logins", days: 3642 })?.before.window_days).toBe(3650);
  });

  it("hold an account whose component crossed into a bound, or whose score fell, and no other", () => {
    const account = (over: Partial<ScoredAccount>): ScoredAccount => ({
      accountId: 1,
      score: 60,
      components: comps(50),
      previous: { score: 60, components: comps(50) },
      metrics: {},
      ...over,
    });
    expect(runCandidates(PLAYS, account({}))).toEqual([]);
    // usage 25 -> 15 crossed below 20; 15 -> 10 sat there; no data before counts as outside.
    expect(
      runCandidates(
        PLAYS,
        account({ components: comps(15), previous: { score: 60, components: comps(25) } }),
      ),
    ).toEqual(["usage_low"]);
    expect(
      runCandidates(
        PLAYS,
        account({ components: comps(10), previous: { score: 60, components: comps(15) } }),
      ),
    ).toEqual([]);
    expect(
      runCandidates(
        PLAYS,
        account({ components: comps(10), previous: { score: 60, components: comps(null) } }),
      ),
    ).toEqual(["usage_low"]);
    // A first snapshot: in the bound is crossing it; a score has nothing to fall from.
    expect(runCandidates(PLAYS, account({ components: comps(10, 70), previous: undefined }))).toEqual([
      "usage_low",
      "nps_raw_high",
    ]);
    // Any fall since the snapshot before, however small; none on a rise or an equal score.
    expect(runCandidates(PLAYS, account({ score: 59.9 }))).toEqual(["slide"]);
    expect(runCandidates(PLAYS, account({ score: 61 }))).toEqual([]);
    expect(runCandidates(PLAYS, account({ score: null }))).toEqual([]);
    expect(runCandidates(PLAYS, account({ previous: { score: null, components: comps(50) } }))).toEqual([
      "slide",
    ]);
  });

  it("read the snapshot before's components only when a component is in a bound today", () => {
    // Given as their stored JSON: a parse is a read.
    const reads = vi.spyOn(JSON, "parse");
    const previous = { score: 60, components: JSON.stringify(comps(50)) };
    runCandidates(PLAYS, { accountId: 1, score: 60, components: comps(50), previous, metrics: {} });
    expect(reads).toHaveBeenCalledTimes(0);
    runCandidates(PLAYS, { accountId: 1, score: 60, components: comps(10, 80), previous, metrics: {} });
    expect(reads).toHaveBeenCalledTimes(1);
    reads.mockRestore();
  });
});

const ACCOUNT: PlayAccount = {
  id: 1,
  externalId: "a",
  name: "A",
  domain: null,
  segment: null,
  owner: null,
  ownerSlackUserId: null,
  mrr: null,
  seats: null,
  renewalDate: null,
  customerSince: null,
  band: "healthy",
  score: 50,
  lowestBand: "at_risk",
};

describe("a no_data play's candidates from the rollup", () => {
  const base = {
    accountId: 1,
    score: 60,
    components: comps(50),
    previous: { score: 60, components: comps(50) },
  };
  const quiet = PLAYS.filter((p) => p.key === "quiet");

  it("read two counts of the metric: over the quiet days, and over those and the catch-up days before", () => {
    expect(noDataRollupInputs(PLAYBOOK.plays)).toEqual([
      { metric: "logins", agg: "count", window_days: 14 },
      { metric: "logins", agg: "count", window_days: 14 + CATCH_UP_DAYS + 1 },
    ]);
    const metrics = (recent: number | null, wider: number | null) => ({
      "metric:logins:count:14": recent,
      "metric:logins:count:22": wider,
      "metric:other:count:22": 5,
    });
    // Seen in the 8 days before the last 14, not since: a candidate.
    expect(runCandidates(quiet, { ...base, metrics: metrics(null, 3) })).toEqual(["quiet"]);
    // Seen in the last 14 days; or not for 22 days (told already, or never seen at all).
    expect(runCandidates(quiet, { ...base, metrics: metrics(1, 4) })).toEqual([]);
    expect(runCandidates(quiet, { ...base, metrics: metrics(null, null) })).toEqual([]);
    // An account that never had an observation has an empty rollup.
    expect(runCandidates(quiet, { ...base, metrics: {} })).toEqual([]);
  });

  // Observation days against the SQL of play-candidates.ts (observed in (day - D - 8, day - D], not
  // in (day - D, day]), with each count over (day - w, day] as the rollup's SQL counts it; and every
  // fire of the trigger on a day evaluated at most the catch-up days late is among the candidates.
  it("are those the SQL finds, and hold every fire of a run at most the catch-up days late", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: -60, max: 5 }), { maxLength: 8 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: CATCH_UP_DAYS + 1 }),
        (offsets, days, late) => {
          const day = 20000;
          const observed = offsets.map((o) => day + o);
          const t = { metric: "logins", days };
          const { quiet: q, before: b } = noDataInputs(t)!;
          const count = (w: number) => observed.filter((o) => o > day - w && o <= day).length || null;
          const metrics = {
            [inputSignature(q)]: count(q.window_days),
            [inputSignature(b)]: count(b.window_days),
          };
          const candidate = noDataCandidate(t, metrics);
          const sql =
            observed.some((o) => o > day - days - CATCH_UP_DAYS - 1 && o <= day - days) &&
            !observed.some((o) => o > day - days && o <= day);
          if (candidate !== sql) return false;
          const last = Math.max(...observed.filter((o) => o <= day));
          const playDay: PlayDay = {
            day,
            previousDay: day - late,
            bandChange: null,
            previousBand: "healthy",
            scores: [{ day, score: 50 }],
            components: [],
            previousComponents: [],
            lastObserved: { logins: Number.isFinite(last) ? last : null },
            answers: [],
          };
          return !evaluateTrigger({ no_data: t }, ACCOUNT, playDay) || candidate;
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe("a renewal play's candidates", () => {
  const DAY = 20_000;
  const account = (date: number | null, previous?: { asOf: number; band: string }): ScoredAccount => ({
    accountId: 1,
    score: 60,
    components: comps(50),
    previous: previous && { score: 60, ...previous, components: comps(50) },
    metrics: {},
    renewal: { day: DAY, band: "at_risk", date },
  });

  it("hold a renewal within the window whose window began, or whose band changed, since the snapshot before", () => {
    const yesterday = { asOf: DAY - 1, band: "at_risk" };
    // The window's two ends count (BETWEEN); outside it, or no renewal date: none.
    expect(runCandidates(PLAYS, account(DAY + 30, yesterday))).toEqual(["renewing"]);
    expect(runCandidates(PLAYS, account(DAY + 29, yesterday))).toEqual([]);
    expect(runCandidates(PLAYS, account(DAY, undefined))).toEqual(["renewing"]);
    expect(runCandidates(PLAYS, account(DAY + 31, undefined))).toEqual([]);
    expect(runCandidates(PLAYS, account(DAY - 1, undefined))).toEqual([]);
    expect(runCandidates(PLAYS, account(null, undefined))).toEqual([]);
    // Inside the window at the snapshot before, in the same band: told then already.
    expect(runCandidates(PLAYS, account(DAY + 10, yesterday))).toEqual([]);
    expect(runCandidates(PLAYS, account(DAY + 10, { asOf: DAY - 1, band: "healthy" }))).toEqual(["renewing"]);
    // A snapshot before a gap: the window began in between (as_of + 30 < the renewal date).
    expect(runCandidates(PLAYS, account(DAY + 10, { asOf: DAY - 20, band: "at_risk" }))).toEqual([]);
    expect(runCandidates(PLAYS, account(DAY + 10, { asOf: DAY - 21, band: "at_risk" }))).toEqual([
      "renewing",
    ]);
    // Without the renewal's facts (another caller): none.
    expect(runCandidates(PLAYS, { ...account(DAY), renewal: undefined })).toEqual([]);
  });

  it("are exactly those play-candidates.ts's SQL finds", () => {
    // A transcription of the SQL: renewal_date BETWEEN day AND day + D AND (p.as_of IS NULL OR
    // renewal_date > p.as_of + D OR p.band IS DISTINCT FROM current_band), NULL comparisons false.
    const sql = (
      d: number,
      day: number,
      band: string,
      renewal: number | null,
      p: { asOf: number; band: string } | undefined,
    ): boolean =>
      renewal !== null &&
      day <= renewal &&
      renewal <= day + d &&
      (p === undefined || renewal > p.asOf + d || p.band !== band);
    const bands = fc.constantFrom("healthy", "at_risk", "insufficient_data");
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 40_000 }),
        bands,
        fc.option(fc.integer({ min: -5, max: 70 })),
        fc.option(fc.record({ ago: fc.integer({ min: 1, max: 90 }), band: bands }), { nil: undefined }),
        (d, day, band, offset, p) => {
          const renewal = offset === null ? null : day + offset;
          const before = p && { asOf: day - p.ago, band: p.band };
          expect(renewalCandidate(d, day, band, renewal, before)).toBe(sql(d, day, band, renewal, before));
        },
      ),
    );
  });
});

describe("scoreMayDrop", () => {
  // The shard keeps only the accounts whose score fell; the claim is that a score_drop trigger never
  // fires for another. Random histories (scores with gaps, days skipped) and triggers check it.
  it("holds whenever a score_drop trigger fires, whatever the history", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            gap: fc.integer({ min: 1, max: 4 }),
            score: fc.option(
              fc.integer({ min: 0, max: 100 }).map((x) => x / 2),
              { freq: 6 },
            ),
          }),
          { minLength: 1, maxLength: 20 },
        ),
        fc.integer({ min: 1, max: 30 }).map((x) => x / 2),
        fc.integer({ min: 1, max: 14 }),
        (rows, points, within) => {
          let day = 20000;
          const scores: PlayDay["scores"] = [];
          for (const row of rows) {
            day += row.gap;
            scores.push({ day, score: row.score });
            const previous = scores.length > 1 ? scores[scores.length - 2]! : undefined;
            const playDay: PlayDay = {
              day,
              previousDay: previous?.day ?? null,
              bandChange: null,
              previousBand: previous ? "healthy" : null,
              scores: [...scores],
              components: [],
              previousComponents: previous ? [] : null,
              lastObserved: {},
              answers: [],
            };
            const hit = evaluateTrigger({ score_drop: { points, within_days: within } }, ACCOUNT, playDay);
            if (hit && !scoreMayDrop(points, row.score, previous)) return false;
          }
          return true;
        },
      ),
      { numRuns: 2000 },
    );
  });
});
