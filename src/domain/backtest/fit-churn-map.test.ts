import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { probabilityAt, probabilityFromMap } from "../model/churn-map.ts";
import { churnMapSchema } from "../model/schema.ts";
import { fitChurnCurve, fitChurnMap, MIN_SEGMENT_CHURNERS } from "./fit-churn-map.ts";

const s = (score: number, churned: boolean, segment: string | null = null) => ({ segment, score, churned });

describe("fitChurnCurve", () => {
  it("turns isotonic steps into [score, probability] points at each step's ends", () => {
    // Scores 10 (churned), 20 (churned), 30 (retained), 40 (churned), 50 (retained), 60 (retained),
    // 70 (retained), 80 (retained). By hand: 1, 1, then 0 at 30 and 1 at 40 pool to 0.5; then 0s.
    // The 0 step is floored at half an account in 8: 0.0625.
    const curve = fitChurnCurve([
      s(10, true),
      s(20, true),
      s(30, false),
      s(40, true),
      s(50, false),
      s(60, false),
      s(70, false),
      s(80, false),
    ]);
    expect(curve).toEqual({
      accounts: 8,
      churned: 3,
      // The steps' ends: (10, 1->0.9375)... 1 is capped at 1 - 1/16 and rounded to four decimals.
      points: [
        [10, 0.9375],
        [20, 0.9375],
        [30, 0.5],
        [40, 0.5],
        [50, 0.0625],
        [80, 0.0625],
      ],
    });
  });

  it("rounds scores to hundredths, pooling the scores that become equal", () => {
    const curve = fitChurnCurve([s(50.001, true), s(49.999, false), s(90, false), s(10, true)])!;
    // 49.999 and 50.001 both become 50: one churned, one retained -> 0.5.
    expect(curve.points).toEqual([
      [10, 0.875],
      [50, 0.5],
      [90, 0.125],
    ]);
  });

  it("fits nothing without both outcomes", () => {
    expect(fitChurnCurve([s(10, true), s(20, true)])).toBeNull();
    expect(fitChurnCurve([s(10, false)])).toBeNull();
    expect(fitChurnCurve([])).toBeNull();
  });
});

describe("fitChurnMap", () => {
  const many = (n: number, segment: string, churnEvery: number) =>
    Array.from({ length: n }, (_, i) => s(i % 100, i % churnEvery === 0, segment));

  it("gives a segment its own curve only with enough churned and retained accounts", () => {
    const big = many(4 * MIN_SEGMENT_CHURNERS, "enterprise", 2); // 60 churned, 60 retained
    const small = many(MIN_SEGMENT_CHURNERS * 2, "smb", 3); // 20 churned: too few
    const map = fitChurnMap([...big, ...small, s(50, true, null), s(60, false, null)], { horizonDays: 60 })!;
    expect(map.horizon_days).toBe(60);
    expect(map.method).toBe("isotonic");
    expect(map.portfolio.accounts).toBe(big.length + small.length + 2);
    expect(Object.keys(map.segments ?? {})).toEqual(["enterprise"]);
    expect(map.segments!.enterprise!.accounts).toBe(big.length);
    expect(churnMapSchema.safeParse(map).success).toBe(true);
    expect(fitChurnMap(big, { horizonDays: 90, minSegmentChurners: 61 })!.segments).toBeUndefined();
    const odd = fitChurnMap(many(4 * MIN_SEGMENT_CHURNERS, "__proto__", 2), { horizonDays: 90 })!;
    expect(Object.keys(odd.segments!)).toEqual(["__proto__"]);
    expect(probabilityFromMap(odd, "__proto__", 50)).toBe(probabilityAt(odd.segments!.__proto__!, 50));
  });

  it("is null without both outcomes", () => {
    expect(fitChurnMap([s(1, false), s(2, false)], { horizonDays: 90 })).toBeNull();
  });

  it("property: the fitted map validates, and its probabilities are in [0, 1] and never rise with the score", () => {
    const sample = fc.record({
      score: fc.double({ min: 0, max: 100, noNaN: true }),
      churned: fc.boolean(),
      segment: fc.constantFrom(null, "a", "b"),
    });
    fc.assert(
      fc.property(
        fc.array(sample, { minLength: 2, maxLength: 200 }),
        fc.array(fc.double({ min: -10, max: 110, noNaN: true }), { minLength: 2, maxLength: 20 }),
        (samples, scores) => {
          const map = fitChurnMap(samples, { horizonDays: 90, minSegmentChurners: 3 });
          const churned = samples.filter((x) => x.churned).length;
          if (churned === 0 || churned === samples.length) {
            expect(map).toBeNull();
            return;
          }
          expect(churnMapSchema.safeParse(map).success).toBe(true);
          const sorted = [...scores].sort((a, b) => a - b);
          for (const segment of [null, "a", "b", "c"]) {
            const ps = sorted.map((x) => probabilityFromMap(map!, segment, x));
            ps.forEach((p, i) => {
              expect(p).toBeGreaterThan(0);
              expect(p).toBeLessThan(1);
              if (i > 0) expect(p).toBeLessThanOrEqual(ps[i - 1]! + 1e-12);
            });
          }
        },
      ),
    );
  });
});
