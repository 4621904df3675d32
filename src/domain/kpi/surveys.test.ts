import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  SURVEY_RANGES,
  cesFromCounts,
  checkSurveyScore,
  csatFromCounts,
  npsFromCounts,
  roundHalfAwayFromZero,
  summariseResponses,
  surveyKpi,
} from "./surveys.ts";

describe("summariseResponses", () => {
  it("counts promoters, detractors, satisfied and the sum", () => {
    // [10,9,9,8,7,6,3,0,10,10]
    // promoters (>= 9): 10,9,9,10,10            = 5
    // detractors (<= 6): 6,3,0                  = 3
    // satisfied (>= 4): every score except 3, 0 = 8
    // sum: 10+9+9+8+7+6+3+0+10+10              = 72
    expect(summariseResponses([10, 9, 9, 8, 7, 6, 3, 0, 10, 10])).toEqual({
      n: 10,
      promoters: 5,
      detractors: 3,
      satisfied: 8,
      sum: 72,
    });
  });

  it("gives zero counts for no scores", () => {
    expect(summariseResponses([])).toEqual({ n: 0, promoters: 0, detractors: 0, satisfied: 0, sum: 0 });
  });
});

describe("roundHalfAwayFromZero", () => {
  it("rounds halves away from zero on both sides", () => {
    expect(roundHalfAwayFromZero(12.5)).toBe(13);
    expect(roundHalfAwayFromZero(-12.5)).toBe(-13); // Math.round(-12.5) is -12
    expect(roundHalfAwayFromZero(0.5)).toBe(1);
    expect(roundHalfAwayFromZero(-0.5)).toBe(-1);
    expect(roundHalfAwayFromZero(2.4999)).toBe(2);
    expect(roundHalfAwayFromZero(-2.4999)).toBe(-2);
  });

  it("never returns -0", () => {
    expect(Object.is(roundHalfAwayFromZero(-0.4), 0)).toBe(true);
    expect(Object.is(roundHalfAwayFromZero(-0), 0)).toBe(true);
  });
});

describe("npsFromCounts", () => {
  const nps = (scores: number[]) => npsFromCounts(summariseResponses(scores));

  it("is % promoters minus % detractors", () => {
    // 5 promoters, 2 passives (8, 7), 3 detractors of 10: 50% - 30% = 20
    expect(nps([10, 9, 9, 8, 7, 6, 3, 0, 10, 10])).toBe(20);
  });

  it("is null without responses", () => {
    expect(nps([])).toBeNull();
  });

  it("spans -100 to 100", () => {
    expect(nps([0, 6, 3])).toBe(-100); // 0% - 100%
    expect(nps([9, 10])).toBe(100); // 100% - 0%
    expect(Object.is(nps([7, 8]), 0)).toBe(true); // passives only: 0% - 0% = 0, not -0
  });

  it("rounds exact halves away from zero, symmetrically", () => {
    // 1 promoter, 7 passives: 100 × (1 - 0) / 8 = 12.5 → 13
    expect(nps([9, 7, 7, 7, 7, 7, 7, 7])).toBe(13);
    // 1 detractor, 7 passives: 100 × (0 - 1) / 8 = -12.5 → -13 (Math.round would give -12)
    expect(nps([6, 7, 7, 7, 7, 7, 7, 7])).toBe(-13);
  });

  it("rounds thirds to the nearest whole number", () => {
    expect(nps([10, 10, 0])).toBe(33); // 100 × (2 - 1) / 3 = 33.33… → 33
    expect(nps([0, 0, 10])).toBe(-33); // 100 × (1 - 2) / 3 = -33.33… → -33
    expect(nps([10, 10, 7])).toBe(67); // 100 × 2 / 3 = 66.67 → 67
    expect(nps([0, 0, 7])).toBe(-67); // 100 × -2 / 3 = -66.67 → -67
  });

  it("is a whole number from -100 to 100 (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 1 }), (scores) => {
        const v = nps(scores);
        expect(v).not.toBeNull();
        expect(Number.isInteger(v)).toBe(true);
        expect(v).toBeGreaterThanOrEqual(-100);
        expect(v).toBeLessThanOrEqual(100);
      }),
    );
  });

  it("changes sign when promoters and detractors swap (property: rounding is symmetric)", () => {
    const counts = fc
      .tuple(fc.nat(200), fc.nat(200), fc.nat(200))
      .filter(([p, d, passives]) => p + d + passives > 0)
      .map(([p, d, passives]) => ({ n: p + d + passives, promoters: p, detractors: d }));
    fc.assert(
      fc.property(counts, ({ n, promoters, detractors }) => {
        const base = { n, satisfied: 0, sum: 0 };
        const a = npsFromCounts({ ...base, promoters, detractors });
        const b = npsFromCounts({ ...base, promoters: detractors, detractors: promoters });
        expect(a).toBe(b === 0 ? 0 : -(b ?? NaN));
      }),
    );
  });
});

describe("csatFromCounts", () => {
  const csat = (scores: number[]) => csatFromCounts(summariseResponses(scores));

  it("is the percentage of 4s and 5s", () => {
    // [5,4,3,2,1,5]: satisfied 5,4,5 = 3 of 6 → 50
    expect(csat([5, 4, 3, 2, 1, 5])).toBe(50);
    expect(csat([5, 4, 4])).toBe(100);
    expect(csat([1, 2, 3])).toBe(0);
  });

  it("is not rounded", () => {
    // [5,4,3]: 2 of 3 → 66.666…
    expect(csat([5, 4, 3])).toBeCloseTo(200 / 3, 12);
  });

  it("is null without responses", () => {
    expect(csat([])).toBeNull();
  });

  it("lies within 0..100 (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1 }), (scores) => {
        const v = csat(scores) ?? NaN;
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(100);
      }),
    );
  });
});

describe("cesFromCounts", () => {
  const ces = (scores: number[]) => cesFromCounts(summariseResponses(scores));

  it("is the mean effort rating", () => {
    // (1 + 2 + 3 + 7) / 4 = 13 / 4 = 3.25
    expect(ces([1, 2, 3, 7])).toBe(3.25);
    expect(ces([7])).toBe(7);
  });

  it("is null without responses", () => {
    expect(ces([])).toBeNull();
  });

  it("lies between the lowest and highest rating (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1 }), (scores) => {
        const v = ces(scores) ?? NaN;
        expect(v).toBeGreaterThanOrEqual(Math.min(...scores) - 1e-9);
        expect(v).toBeLessThanOrEqual(Math.max(...scores) + 1e-9);
      }),
    );
  });
});

describe("surveyKpi", () => {
  it("dispatches to the formula of each survey", () => {
    // counts of [10,9,9,8,7,6,3,0,10,10]: n 10, promoters 5, detractors 3, satisfied 8, sum 72
    const c = summariseResponses([10, 9, 9, 8, 7, 6, 3, 0, 10, 10]);
    expect(surveyKpi("nps", c)).toBe(20); // 50% - 30%
    expect(surveyKpi("csat", c)).toBe(80); // 100 × 8 / 10
    expect(surveyKpi("ces", c)).toBe(7.2); // 72 / 10
  });

  it("is null for every survey without responses", () => {
    const c = summariseResponses([]);
    expect([surveyKpi("nps", c), surveyKpi("csat", c), surveyKpi("ces", c)]).toEqual([null, null, null]);
  });
});

describe("checkSurveyScore", () => {
  it("accepts whole numbers within each range, ends included", () => {
    expect(SURVEY_RANGES).toEqual({ nps: [0, 10], csat: [1, 5], ces: [1, 7] });
    for (const [score, kind] of [
      [0, "nps"],
      [10, "nps"],
      [1, "csat"],
      [5, "csat"],
      [1, "ces"],
      [7, "ces"],
    ] as const) {
      expect(checkSurveyScore(kind, score)).toBeNull();
    }
  });

  it("says why a score is rejected", () => {
    expect(checkSurveyScore("nps", 11)).toBe("NPS score must be a whole number from 0 to 10, got 11");
    expect(checkSurveyScore("nps", -1)).toBe("NPS score must be a whole number from 0 to 10, got -1");
    expect(checkSurveyScore("nps", 7.5)).toBe("NPS score must be a whole number from 0 to 10, got 7.5");
    expect(checkSurveyScore("csat", 0)).toBe("CSAT score must be a whole number from 1 to 5, got 0");
    expect(checkSurveyScore("ces", 8)).toBe("CES score must be a whole number from 1 to 7, got 8");
    expect(checkSurveyScore("ces", NaN)).toBe("CES score must be a whole number from 1 to 7, got NaN");
  });
});
