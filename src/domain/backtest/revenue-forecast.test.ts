import { describe, expect, it } from "vitest";
import { parseDay } from "../dates.ts";
import { MrrOnDay, monthShares, revenueForecast, type ForecastAccount } from "./revenue-forecast.ts";

const day = (s: string) => parseDay(s)!;

describe("monthShares", () => {
  it("gives each month its share of the window's days: 90 days from 15 January", () => {
    // January 15-31 is 17 days, February 28, March 31, April 1-14 the last 14.
    expect(monthShares({ from: day("2026-01-15"), days: 90 })).toEqual([
      { month: "2026-01", share: 17 / 90 },
      { month: "2026-02", share: 28 / 90 },
      { month: "2026-03", share: 31 / 90 },
      { month: "2026-04", share: 14 / 90 },
    ]);
    expect(monthShares({ from: day("2024-12-31"), days: 1 })).toEqual([{ month: "2024-12", share: 1 }]);
    expect(() => monthShares({ from: day("2026-01-01"), days: 0 })).toThrow(RangeError);
  });
});

describe("revenueForecast", () => {
  // 20 days from 22 January: 10 in January (22-31), 10 in February (1-10), so each month gets half.
  const window = { from: day("2026-01-22"), days: 20 };
  const account = (a: Partial<ForecastAccount> & { accountId: string }): ForecastAccount => ({
    probability: 0.1,
    mrr: 100,
    churned: false,
    churnedAt: null,
    window,
    ...a,
  });

  it("spreads MRR × probability over the window's months and puts each churn's MRR in its month", () => {
    const r = revenueForecast([
      // 1000 × 0.2 = 200 expected: 100 in January, 100 in February; it churned in February.
      account({ accountId: "a", probability: 0.2, mrr: 1000, churned: true, churnedAt: day("2026-02-03") }),
      // 400 × 0.05 = 20: 10 and 10; it stayed.
      account({ accountId: "b", probability: 0.05, mrr: 400 }),
      // 300 × 0.5 = 150: 75 and 75; it churned on a day nobody recorded: in the total, in no month.
      account({ accountId: "c", probability: 0.5, mrr: 300, churned: true }),
      // No MRR: left out of both columns, and counted.
      account({ accountId: "d", probability: 0.3, mrr: null, churned: true, churnedAt: day("2026-01-30") }),
      // No held-out probability: not in the forecast at all.
      account({ accountId: "e", probability: null, mrr: 500, churned: true, churnedAt: day("2026-01-25") }),
      // 600 × 0.1 = 60: 30 and 30; it churned in April, after the window: April shows the churn alone.
      account({ accountId: "f", probability: 0.1, mrr: 600, churned: true, churnedAt: day("2026-04-02") }),
    ]);
    expect(r).toEqual({
      reason: null,
      accounts: 4,
      withoutMrr: 1,
      predictedTotal: 430,
      actualTotal: 1900,
      churnedWithoutDate: 1,
      actualWithoutDateMrr: 300,
      months: [
        { month: "2026-01", predictedMrr: 215, actualMrr: 0, accounts: 4, churned: 0 },
        { month: "2026-02", predictedMrr: 215, actualMrr: 1000, accounts: 4, churned: 1 },
        { month: "2026-04", predictedMrr: 0, actualMrr: 600, accounts: 0, churned: 1 },
      ],
    });
    // The months' predictions add up to the total; their actuals to the total less the undated.
    expect(r.months.reduce((s, m) => s + m.predictedMrr, 0)).toBeCloseTo(r.predictedTotal!, 9);
    expect(r.months.reduce((s, m) => s + m.actualMrr, 0)).toBe(r.actualTotal! - r.actualWithoutDateMrr);
  });

  it("keeps each account's own window: one-day windows land whole in their month, to the cent", () => {
    const r = revenueForecast([
      account({ accountId: "a", probability: 1 / 3, mrr: 100, window: { from: day("2025-11-30"), days: 1 } }),
      account({
        accountId: "b",
        probability: 0.25,
        mrr: 80,
        churned: true,
        churnedAt: day("2025-12-05"),
        window: { from: day("2025-12-01"), days: 1 },
      }),
    ]);
    expect(r.months).toEqual([
      { month: "2025-11", predictedMrr: 33.33, actualMrr: 0, accounts: 1, churned: 0 },
      { month: "2025-12", predictedMrr: 20, actualMrr: 80, accounts: 1, churned: 1 },
    ]);
    expect(r.predictedTotal).toBe(53.33);
  });

  it("says why there is no forecast rather than inventing one", () => {
    expect(revenueForecast([account({ accountId: "a", probability: null })])).toMatchObject({
      reason: "no account has a held-out churn probability",
      predictedTotal: null,
      actualTotal: null,
      months: [],
    });
    expect(
      revenueForecast([account({ accountId: "a", mrr: null }), account({ accountId: "b", mrr: null })]),
    ).toEqual({
      reason: "none of the 2 account(s) has an MRR",
      accounts: 0,
      withoutMrr: 2,
      predictedTotal: null,
      actualTotal: null,
      churnedWithoutDate: 0,
      actualWithoutDateMrr: 0,
      months: [],
    });
  });
});

describe("MrrOnDay", () => {
  it("reads the last mrr observation on or before the day, else the field, as the KPI library does", () => {
    const mrr = new MrrOnDay(day("2026-01-31"));
    const obs = (accountId: string, value: number, on: string, metric = "mrr") =>
      mrr.add({ accountId, metric, value, observedOn: day(on) });
    obs("a", 100, "2026-01-10");
    obs("a", 120, "2026-01-31");
    obs("a", 999, "2026-02-01"); // after the day: not known then
    obs("a", 110, "2026-01-20"); // read later but older: the 31st still wins
    obs("b", 50, "2026-01-05");
    obs("b", 55, "2026-01-05"); // same day: the later row wins
    obs("c", 70, "2026-03-01"); // only later observations: unknown, not the field
    obs("d", -5, "2026-01-05"); // ignored, as if absent: the field counts
    obs("d", 40, "2026-01-05", "seats"); // another metric
    expect(mrr.of({ accountId: "a", mrr: 1 })).toBe(120);
    expect(mrr.of({ accountId: "b", mrr: 1 })).toBe(55);
    expect(mrr.of({ accountId: "c", mrr: 1 })).toBeNull();
    expect(mrr.of({ accountId: "d", mrr: 30 })).toBe(30);
    expect(mrr.of({ accountId: "e", mrr: null })).toBeNull();
    expect(mrr.of({ accountId: "e", mrr: -1 })).toBeNull();
  });
});
