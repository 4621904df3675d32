import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseModel } from "../model/parse-model.ts";
import { modelSchema } from "../model/schema.ts";
import { scaleDirection } from "../scoring/scale.ts";
import { keepBandShares } from "./band-shares.ts";
import { calibrate } from "./calibrate.ts";
import {
  curvePoints,
  DEFAULT_FIT,
  fitScales,
  quantileBreaks,
  withScales,
  type FitChoice,
} from "./fit-scales.ts";
import { MIN_WEIGHT_SHARE } from "./fit-weights.ts";
import { scoreSamples, type OutcomeSample } from "./samples.ts";

const MODEL = parseModel(`name: test
bands:
  - { key: healthy, min: 80 }
  - { key: caution, min: 70 }
  - { key: at_risk, min: 0 }
components:
  - key: step
    input: { metric: step, agg: last, window_days: 30 }
    scale: { min: 0, max: 100 }
    weight: 50
  - key: noise
    input: { metric: noise, agg: last, window_days: 30 }
    scale: { min: 0, max: 100 }
    weight: 50
`);

const ALL: FitChoice = { mode: "all", maxPoints: 5, keepDirection: false };

/**
 * `step` 0..99, four times: accounts below 30 churn, except every 10th, and every 10th above 30
 * churns. `noise` is 0, 25, 50, 75 for the four copies, each with the same outcomes: no signal.
 */
function stepSamples(): OutcomeSample[] {
  return Array.from({ length: 400 }, (_, i) => {
    const step = i % 100;
    const churned = step < 30 ? i % 10 !== 0 : i % 10 === 0;
    return { accountId: `A${i}`, segment: null, raws: { step, noise: 25 * Math.floor(i / 100) }, churned };
  });
}

describe("quantileBreaks", () => {
  it("takes the values at evenly spaced ranks, each value once", () => {
    // 11 values, 3 points: ranks 0, 5, 10.
    expect(quantileBreaks([11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 3)).toEqual([1, 6, 11]);
    expect(quantileBreaks([0, 0, 1, 1, null, 0], 10)).toEqual([0, 1]);
    expect(quantileBreaks([null, null], 10)).toEqual([]);
  });
});

describe("curvePoints", () => {
  it("turns increments into the cumulative rise as a share of 100", () => {
    // Rises 1, 0, 3 of 4: 0, 25, 25, 100.
    expect(curvePoints([0, 10, 20, 30], [1, 0, 3], 1)).toEqual([
      [0, 0],
      [10, 25],
      [20, 25],
      [30, 100],
    ]);
    expect(curvePoints([0, 10, 20, 30], [1, 0, 3], -1)).toEqual([
      [0, 100],
      [10, 75],
      [20, 75],
      [30, 0],
    ]);
  });

  it("leaves out flat ends (the scale clamps there) and points on a straight line", () => {
    // 0, 0, 50, 100, 100: the flat ends go, then (2, 50) lies on the line from (1, 0) to (3, 100).
    expect(curvePoints([0, 1, 2, 3, 4], [0, 2, 2, 0], 1)).toEqual([
      [1, 0],
      [3, 100],
    ]);
    expect(curvePoints([5, 6], [0], 1)).toEqual([
      [5, 0],
      [6, 0],
    ]);
  });
});

describe("fitScales", () => {
  it("puts the rise where churn changes and the weight on the component that separates", () => {
    const fit = fitScales(MODEL, stepSamples(), ALL);
    expect(fit.fitted).toBe(true);
    // Breaks at ranks 0, 1/4, ... of 0..99 (each 4 times): 0, 25, 50, 74, 99. Churn drops at 30,
    // inside the segment 25-50: the curve rises there, by far the most.
    const step = fit.components[0]!;
    expect(step.direction).toBe(1);
    expect(step.scale).toHaveProperty("points");
    const points = (step.scale as { points: [number, number][] }).points;
    expect(points.map((p) => p[0])).toEqual(expect.arrayContaining([25, 50]));
    const y = (x: number) => points.find((p) => p[0] === x)![1];
    expect(y(50) - y(25)).toBeGreaterThan(80);
    // noise: no effect, so the floor share, and its scale as it was.
    expect(fit.components[1]).toMatchObject({ fitted: false, scale: MODEL.components[1]!.scale });
    expect(fit.weights).toEqual([99, Number(((MIN_WEIGHT_SHARE / 1.01) * 100).toPrecision(3))]);
  });

  it("learns a direction the model got wrong, unless told to keep it", () => {
    const flipped = stepSamples().map((s) => ({ ...s, raws: { ...s.raws, step: 99 - s.raws.step! } }));
    const learned = fitScales(MODEL, flipped, ALL).components[0]!;
    expect(learned).toMatchObject({ direction: -1, directionFrom: "data", fitted: true });
    expect(scaleDirection(learned.scale)).toBe(-1);
    const kept = fitScales(MODEL, flipped, { ...ALL, keepDirection: true });
    expect(kept.components[0]).toMatchObject({ direction: 1, directionFrom: "model" });
  });

  it("keeps the model's weights with mode scales", () => {
    const fit = fitScales(MODEL, stepSamples(), { ...ALL, mode: "scales" });
    expect(fit.weights).toEqual([50, 50]);
    expect(fit.components[0]!.fitted).toBe(true);
  });

  it("changes nothing without both outcomes", () => {
    const retained = stepSamples().map((s) => ({ ...s, churned: false }));
    const fit = fitScales(MODEL, retained, ALL);
    expect(fit.fitted).toBe(false);
    expect(withScales(MODEL, fit)).toEqual(MODEL);
  });
});

describe("keepBandShares", () => {
  it("moves each band's min to the score that keeps its share of the accounts (hand-worked)", () => {
    const one = (scale: object) =>
      parseModel(
        JSON.stringify({
          name: "one",
          bands: [
            { key: "healthy", min: 80 },
            { key: "caution", min: 70 },
            { key: "at_risk", min: 0 },
          ],
          components: [{ key: "x", input: { metric: "x", agg: "last", window_days: 30 }, scale, weight: 1 }],
        }),
        "one",
      );
    const samples = Array.from({ length: 100 }, (_, x): OutcomeSample => ({
      accountId: `A${x}`,
      segment: null,
      raws: { x },
      churned: false,
    }));
    // Before, score = x: 20 accounts at or above 80, 30 at or above 70. After, x >= 50 scores
    // 10 + (x - 50) / 49 * 90: x = 79 and 80 score 63.27 and 65.10, so healthy starts at 64.2;
    // x = 69 and 70 score 44.90 and 46.73: caution starts at 45.8.
    const before = one({ min: 0, max: 100 });
    const after = one({
      points: [
        [0, 0],
        [50, 10],
        [99, 100],
      ],
    });
    const moved = keepBandShares(before, scoreSamples(before, samples), after, scoreSamples(after, samples));
    expect(moved.bands.map((b) => b.min)).toEqual([64.2, 45.8, 0]);
  });
});

// Properties: any data, any model directions.
const arbSamples = fc
  .array(
    fc.record({
      a: fc.option(fc.integer({ min: -50, max: 50 }), { nil: null }),
      b: fc.option(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { nil: null }),
      flag: fc.integer({ min: 0, max: 1 }),
      churned: fc.boolean(),
    }),
    { minLength: 12, maxLength: 150 },
  )
  .filter((rows) => rows.some((r) => r.churned) && rows.some((r) => !r.churned))
  .map((rows) =>
    rows.map((r, i): OutcomeSample => ({
      accountId: `A${i}`,
      segment: null,
      raws: { a: r.a, b: r.b, flag: r.flag },
      churned: r.churned,
    })),
  );

const arbModel = fc
  .tuple(fc.boolean(), fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 20 }))
  .map(([upA, upB, upFlag, w]) =>
    parseModel(
      JSON.stringify({
        name: "prop",
        bands: [
          { key: "good", min: 60 },
          { key: "bad", min: 0 },
        ],
        components: [
          {
            key: "a",
            input: { metric: "a", agg: "last", window_days: 30 },
            scale: upA ? { min: -50, max: 50 } : { min: 50, max: -50 },
            weight: w,
          },
          {
            key: "b",
            input: { metric: "b", agg: "last", window_days: 30 },
            scale: {
              points: upB
                ? [
                    [-1e3, 0],
                    [1e3, 100],
                  ]
                : [
                    [-1e3, 100],
                    [1e3, 0],
                  ],
            },
            weight: 10,
          },
          {
            key: "flag",
            input: { metric: "flag", agg: "last", window_days: 30 },
            scale: {
              points: upFlag
                ? [
                    [0, 20],
                    [1, 90],
                  ]
                : [
                    [0, 90],
                    [1, 20],
                  ],
            },
            weight: 5,
          },
        ],
      }),
      "prop",
    ),
  );

describe("fitted scales (properties)", () => {
  it("are monotone in their direction, kept from the model when asked; weights are > 0; the model is valid", () => {
    fc.assert(
      fc.property(
        arbModel,
        arbSamples,
        fc.integer({ min: 2, max: 12 }),
        fc.boolean(),
        (model, samples, maxPoints, keep) => {
          const fit = fitScales(model, samples, { mode: "all", maxPoints, keepDirection: keep });
          const fitted = withScales(model, fit);
          expect(modelSchema.parse(fitted)).toEqual(fitted);
          // The moved bands still make a valid model: distinct mins, the lowest at 0, all within 0-100.
          const banded = keepBandShares(
            model,
            scoreSamples(model, samples),
            fitted,
            scoreSamples(fitted, samples),
          );
          expect(modelSchema.parse(banded)).toEqual(banded);
          fit.components.forEach((c, j) => {
            if (keep) expect(c.direction).toBe(scaleDirection(model.components[j]!.scale));
            if (!c.fitted) return expect(c.scale).toBe(model.components[j]!.scale);
            const points = (c.scale as { points: [number, number][] }).points;
            expect(points.length).toBeLessThanOrEqual(maxPoints);
            for (let k = 1; k < points.length; k++)
              expect((points[k]![1] - points[k - 1]![1]) * c.direction).toBeGreaterThanOrEqual(0);
          });
          for (const w of fit.weights) expect(w).toBeGreaterThan(0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("are fitted without the held-out accounts: a fold's evaluation never meets its fit", () => {
    fc.assert(
      fc.property(arbModel, arbSamples, fc.integer({ min: 0, max: 1000 }), (model, samples, seed) => {
        const churned = samples.filter((s) => s.churned).length;
        const folds = Math.min(3, churned, samples.length - churned);
        fc.pre(folds >= 2);
        const seen: { fold: number; phase: string; ids: readonly string[] }[] = [];
        calibrate(model, samples, {
          folds,
          seed,
          riskBands: ["bad"],
          fit: DEFAULT_FIT,
          trace: (e) => seen.push({ fold: e.fold, phase: e.phase, ids: e.accountIds }),
        });
        for (let f = 0; f < folds; f++) {
          const fit = new Set(seen.find((e) => e.fold === f && e.phase === "fit")!.ids);
          const test = seen.find((e) => e.fold === f && e.phase === "evaluate")!.ids;
          expect(test.filter((id) => fit.has(id))).toEqual([]);
          expect(fit.size + test.length).toBe(samples.length);
        }
      }),
      { numRuns: 25 },
    );
  });
});
