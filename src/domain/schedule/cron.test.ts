import { describe, expect, it } from "vitest";
import { cronProblem, nextFireTimes } from "./cron.ts";

describe("cron patterns", () => {
  it("accepts 5-field patterns and explains bad ones", () => {
    expect(cronProblem("0 * * * *")).toBeNull();
    expect(cronProblem("30 6 * * 1-5")).toBeNull();
    expect(cronProblem("* * *")).toBe("must be a 5-field cron pattern (minute hour day month weekday)");
    expect(cronProblem("61 * * * *")).toMatch(/61/);
  });

  it("gives fire times in the workspace's time zone, across daylight-saving changes", () => {
    // 09:00 every day in Paris; summer time ends on 2026-10-25: 07:00Z before, 08:00Z after.
    const times = nextFireTimes("0 9 * * *", "Europe/Paris", new Date("2026-10-23T12:00:00Z"), 3).map((d) =>
      d.toISOString(),
    );
    expect(times).toEqual([
      "2026-10-24T07:00:00.000Z",
      "2026-10-25T08:00:00.000Z",
      "2026-10-26T08:00:00.000Z",
    ]);
    // Hourly across the spring change in New York (2026-03-08, 02:00 -> 03:00): the 02:00 fire does not exist.
    const hourly = nextFireTimes("0 * * * *", "America/New_York", new Date("2026-03-08T05:30:00Z"), 3).map(
      (d) => d.toISOString(),
    );
    expect(hourly).toEqual([
      "2026-03-08T06:00:00.000Z",
      "2026-03-08T07:00:00.000Z",
      "2026-03-08T08:00:00.000Z",
    ]);
  });
});
