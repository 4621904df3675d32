import { describe, expect, it } from "vitest";
import { formatDay, parseDay } from "../dates.ts";
import { addBusinessDays, businessDaysBetween, weekday } from "./business-days.ts";

const day = (s: string) => parseDay(s)!;

describe("business days", () => {
  it("knows the weekday", () => {
    expect(weekday(day("2026-11-23"))).toBe(1); // a Monday
    expect(weekday(day("2026-11-29"))).toBe(0);
  });

  it("skips weekends when adding", () => {
    expect(formatDay(addBusinessDays(day("2026-11-26"), 2))).toBe("2026-11-30"); // Thu + 2 = Mon
    expect(formatDay(addBusinessDays(day("2026-11-28"), 1))).toBe("2026-11-30"); // Sat + 1 = Mon
    expect(formatDay(addBusinessDays(day("2026-11-23"), 5))).toBe("2026-11-30");
  });

  it("counts the business days between two dates", () => {
    expect(businessDaysBetween(day("2026-11-27"), day("2026-11-30"))).toBe(1); // Fri -> Mon
    expect(businessDaysBetween(day("2026-11-23"), day("2026-11-25"))).toBe(2);
    expect(businessDaysBetween(day("2026-11-25"), day("2026-11-23"))).toBe(0);
  });
});
