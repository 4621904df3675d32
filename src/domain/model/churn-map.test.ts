import { describe, expect, it } from "vitest";
import { churnChance, churnChancePhrase, churnProbability, probabilityAt } from "./churn-map.ts";
import { parseModel } from "./parse-model.ts";

const BASE = `name: m
bands:
  - { key: healthy, min: 70 }
  - { key: at_risk, min: 0 }
components:
  - key: usage
    input: { metric: usage, agg: last, window_days: 30 }
    scale: { min: 0, max: 100 }
    weight: 1
`;
const MAP = `churn_probability:
  horizon_days: 90
  method: isotonic
  portfolio:
    accounts: 1000
    churned: 150
    points:
      - [20, 0.6]
      - [40, 0.6]
      - [60, 0.2]
      - [80, 0.02]
  segments:
    enterprise:
      points: [[50, 0.3], [90, 0.1]]
`;
const WITH_MAP = parseModel(BASE + MAP);
const WITHOUT_MAP = parseModel(BASE);

describe("churnProbability", () => {
  it("reads the portfolio's curve: flat beyond its ends, flat within a step, linear between steps", () => {
    expect(churnProbability(WITH_MAP, null, 0)).toBe(0.6);
    expect(churnProbability(WITH_MAP, null, 30)).toBe(0.6);
    // Halfway from (40, 0.6) to (60, 0.2).
    expect(churnProbability(WITH_MAP, null, 50)).toBeCloseTo(0.4, 12);
    // A quarter of the way from (60, 0.2) to (80, 0.02): 0.2 - 0.045.
    expect(churnProbability(WITH_MAP, null, 65)).toBeCloseTo(0.155, 12);
    expect(churnProbability(WITH_MAP, null, 80)).toBe(0.02);
    expect(churnProbability(WITH_MAP, null, 100)).toBe(0.02);
  });

  it("reads a segment's own curve, and the portfolio's for a segment without one", () => {
    expect(churnProbability(WITH_MAP, "enterprise", 70)).toBeCloseTo(0.2, 12);
    expect(churnProbability(WITH_MAP, "smb", 70)).toBeCloseTo(0.11, 12);
    expect(churnProbability(WITH_MAP, "constructor", 70)).toBeCloseTo(0.11, 12);
  });

  it("is null without a map: no invented numbers", () => {
    expect(churnProbability(WITHOUT_MAP, null, 50)).toBeNull();
    expect(churnChance(WITHOUT_MAP, null, 50)).toBeNull();
  });

  it("reads a one-point curve as a constant", () => {
    expect(probabilityAt({ points: [[50, 0.3]] }, 10)).toBe(0.3);
    expect(probabilityAt({ points: [[50, 0.3]] }, 90)).toBe(0.3);
  });
});

describe("churnChancePhrase", () => {
  it.each([
    [0.25, "about 1 in 4"],
    [0.5, "about 1 in 2"],
    [0.3, "about 3 in 10"],
    [0.34, "about 1 in 3"],
    [0.4, "about 2 in 5"],
    [0.75, "about 3 in 4"],
    [0.1, "about 1 in 10"],
    [0.05, "about 1 in 20"],
    [0.013, "about 1 in 77"],
    [0.004, "less than 1 in 100"],
    [0, "less than 1 in 100"],
    [0.95, "about 19 in 20"],
    [0.995, "more than 99 in 100"],
  ])("%s is %s", (p, words) => {
    expect(churnChancePhrase(p, 90)).toBe(`${words} chance of churning within 90 days`);
  });

  it("says day for a one-day horizon and refuses what is not a probability", () => {
    expect(churnChancePhrase(0.25, 1)).toBe("about 1 in 4 chance of churning within 1 day");
    expect(() => churnChancePhrase(1.2, 90)).toThrow(/between 0 and 1/);
    expect(() => churnChancePhrase(Number.NaN, 90)).toThrow(/between 0 and 1/);
  });

  it("is given by the model's horizon through churnChance", () => {
    expect(churnChance(WITH_MAP, null, 50)).toBe("about 2 in 5 chance of churning within 90 days");
  });
});
