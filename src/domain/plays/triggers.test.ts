import { describe, expect, it } from "vitest";
import { formatDay, parseDay, type Day } from "../dates.ts";
import type { ComponentState, PlayAccount, PlayDay, SurveyAnswer } from "./facts.ts";
import type { Trigger } from "./schema.ts";
import { connectorFailedHit, evaluateTrigger } from "./triggers.ts";

const d = (text: string): Day => parseDay(text)!;

const account: PlayAccount = {
  id: 7,
  externalId: "acme",
  name: "Acme",
  domain: "acme.example",
  segment: "smb",
  owner: "ana@example.com",
  ownerSlackUserId: "U0ANA",
  mrr: 1200,
  seats: 40,
  renewalDate: null,
  customerSince: null,
  band: "healthy",
  score: 80,
  lowestBand: "at_risk",
};

/** One evaluation of a history: the day and what the account looked like then. */
interface Row {
  day: string;
  score?: number | null;
  band?: string;
  components?: ComponentState[];
  lastObserved?: Record<string, Day | null>;
  answers?: SurveyAnswer[];
}

/**
 * Replays `rows` (one per evaluation, oldest first) as the live run would see them: each day with
 * the evaluation before it, the scores so far, the band change the bands imply, and returns the
 * days the trigger fired with their summaries.
 */
function replay(trigger: Trigger, rows: Row[], base: Partial<PlayAccount> = {}): Record<string, string> {
  const fired: Record<string, string> = {};
  const scores: PlayDay["scores"] = [];
  let previous = null as Row | null;
  for (const row of rows) {
    scores.push({ day: d(row.day), score: row.score ?? null });
    const band: string | null = row.band ?? previous?.band ?? null;
    const prevBand: string | null = previous?.band ?? null;
    const day: PlayDay = {
      day: d(row.day),
      previousDay: previous ? d(previous.day) : null,
      bandChange:
        band !== null && band !== prevBand
          ? { from: prevBand, to: band, fromScore: previous?.score ?? null, toScore: row.score ?? null }
          : null,
      previousBand: prevBand,
      scores: [...scores],
      components: row.components ?? [],
      previousComponents: previous ? (previous.components ?? []) : null,
      lastObserved: row.lastObserved ?? {},
      answers: row.answers ?? [],
    };
    const hit = evaluateTrigger(trigger, { ...account, ...base, band, score: row.score ?? null }, day);
    if (hit) fired[row.day] = hit.summary;
    previous = { ...row, band: band ?? undefined };
  }
  return fired;
}

describe("band_entered and band_left", () => {
  it("fire on the day the band changes into (or out of) the list, with lowest resolved per account", () => {
    const history: Row[] = [
      { day: "2026-03-01", score: 72, band: "healthy" },
      { day: "2026-03-02", score: 60, band: "caution" },
      { day: "2026-03-03", score: 45, band: "at_risk" },
      { day: "2026-03-04", score: 44, band: "at_risk" },
      { day: "2026-03-05", score: 66, band: "caution" },
      { day: "2026-03-06", score: 40, band: "at_risk" },
    ];
    expect(replay({ band_entered: ["lowest"] }, history)).toEqual({
      "2026-03-03": "entered at_risk from caution (60 -> 45)",
      "2026-03-06": "entered at_risk from caution (66 -> 40)",
    });
    expect(replay({ band_left: ["lowest"] }, history)).toEqual({
      "2026-03-05": "left at_risk for caution (44 -> 66)",
    });
    // A move between two listed bands is neither entering nor leaving the list.
    expect(replay({ band_entered: ["caution", "at_risk"] }, history)).toEqual({
      "2026-03-02": "entered caution from healthy (72 -> 60)",
    });
    // Another segment's lowest band is "red": the same play reads it so.
    expect(replay({ band_entered: ["lowest"] }, history, { lowestBand: "caution" })).toEqual({
      "2026-03-02": "entered caution from healthy (72 -> 60)",
      "2026-03-05": "entered caution from at_risk (44 -> 66)",
    });
  });

  it("counts a first score into a listed band as entering it, but not as leaving anything", () => {
    const history: Row[] = [{ day: "2026-03-01", score: 30.5, band: "at_risk" }];
    expect(replay({ band_entered: ["at_risk"] }, history)).toEqual({
      "2026-03-01": "entered at_risk (first score 30.5)",
    });
    expect(replay({ band_left: ["healthy"] }, history)).toEqual({});
  });

  it("gives the move as facts", () => {
    const hit = evaluateTrigger({ band_entered: ["lowest"] }, account, {
      day: d("2026-03-03"),
      previousDay: d("2026-03-02"),
      bandChange: { from: "caution", to: "at_risk", fromScore: 61.2, toScore: 48 },
      previousBand: "caution",
      scores: [],
      components: [],
      previousComponents: [],
      lastObserved: {},
      answers: [],
    });
    expect(hit).toEqual({
      kind: "band_entered",
      facts: { from: "caution", to: "at_risk", from_score: 61.2, to_score: 48, bands: ["at_risk"] },
      summary: "entered at_risk from caution (61 -> 48)",
    });
  });
});

describe("score_drop", () => {
  const drop: Trigger = { score_drop: { points: 10, within_days: 7 } };

  it("fires once for a drop that persists, and again for a new drop after the high left the window", () => {
    //   day    score  high of [day-7, day)  drop  holds  held before  fires
    //   03-01  81     -                     -     no     -
    //   03-02  80     81 (03-01)            1     no     no
    //   03-03  69     81 (03-01)            12    yes    no           yes
    //   03-04  69     81 (03-01)            12    yes    yes
    //   03-05  65     81 (03-01)            16    yes    yes
    //   03-08  66     81 (03-01)            15    yes    yes          (03-01 is 7 days back: in)
    //   03-09  66     80 (03-02)            14    yes    yes          (03-01 left the window)
    //   03-10  66     69 (03-04)            3     no     yes          (03-02, 03-03 left it)
    //   03-11  55     69 (03-04)            14    yes    no           yes
    const history: Row[] = [
      { day: "2026-03-01", score: 81 },
      { day: "2026-03-02", score: 80 },
      { day: "2026-03-03", score: 69 },
      { day: "2026-03-04", score: 69 },
      { day: "2026-03-05", score: 65 },
      { day: "2026-03-08", score: 66 },
      { day: "2026-03-09", score: 66 },
      { day: "2026-03-10", score: 66 },
      { day: "2026-03-11", score: 55 },
    ];
    expect(replay(drop, history)).toEqual({
      "2026-03-03": "score fell 12 points in 7 days (81 -> 69)",
      "2026-03-11": "score fell 14 points in 7 days (69 -> 55)",
    });
  });

  it("fires inside a band: no band change is needed", () => {
    const history: Row[] = [
      { day: "2026-03-01", score: 98, band: "healthy" },
      { day: "2026-03-02", score: 85.4, band: "healthy" },
    ];
    expect(replay({ band_entered: ["caution"] }, history)).toEqual({});
    expect(replay(drop, history)).toEqual({ "2026-03-02": "score fell 12.6 points in 7 days (98 -> 85)" });
  });

  it("counts a high exactly within_days back: [day - within_days, day), so within 1 is the day before", () => {
    // within 7 on 03-08 looks at 03-01..03-07: the 90 of 03-01 is in.
    const history: Row[] = [
      { day: "2026-03-01", score: 90 },
      { day: "2026-03-02", score: 75 },
      { day: "2026-03-08", score: 70 },
    ];
    // The fall began on 03-02 and still holds on 03-08: one fire.
    expect(replay(drop, history)).toEqual({ "2026-03-02": "score fell 15 points in 7 days (90 -> 75)" });
    // Without the 03-02 evaluation, the 20-point fall from 03-01 is news on 03-08.
    expect(replay(drop, [history[0]!, history[2]!])).toEqual({
      "2026-03-08": "score fell 20 points in 7 days (90 -> 70)",
    });
    // One day less of window, and it is out of reach.
    expect(replay({ score_drop: { points: 10, within_days: 6 } }, [history[0]!, history[2]!])).toEqual({});
    // within 1: against the day before.
    expect(replay({ score_drop: { points: 10, within_days: 1 } }, history)).toEqual({
      "2026-03-02": "score fell 15 points in 1 day (90 -> 75)",
    });
  });

  it("skips days without a score, and measures from the latest day of a repeated high", () => {
    const history: Row[] = [
      { day: "2026-03-01", score: 80 },
      { day: "2026-03-02", score: 80 },
      { day: "2026-03-03", score: null },
      { day: "2026-03-04", score: 70 },
      { day: "2026-03-05", score: null },
    ];
    expect(replay(drop, history)).toEqual({ "2026-03-04": "score fell 10 points in 7 days (80 -> 70)" });
    const hit = evaluateTrigger(drop, account, {
      day: d("2026-03-04"),
      previousDay: d("2026-03-03"),
      bandChange: null,
      previousBand: "healthy",
      scores: [
        { day: d("2026-03-01"), score: 80 },
        { day: d("2026-03-02"), score: 80 },
        { day: d("2026-03-03"), score: null },
        { day: d("2026-03-04"), score: 69.96 },
      ],
      components: [],
      previousComponents: [],
      lastObserved: {},
      answers: [],
    });
    expect(hit?.facts).toEqual({ from: 80, to: 69.96, points: 10, within_days: 7, high_day: "2026-03-02" });
    expect(hit?.summary).toBe("score fell 10 points in 7 days (80 -> 70)");
  });

  it("counts a fall of exactly `points` despite floating point sums", () => {
    const history: Row[] = [
      { day: "2026-03-01", score: 0.1 + 0.2 + 81.1 }, // 81.4 plus a rounding error
      { day: "2026-03-02", score: 71.4 },
    ];
    expect(Object.keys(replay(drop, history))).toEqual(["2026-03-02"]);
  });
});

describe("component", () => {
  const usage = (score: number | null, raw: number | null = null): ComponentState[] => [
    { key: "usage", raw, score },
    { key: "nps", raw: 40, score: 70 },
  ];

  it("fires when the value crosses into the bound, not while it stays there", () => {
    const history: Row[] = [
      { day: "2026-03-01", components: usage(35) },
      { day: "2026-03-02", components: usage(19.5) },
      { day: "2026-03-03", components: usage(12) },
      { day: "2026-03-04", components: usage(null) },
      { day: "2026-03-05", components: usage(18) },
      { day: "2026-03-06", components: usage(20) },
      { day: "2026-03-07", components: usage(5) },
    ];
    expect(replay({ component: { key: "usage", value: "sub_score", below: 20 } }, history)).toEqual({
      "2026-03-02": "usage sub-score 19.5, below 20 (was 35)",
      "2026-03-05": "usage sub-score 18, below 20 (was no data)",
      "2026-03-07": "usage sub-score 5, below 20 (was 20)",
    });
  });

  it("fires on a first snapshot already in the bound", () => {
    const history: Row[] = [
      { day: "2026-03-01", components: usage(10) },
      { day: "2026-03-02", components: usage(8) },
    ];
    expect(replay({ component: { key: "usage", value: "sub_score", at_most: 10 } }, history)).toEqual({
      "2026-03-01": "usage sub-score 10, at most 10 (first snapshot)",
    });
  });

  it("reads raw values, and needs every bound given to hold", () => {
    const history: Row[] = [
      { day: "2026-03-01", components: usage(50, 12) },
      { day: "2026-03-02", components: usage(50, 4) },
      { day: "2026-03-03", components: usage(50, 1) },
      { day: "2026-03-04", components: usage(50, 3) },
    ];
    const trigger: Trigger = { component: { key: "usage", value: "raw", at_least: 2, below: 5 } };
    expect(replay(trigger, history)).toEqual({
      "2026-03-02": "usage raw value 4, at least 2 and below 5 (was 12)",
      "2026-03-04": "usage raw value 3, at least 2 and below 5 (was 1)",
    });
    // A component the model does not have never fires.
    expect(replay({ component: { key: "tickets", value: "raw", above: 0 } }, history)).toEqual({});
  });
});

describe("no_data", () => {
  const quiet: Trigger = { no_data: { metric: "weekly_active_users", days: 14 } };

  it("fires on the evaluation where the gap reaches `days`, once per gap", () => {
    // last seen 03-02; gap 14 on 03-16.
    const seen = (last: string | null) => ({ weekly_active_users: last === null ? null : d(last) });
    const history: Row[] = [
      { day: "2026-03-10", lastObserved: seen("2026-03-02") }, // gap 8
      { day: "2026-03-15", lastObserved: seen("2026-03-02") }, // gap 13
      { day: "2026-03-16", lastObserved: seen("2026-03-02") }, // gap 14: fires
      { day: "2026-03-17", lastObserved: seen("2026-03-02") }, // gap 15, 14 before
      { day: "2026-03-18", lastObserved: seen("2026-03-18") }, // seen again
      { day: "2026-04-03", lastObserved: seen("2026-03-18") }, // gap 16, jumped over 14: fires
    ];
    expect(replay(quiet, history)).toEqual({
      "2026-03-16": "no weekly_active_users for 14 days (last 2026-03-02)",
      "2026-04-03": "no weekly_active_users for 16 days (last 2026-03-18)",
    });
  });

  it("fires on an account's first evaluation when the gap is already long, never for a metric never seen", () => {
    expect(
      replay(quiet, [{ day: "2026-03-20", lastObserved: { weekly_active_users: d("2026-03-01") } }]),
    ).toEqual({
      "2026-03-20": "no weekly_active_users for 19 days (last 2026-03-01)",
    });
    expect(
      replay(quiet, [
        { day: "2026-03-20", lastObserved: { weekly_active_users: null } },
        { day: "2026-04-20", lastObserved: {} },
      ]),
    ).toEqual({});
  });

  it("gives the gap as facts", () => {
    const hit = evaluateTrigger(quiet, account, {
      day: d("2026-03-16"),
      previousDay: d("2026-03-15"),
      bandChange: null,
      previousBand: "healthy",
      scores: [],
      components: [],
      previousComponents: [],
      lastObserved: { weekly_active_users: d("2026-03-02") },
      answers: [],
    });
    expect(hit?.facts).toEqual({
      metric: "weekly_active_users",
      days: 14,
      last_observed: "2026-03-02",
      gap_days: 14,
    });
  });
});

describe("renewal", () => {
  const renewal: Trigger = { renewal: { within_days: 45, bands: ["caution", "lowest"] } };

  it("fires on entering the window while in the bands, and on entering the bands inside the window", () => {
    // Renewal 2026-06-01: the window opens 45 days before, on 2026-04-17.
    const history: Row[] = [
      { day: "2026-04-15", band: "caution" }, // 47 days out
      { day: "2026-04-16", band: "caution" }, // 46
      { day: "2026-04-17", band: "caution" }, // 45: fires
      { day: "2026-04-18", band: "healthy" }, // out of the bands
      { day: "2026-05-10", band: "healthy" },
      { day: "2026-05-11", band: "at_risk" }, // lowest, 21 days out: fires
      { day: "2026-05-12", band: "caution" }, // still in the list
      { day: "2026-06-01", band: "caution" }, // renewal day, still inside
      { day: "2026-06-02", band: "at_risk" }, // past it
    ];
    expect(replay(renewal, history, { renewalDate: d("2026-06-01") })).toEqual({
      "2026-04-17": "renews in 45 days (2026-06-01) while caution",
      "2026-05-11": "renews in 21 days (2026-06-01) while at_risk",
    });
  });

  it("fires on a sparse history that jumps into the window, and says today on the day", () => {
    const history: Row[] = [
      { day: "2026-03-01", band: "caution" },
      { day: "2026-06-01", band: "caution" },
    ];
    expect(replay(renewal, history, { renewalDate: d("2026-06-01") })).toEqual({
      "2026-06-01": "renews today (2026-06-01) while caution",
    });
    expect(replay(renewal, history, { renewalDate: null })).toEqual({});
  });
});

describe("survey_answer", () => {
  const answer = (id: string, score: number, comment: string | null, on = "2026-03-02"): SurveyAnswer => ({
    id,
    survey: "nps",
    score,
    comment,
    respondedOn: d(on),
  });
  const detractor: Trigger = { survey_answer: { survey: "nps", at_most: 6 } };

  it("fires for answers in the bound, naming the lowest score and quoting the first comment", () => {
    const history: Row[] = [
      { day: "2026-03-01", answers: [answer("r1", 9, "great")] },
      { day: "2026-03-02", answers: [answer("r2", 3, "too slow")] },
      { day: "2026-03-03", answers: [] },
      {
        day: "2026-03-04",
        answers: [
          answer("r3", 5, null),
          answer("r4", 2, "  support never\nanswers "),
          answer("r5", 6, "meh"),
        ],
      },
      { day: "2026-03-05", answers: [answer("r6", 4, null)] },
    ];
    expect(replay(detractor, history)).toEqual({
      "2026-03-02": 'NPS 3: "too slow"',
      "2026-03-04": '3 NPS answers, lowest 2: "support never answers"',
      "2026-03-05": "NPS 4",
    });
  });

  it("lists the answers in the facts, and ignores other surveys", () => {
    const csat: SurveyAnswer = {
      id: "c1",
      survey: "csat",
      score: 1,
      comment: "bad",
      respondedOn: d("2026-03-02"),
    };
    const day: PlayDay = {
      day: d("2026-03-02"),
      previousDay: d("2026-03-01"),
      bandChange: null,
      previousBand: "healthy",
      scores: [],
      components: [],
      previousComponents: [],
      lastObserved: {},
      answers: [csat, answer("r2", 3, 'too slow, "really"', "2026-03-01"), answer("r3", 8, null)],
    };
    expect(evaluateTrigger(detractor, account, day)).toEqual({
      kind: "survey_answer",
      facts: {
        survey: "nps",
        bound: { at_most: 6 },
        answers: [{ id: "r2", score: 3, comment: 'too slow, "really"', responded_on: "2026-03-01" }],
      },
      summary: 'NPS 3: "too slow, "really""',
    });
    expect(evaluateTrigger({ survey_answer: { survey: "ces", at_least: 0 } }, account, day)).toBeNull();
  });

  it("cuts a long comment in the summary but keeps it whole in the facts", () => {
    const long = "x".repeat(300);
    const hit = evaluateTrigger(detractor, account, {
      day: d("2026-03-02"),
      previousDay: null,
      bandChange: null,
      previousBand: null,
      scores: [],
      components: [],
      previousComponents: null,
      lastObserved: {},
      answers: [answer("r1", 0, long)],
    });
    expect(hit?.summary).toBe(`NPS 0: "${"x".repeat(119)}…"`);
    expect((hit?.facts.answers as { comment: string }[])[0]!.comment).toBe(long);
  });
});

describe("connector_failed", () => {
  const failed = { id: 3, name: "Stripe main", kind: "stripe", error: "401 Unauthorized\nbody: {...}" };

  it("fires for any connector, or for the one named (case aside)", () => {
    expect(connectorFailedHit({ connector_failed: {} }, failed)).toEqual({
      kind: "connector_failed",
      facts: { connector_id: 3, name: "Stripe main", kind: "stripe", error: "401 Unauthorized\nbody: {...}" },
      summary: "connector Stripe main (stripe) failed: 401 Unauthorized body: {...}",
    });
    expect(connectorFailedHit({ connector_failed: { connector: "stripe MAIN" } }, failed)?.kind).toBe(
      "connector_failed",
    );
    expect(connectorFailedHit({ connector_failed: { connector: "hubspot" } }, failed)).toBeNull();
  });

  it("is not an account trigger, and account triggers are not connector triggers", () => {
    const day: PlayDay = {
      day: d("2026-03-02"),
      previousDay: null,
      bandChange: { from: null, to: "at_risk", fromScore: null, toScore: 20 },
      previousBand: null,
      scores: [],
      components: [],
      previousComponents: null,
      lastObserved: {},
      answers: [],
    };
    expect(evaluateTrigger({ connector_failed: {} }, account, day)).toBeNull();
    expect(connectorFailedHit({ band_entered: ["lowest"] }, failed)).toBeNull();
  });
});

it("writes days as the calendar does", () => {
  // The harness above relies on parseDay/formatDay round-tripping.
  expect(formatDay(d("2026-06-01"))).toBe("2026-06-01");
});
