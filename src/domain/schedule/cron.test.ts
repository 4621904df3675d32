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

  it("handles the hours that daylight-saving changes skip or repeat as docs/operations.md says", () => {
    const iso = (pattern: string, from: string, n: number) =>
      nextFireTimes(pattern, "Europe/Paris", new Date(from), n).map((d) => d.toISOString());
    // Spring (2026-03-29, 02:00 -> 03:00): a daily 02:30 does not vanish, it fires at 03:30 CEST.
    expect(iso("30 2 * * *", "2026-03-28T12:00:00Z", 2)).toEqual([
      "2026-03-29T01:30:00.000Z",
      "2026-03-30T00:30:00.000Z",
    ]);
    // Autumn (2026-10-25, 03:00 -> 02:00): a daily 02:30 fires once, at the first 02:30 (CEST).
    expect(iso("30 2 * * *", "2026-10-24T12:00:00Z", 2)).toEqual([
      "2026-10-25T00:30:00.000Z",
      "2026-10-26T01:30:00.000Z",
    ]);
    // An hourly pattern fires every hour by the clock: both 02:00s of the repeated hour.
    expect(iso("0 * * * *", "2026-10-24T23:30:00Z", 3)).toEqual([
      "2026-10-25T00:00:00.000Z",
      "2026-10-25T01:00:00.000Z",
      "2026-10-25T02:00:00.000Z",
    ]);
  });
});
