import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDay } from "../dates.ts";
import { parseModel } from "../model/parse-model.ts";
import { resolveSegment, type EffectiveModel } from "../model/resolve-segment.ts";
import type { MetricRecord, ResponseRecord } from "../records.ts";
import { bandFor, bandWithHysteresis } from "./bands.ts";
import { driversBetween, summariseChange } from "./explain.ts";
import { applyScale, scaleDirection } from "./scale.ts";
import { scoreFromInputs } from "./score.ts";
import { aggregate, computeRawInputs } from "./window-inputs.ts";

const model = parseModel(
  readFileSync(new URL("../../../test/fixtures/issue-model.yaml", import.meta.url), "utf8"),
);
const base = resolveSegment(model, null);
const day = (s: string) => parseDay(s)!;
const asOf = day("2026-06-30");

describe("scales", () => {
  it("maps linearly, clamped, in either direction", () => {
    expect(applyScale({ min: -100, max: 100 }, 25)).toBe(62.5); // (25 - -100) / 200 * 100
    expect(applyScale({ min: -100, max: 100 }, 300)).toBe(100);
    expect(applyScale({ min: 10, max: 0 }, 4)).toBe(60); // (4 - 10) / (0 - 10) * 100
    expect(applyScale({ min: 10, max: 0 }, 12)).toBe(0);
  });

  it("interpolates through points, clamped at both ends", () => {
    const s = {
      points: [
        [0.1, 0],
        [0.5, 70],
        [0.8, 100],
      ] as [number, number][],
    };
    expect(applyScale(s, 0.6)).toBeCloseTo(80, 10); // 70 + (0.6-0.5)/(0.8-0.5) * 30
    expect(applyScale(s, 0.3)).toBeCloseTo(35, 10); // 0 + (0.3-0.1)/(0.5-0.1) * 70
    expect(applyScale(s, 0)).toBe(0);
    expect(applyScale(s, 1)).toBe(100);
  });
});

describe("window inputs", () => {
  it("counts an observation dated D when as-of - N < D <= as-of", () => {
    const c = [
      {
        key: "u",
        input: { metric: "m", agg: "count" as const, window_days: 30 },
        scale: { min: 0, max: 1 },
        weight: 1,
      },
    ];
    const obs = (d: string): MetricRecord => ({ accountId: "A", metric: "m", value: 1, observedOn: day(d) });
    // 2026-06-30 - 30 days = 2026-05-31: excluded; 2026-06-01 included; 2026-07-01 is after as-of.
    const raws = computeRawInputs(
      c,
      [obs("2026-05-31"), obs("2026-06-01"), obs("2026-06-30"), obs("2026-07-01")],
      [],
      asOf,
    );
    expect(raws.u).toBe(2);
  });

  it("aggregates avg, sum, min, max, last and count; empty is null", () => {
    const pts = [
      { day: 3, value: 5 },
      { day: 9, value: 1 },
      { day: 6, value: 3 },
    ];
    expect([
      aggregate("avg", pts),
      aggregate("sum", pts),
      aggregate("min", pts),
      aggregate("max", pts),
    ]).toEqual([3, 9, 1, 5]);
    expect(aggregate("last", pts)).toBe(1); // day 9 is the latest, whatever the order given
    expect(aggregate("count", pts)).toBe(3);
    expect(aggregate("sum", [])).toBeNull();
  });

  it("keeps one value per metric and day, the last given", () => {
    const c = [
      {
        key: "u",
        input: { metric: "m", agg: "sum" as const, window_days: 7 },
        scale: { min: 0, max: 1 },
        weight: 1,
      },
    ];
    const raws = computeRawInputs(
      c,
      [
        { accountId: "A", metric: "m", value: 2, observedOn: asOf },
        { accountId: "A", metric: "m", value: 5, observedOn: asOf },
      ],
      [],
      asOf,
    );
    expect(raws.u).toBe(5);
  });

  it("uses empty_value for a metric window without observations", () => {
    const c = [
      {
        key: "p",
        input: { metric: "failed", agg: "sum" as const, window_days: 90, empty_value: 0 },
        scale: { min: 3, max: 0 },
        weight: 1,
      },
    ];
    expect(computeRawInputs(c, [], [], asOf).p).toBe(0);
  });

  it("computes survey KPIs over the window", () => {
    const r = (score: number, d = "2026-06-01"): ResponseRecord => ({
      accountId: "A",
      survey: "nps",
      score,
      respondedOn: day(d),
    });
    // In window: 10, 9 promoters; 8 passive; 3 detractor -> (2 - 1) / 4 = 25%. The 0 from 2025 is outside 180 days.
    const raws = computeRawInputs(base.components, [], [r(10), r(9), r(8), r(3), r(0, "2025-06-01")], asOf);
    expect(raws.nps).toBe(25);
  });
});

describe("scoreFromInputs", () => {
  it("is the weighted mean over the components with data (hand-worked)", () => {
    // nps 25 -> 62.5; usage 0.6 -> 80; tickets 4 -> 60. Weights 25, 40, 15 of 80.
    // 62.5 * 25/80 + 80 * 40/80 + 60 * 15/80 = 19.53125 + 40 + 11.25 = 70.78125 -> caution
    const r = scoreFromInputs(base, { nps: 25, usage: 0.6, tickets: 4 });
    expect(r.score).toBeCloseTo(70.78125, 10);
    expect(r.band).toBe("caution");
    expect(r.coverage).toBe(1);
    expect(r.components.map((c) => [c.key, c.weight])).toEqual([
      ["nps", 0.3125],
      ["usage", 0.5],
      ["tickets", 0.1875],
    ]);
    // The points are shown to 4 decimals; the score sums the unrounded points.
    expect(r.components[0]!.points).toBe(19.5313);
  });

  it("rounds the components' figures to what a reader can use, never a whole digit", () => {
    const m: EffectiveModel = {
      ...base,
      components: [
        { ...base.components[0]!, key: "a", weight: 1 },
        { ...base.components[1]!, key: "b", weight: 1 },
        { ...base.components[2]!, key: "c", weight: 1 },
      ],
    };
    const r = scoreFromInputs(m, { a: 764.5666666666667, b: 0.000123456789, c: 1234567.89 });
    expect(r.components.map((c) => c.raw)).toEqual([764.567, 0.000123457, 1234568]);
    expect(r.components.map((c) => c.weight)).toEqual([0.333333, 0.333333, 0.333333]);
    for (const c of r.components) {
      expect(Math.round(c.score! * 1e4) / 1e4).toBe(c.score);
      expect(Math.round(c.points! * 1e4) / 1e4).toBe(c.points);
      expect(c.points).toBeCloseTo(c.score! / 3, 3);
    }
    expect(r.score).toBeCloseTo(
      r.components.reduce((s, c) => s + c.points!, 0),
      3,
    );
  });

  it("renormalises the weights when a component has no data, and reports coverage", () => {
    // Without NPS: (80 * 40 + 60 * 15) / 55 = 4100 / 55 = 74.5454...; coverage 55/80 = 0.6875
    const r = scoreFromInputs(base, { nps: null, usage: 0.6, tickets: 4 });
    expect(r.score).toBeCloseTo(4100 / 55, 10);
    expect(r.coverage).toBe(0.6875);
    expect(r.components[0]).toEqual({ key: "nps", raw: null, score: null, weight: 0, points: null });
    expect(r.components[1]!.weight + r.components[2]!.weight).toBeCloseTo(1, 12);
  });

  it("gives no score below the minimum coverage", () => {
    // Tickets only: 15/80 = 0.1875 < 0.5
    const r = scoreFromInputs(base, { tickets: 4 });
    expect(r.score).toBeNull();
    expect(r.band).toBe("insufficient_data");
    expect(r.coverage).toBe(0.1875);
    expect(scoreFromInputs(base, {}).coverage).toBe(0);
  });

  it("applies the enterprise segment's weights and bands", () => {
    // usage weight 30: 62.5 * 25/70 + 80 * 30/70 + 60 * 15/70 = (1562.5 + 2400 + 900) / 70 = 69.464...
    const r = scoreFromInputs(resolveSegment(model, "enterprise"), { nps: 25, usage: 0.6, tickets: 4 });
    expect(r.score).toBeCloseTo(4862.5 / 70, 10);
    expect(r.band).toBe("at_risk"); // below the enterprise caution min of 72
    expect(r.segment).toBe("enterprise");
  });
});

describe("bands and hysteresis", () => {
  const bands = base.bands;

  it("takes the highest band whose min the score reaches", () => {
    expect([bandFor(bands, 80), bandFor(bands, 79.99), bandFor(bands, 70), bandFor(bands, 0)]).toEqual([
      "healthy",
      "caution",
      "caution",
      "at_risk",
    ]);
  });

  it("leaves the band only when the score passes the boundary by the hysteresis", () => {
    expect(bandWithHysteresis(bands, 69, "caution", 2)).toBe("caution"); // 1 below 70: stays
    expect(bandWithHysteresis(bands, 68, "caution", 2)).toBe("at_risk"); // 2 below: leaves
    expect(bandWithHysteresis(bands, 81, "caution", 2)).toBe("caution"); // 1 above 80: stays
    expect(bandWithHysteresis(bands, 82, "caution", 2)).toBe("healthy");
    expect(bandWithHysteresis(bands, 71, "at_risk", 2)).toBe("at_risk");
    expect(bandWithHysteresis(bands, 85, "at_risk", 2)).toBe("healthy"); // far past: jumps to its band
    expect(bandWithHysteresis(bands, 50, "healthy", 2)).toBe("at_risk");
    expect(bandWithHysteresis(bands, 69, null, 2)).toBe("at_risk"); // no history: plain band
    expect(bandWithHysteresis(bands, 69, "insufficient_data", 2)).toBe("at_risk");
    expect(bandWithHysteresis(bands, null, "caution", 2)).toBe("insufficient_data");
  });

  it("does not flap for a score hovering at a threshold", () => {
    let band: string | null = null;
    const changes: string[] = [];
    for (const s of [71, 69.5, 70.5, 69, 70.2, 68.5, 69.9, 70.1, 69.8]) {
      const next = bandWithHysteresis(bands, s, band, 2);
      if (next !== band) changes.push(next);
      band = next;
    }
    expect(changes).toEqual(["caution"]);
  });
});

describe("explanations", () => {
  it("lists the drivers of a change, which sum to the change in score", () => {
    const before = scoreFromInputs(base, { nps: 25, usage: 0.8, tickets: 1 });
    const after = scoreFromInputs(base, { nps: 25, usage: 0.4, tickets: 6 });
    // usage 100 -> 52.5 (0.1..0.5: 0.3/0.4*70), x 0.5 = 50 -> 26.25: -23.75
    // tickets 90 -> 40, x 0.1875 = 16.875 -> 7.5: -9.375
    const drivers = driversBetween(before, after);
    expect(drivers.map((d) => [d.key, d.change])).toEqual([
      ["usage", "moved"],
      ["tickets", "moved"],
    ]);
    expect(drivers[0]!.delta).toBeCloseTo(-23.75, 10);
    expect(drivers[1]!.delta).toBeCloseTo(-9.375, 10);
    expect(drivers.reduce((s, d) => s + d.delta, 0)).toBeCloseTo(after.score! - before.score!, 10);
    // 19.53125 + 50 + 16.875 = 86.40625 -> 86; 19.53125 + 26.25 + 7.5 = 53.28125 -> 53
    expect(summariseChange(before, after, drivers)).toBe("86 -> 53: usage -24, tickets -9");
  });

  it("marks data that appeared or disappeared", () => {
    const before = scoreFromInputs(base, { nps: null, usage: 0.6, tickets: 4 });
    const after = scoreFromInputs(base, { nps: -100, usage: 0.6, tickets: 4 });
    const drivers = driversBetween(before, after);
    expect(drivers.find((d) => d.key === "nps")).toMatchObject({
      change: "appeared",
      from: null,
      to: 0,
      delta: 0,
    });
    // usage 80 x 40/55 = 58.18 -> 40 (-18); tickets 60 x 15/55 = 16.36 -> 11.25 (-5); nps appears with 0 points
    expect(summariseChange(before, after, drivers)).toBe(
      "75 -> 51: usage -18, tickets -5, nps +0 (new data)",
    );
    const gone = driversBetween(after, before).find((d) => d.key === "nps");
    expect(gone?.change).toBe("disappeared");
  });
});

describe("scoring invariants (property tests)", () => {
  const arbScale = fc.oneof(
    fc
      .tuple(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.double({ min: -1e3, max: 1e3, noNaN: true }))
      .filter(([a, b]) => Math.abs(a - b) > 1e-6)
      .map(([min, max]) => ({ min, max })),
    fc
      .uniqueArray(fc.double({ min: -1e3, max: 1e3, noNaN: true }), {
        minLength: 2,
        maxLength: 5,
        comparator: (a, b) => Math.abs(a - b) < 1e-6,
      })
      .chain((xs) =>
        fc
          .array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: xs.length, maxLength: xs.length })
          .map((ys) => ({
            points: [...xs].sort((a, b) => a - b).map((x, i) => [x, ys[i]!] as [number, number]),
          })),
      ),
  );
  const arbModel = fc
    .array(fc.record({ scale: arbScale, weight: fc.double({ min: 0.01, max: 100, noNaN: true }) }), {
      minLength: 1,
      maxLength: 6,
    })
    .map((cs): EffectiveModel => ({
      segment: null,
      minCoverage: 0.5,
      hysteresis: 2,
      bands: base.bands,
      components: cs.map((c, i) => ({
        key: `c${i}`,
        input: { metric: `m${i}`, agg: "avg", window_days: 30 },
        scale: c.scale,
        weight: c.weight,
      })),
    }));
  const arbRaw = fc.option(fc.double({ min: -2e3, max: 2e3, noNaN: true }), { nil: null });

  it("keeps the score within 0..100, weights summing to 1, and the band consistent", () => {
    fc.assert(
      fc.property(arbModel, fc.array(arbRaw, { minLength: 6, maxLength: 6 }), (m, values) => {
        const raws = Object.fromEntries(m.components.map((c, i) => [c.key, values[i] ?? null]));
        const r = scoreFromInputs(m, raws);
        const withData = r.components.filter((c) => c.raw !== null);
        // Weights are kept to 6 decimals: six of them sum to 1 within 3e-6.
        if (withData.length > 0) expect(withData.reduce((s, c) => s + c.weight, 0)).toBeCloseTo(1, 5);
        expect(r.coverage).toBeGreaterThanOrEqual(0);
        expect(r.coverage).toBeLessThanOrEqual(1 + 1e-12);
        if (r.score === null) {
          expect(r.band).toBe("insufficient_data");
        } else {
          expect(r.score).toBeGreaterThanOrEqual(0);
          expect(r.score).toBeLessThanOrEqual(100);
          expect(r.band).toBe(bandFor(m.bands, r.score));
          expect(r.coverage).toBeGreaterThanOrEqual(0.5 - 1e-9);
        }
      }),
    );
  });

  it("is monotone in each input in the direction of its scale", () => {
    fc.assert(
      fc.property(
        arbModel,
        fc.array(fc.double({ min: -2e3, max: 2e3, noNaN: true }), { minLength: 6, maxLength: 6 }),
        fc.nat(5),
        fc.double({ min: 0, max: 500, noNaN: true }),
        (m, values, pick, step) => {
          const i = pick % m.components.length;
          const raws = Object.fromEntries(m.components.map((c, j) => [c.key, values[j]!]));
          const lo = scoreFromInputs(m, raws).score!;
          const hi = scoreFromInputs(m, { ...raws, [`c${i}`]: values[i]! + step }).score!;
          const dir = scaleDirection(m.components[i]!.scale);
          if (dir > 0) expect(hi).toBeGreaterThanOrEqual(lo - 1e-9);
          if (dir < 0) expect(hi).toBeLessThanOrEqual(lo + 1e-9);
        },
      ),
    );
  });

  it("keeps a band under hysteresis within the hysteresis of its bounds", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.constantFrom("healthy", "caution", "at_risk", null),
        (s, prev) => {
          const band = bandWithHysteresis(base.bands, s, prev, 2);
          const i = base.bands.findIndex((b) => b.key === band);
          const lower = base.bands[i]!.min;
          const upper = i > 0 ? base.bands[i - 1]!.min : Infinity;
          expect(s).toBeGreaterThan(lower - 2);
          expect(s).toBeLessThan(upper + 2);
        },
      ),
    );
  });
});
