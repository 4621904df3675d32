import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { boundMarks, crossedFromMarks, inPlayBound, markedPlays, marksReader } from "./bound-marks.ts";
import type { ComponentState } from "./facts.ts";
import { parsePlaybook } from "./parse-playbook.ts";
import { runCandidatePlays, runCandidates, type ScoredAccount } from "./run-candidates.ts";
import { playbookSchema } from "./schema.ts";
import { componentCrossing } from "./triggers.ts";

/** A playbook of one-line plays: key and trigger (YAML flow). */
const playbookOf = (plays: [string, string][]) =>
  parsePlaybook(
    `name: t\nplays:\n${plays
      .map(
        ([key, trigger]) =>
          `  - { key: ${key}, trigger: ${trigger}, actions: [{ post: { channel: alert_channel, text: x } }] }`,
      )
      .join("\n")}\n`,
  );
// Component plays among others, which have no bit.
const PLAYBOOK = playbookOf([
  ["usage_low", "{ component: { key: usage, below: 20 } }"],
  ["slide", "{ score_drop: { points: 10, within_days: 7 } }"],
  ["nps_raw_high", "{ component: { key: nps, value: raw, at_least: 50 } }"],
  ["entered", "{ band_entered: [lowest] }"],
  ["usage_mid", "{ component: { key: usage, above: 40, at_most: 60 } }"],
]);
const MARKED = markedPlays(PLAYBOOK.plays);

/** Usage as a sub-score (its raw unused), NPS as a raw answer (its sub-score unused). */
const comps = (usage: number | null, nps: number | null = 0): ComponentState[] => [
  { key: "usage", raw: 1, score: usage },
  { key: "nps", raw: nps, score: 50 },
];

/** The text a snapshot stores. */
const stored = (id: number, components: readonly ComponentState[]) =>
  boundMarks(id, MARKED, components).stored;

describe("a snapshot's marks", () => {
  it("have one bit per component play, in the playbook's order, after the version's id", () => {
    expect(MARKED.map((p) => p.key)).toEqual(["usage_low", "nps_raw_high", "usage_mid"]);
    // usage 15: below 20, not in (40, 60]; nps raw 0: not at least 50.
    expect(stored(17, comps(15))).toBe("17:100");
    // usage 60 is at most 60 (and above 40); nps raw 50 is at least 50; the ends count as the bound says.
    expect(stored(17, comps(60, 50))).toBe("17:011");
    expect(stored(17, comps(40, 49.9))).toBe("17:000");
    // No data (null, or no such component) is in no bound.
    expect(stored(3, comps(null, null))).toBe("3:000");
    // The bits alone, as the shard hands them to runCandidates.
    expect(boundMarks(3, MARKED, comps(15, 50)).bits).toBe("110");
    expect(stored(3, [])).toBe("3:000");
  });

  it("are null for a playbook without component plays", () => {
    const none = playbookOf([["a", "{ band_entered: [lowest] }"]]);
    expect(boundMarks(17, markedPlays(none.plays), comps(10))).toEqual({ bits: "", stored: null });
  });

  it("are read only for the version they were written for, with as many bits as its plays", () => {
    const read = marksReader(17, 3);
    expect(read("17:100")).toBe("100");
    expect(read(null)).toBeNull();
    // Another version, even one whose id begins the same; or a count that cannot be this version's.
    expect(read("170:100")).toBeNull();
    expect(read("1:100")).toBeNull();
    expect(read("7:100")).toBeNull();
    expect(read("17:10")).toBeNull();
    expect(read("17:1000")).toBeNull();
  });

  it("tell a crossing as the trigger does: in the bound now and not marked then", () => {
    // usage 25 -> 15: crossed below 20; 15 -> 10: sat there.
    const was = (components: ComponentState[]) => marksReader(17, 3)(stored(17, components))!;
    const usageLow = MARKED[0]!;
    expect(crossedFromMarks(inPlayBound(usageLow, comps(15)), was(comps(25)), 0)).toBe(true);
    expect(crossedFromMarks(inPlayBound(usageLow, comps(10)), was(comps(15)), 0)).toBe(false);
    // No data before was in no bound: in it now is a crossing.
    expect(crossedFromMarks(inPlayBound(usageLow, comps(10)), was(comps(null)), 0)).toBe(true);
    // Out of the bound now: nothing, whatever before was.
    expect(crossedFromMarks(inPlayBound(usageLow, comps(30)), was(comps(25)), 0)).toBe(false);
    // nps raw 10 -> 70 crossed at least 50 (bit 1); usage 50 sat in (40, 60] (bit 2).
    const before = was(comps(50, 10));
    expect(before).toBe("001");
    expect(crossedFromMarks(inPlayBound(MARKED[1]!, comps(50, 70)), before, 1)).toBe(true);
    expect(crossedFromMarks(inPlayBound(MARKED[2]!, comps(50, 70)), before, 2)).toBe(false);
  });

  it("spare the shard the components of the snapshot before, and give the same candidates", () => {
    const plays = runCandidatePlays(PLAYBOOK.plays);
    // The components before come as their stored JSON: the parses are the reads.
    const reads = vi.spyOn(JSON, "parse");
    const previous = (components: ComponentState[]) => ({
      score: 60,
      bounds: marksReader(17, 3)(stored(17, components)),
      components: JSON.stringify(components),
    });
    const account = { accountId: 1, score: 60, components: comps(15, 70) };
    expect(runCandidates(plays, { ...account, previous: previous(comps(25, 10)) })).toEqual([
      "usage_low",
      "nps_raw_high",
    ]);
    expect(runCandidates(plays, { ...account, previous: previous(comps(18, 60)) })).toEqual([]);
    expect(reads).toHaveBeenCalledTimes(0);
    // Without marks of this version (null), the components are read as before.
    expect(
      runCandidates(plays, { ...account, previous: { ...previous(comps(25, 10)), bounds: null } }),
    ).toEqual(["usage_low", "nps_raw_high"]);
    expect(reads).toHaveBeenCalledTimes(1);
    reads.mockRestore();
  });
});

// Random playbooks of component plays (a few keys, either value, any bounds, ends included) and
// random components before and now (missing, null, on the bounds' ends): the marks must decide
// every crossing exactly as componentCrossing does on the components themselves.
const KEYS = ["a", "b", "c"];
const value = fc.option(fc.integer({ min: -4, max: 4 }), { freq: 4 });
const components = fc.array(fc.record({ key: fc.constantFrom(...KEYS), raw: value, score: value }), {
  maxLength: 4,
}) as fc.Arbitrary<ComponentState[]>;
const end = fc.option(fc.integer({ min: -3, max: 3 }), { nil: undefined });
const trigger = fc
  .record({
    key: fc.constantFrom(...KEYS),
    value: fc.constantFrom("sub_score" as const, "raw" as const),
    below: end,
    above: end,
    at_most: end,
    at_least: end,
  })
  .filter((t) => [t.below, t.above, t.at_most, t.at_least].some((v) => v !== undefined));
const playbook = fc
  .array(fc.oneof(trigger, fc.constant(null)), { minLength: 1, maxLength: 6 })
  .map((triggers) =>
    playbookSchema.parse({
      name: "p",
      plays: triggers.map((t, i) => ({
        key: `p${i}`,
        // null: a score_drop play between the component plays, which has no bit.
        trigger: t === null ? { score_drop: { points: 1, within_days: 1 } } : { component: t },
        actions: [{ post: { channel: "alert_channel", text: "x" } }],
      })),
    }),
  );

describe("marks against componentCrossing", () => {
  it("decide each crossing exactly as the components do", () => {
    fc.assert(
      fc.property(
        playbook,
        fc.integer({ min: 1, max: 1000 }),
        components,
        components,
        (pb, id, before, now) => {
          const marked = markedPlays(pb.plays);
          const then = boundMarks(id, marked, before);
          const today = boundMarks(id, marked, now);
          // No component play: nothing to mark, and the column stays null.
          if (marked.length === 0) return then.stored === null && today.stored === null;
          const bits = marksReader(id, marked.length)(then.stored);
          if (bits !== then.bits) return false;
          return marked.every(
            (play, i) =>
              crossedFromMarks(today.bits[i] === "1", bits, i) ===
              (componentCrossing(play.trigger.component, now, before) !== null),
          );
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("give the shard the candidates the components give it, without reading them", () => {
    fc.assert(
      fc.property(playbook, components, components, (pb, before, now) => {
        const plays = runCandidatePlays(pb.plays);
        const marked = markedPlays(plays);
        const today = boundMarks(9, marked, now).bits;
        const reads = vi.spyOn(JSON, "parse");
        const withMarks = runCandidates(plays, {
          accountId: 1,
          score: 50,
          components: now,
          bounds: today,
          previous: {
            score: 50,
            bounds: marksReader(9, marked.length)(boundMarks(9, marked, before).stored),
            components: JSON.stringify(before),
          },
        });
        const fromComponents = runCandidates(plays, {
          accountId: 1,
          score: 50,
          components: now,
          previous: { score: 50, components: before },
        });
        expect(withMarks).toEqual(fromComponents);
        expect(reads).toHaveBeenCalledTimes(0);
        reads.mockRestore();
        // Today's bits alone (the snapshot before of another version, or none: a first snapshot).
        const todayOnly = (previous: ScoredAccount["previous"]) =>
          runCandidates(plays, { accountId: 1, score: 50, components: now, bounds: today, previous });
        const first = (bounds: string | undefined) =>
          runCandidates(plays, { accountId: 1, score: 50, components: now, bounds });
        expect(todayOnly({ score: 50, bounds: null, components: before })).toEqual(fromComponents);
        expect(first(today)).toEqual(first(undefined));
      }),
      { numRuns: 2000 },
    );
  });
});
