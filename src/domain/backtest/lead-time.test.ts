import { describe, expect, it } from "vitest";
import { leadDays, summariseLeadTimes } from "./lead-time.ts";

const risk = new Set(["at_risk"]);

describe("leadDays", () => {
  it("counts from the start of the last unbroken at-risk stretch before the churn", () => {
    const snaps = [
      { day: 50, band: "at_risk" }, // a warning withdrawn by the recovery on day 60
      { day: 60, band: "caution" },
      { day: 80, band: "at_risk" },
      { day: 70, band: "at_risk" },
      { day: 90, band: "at_risk" },
      { day: 100, band: "healthy" }, // on the churn day: not before it
    ];
    expect(leadDays(100, snaps, risk)).toBe(30);
  });

  it("is null when the last snapshot before churning was not at risk, or there is none", () => {
    expect(
      leadDays(
        100,
        [
          { day: 90, band: "at_risk" },
          { day: 95, band: "caution" },
        ],
        risk,
      ),
    ).toBeNull();
    expect(leadDays(100, [], risk)).toBeNull();
  });
});

describe("summariseLeadTimes", () => {
  it("gives the quantiles of the warned accounts' lead times", () => {
    expect(summariseLeadTimes([10, 30, null, 20])).toEqual({
      accounts: 4,
      warned: 3,
      notWarned: 1,
      min: 10,
      p25: 15, // simple-statistics interpolates between order statistics
      median: 20,
      p75: 25,
      max: 30,
      mean: 20,
    });
    expect(summariseLeadTimes([null])).toMatchObject({ warned: 0, median: null, mean: null });
  });
});
