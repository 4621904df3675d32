import { describe, expect, it } from "vitest";
import { bandTable, churnAuc, churnByScoreBins, warningStats } from "./metrics.ts";

const s = (score: number, churned: boolean) => ({ score, churned });

describe("churnAuc", () => {
  it("counts the pairs where the churned account scores lower, ties half (worked example)", () => {
    // Churned 10, 50; retained 20, 50, 80. Pairs (churned, retained):
    // (10,20) 1, (10,50) 1, (10,80) 1, (50,20) 0, (50,50) 0.5, (50,80) 1 -> 4.5 / 6 = 0.75.
    const auc = churnAuc([s(10, true), s(50, true), s(20, false), s(50, false), s(80, false)]);
    expect(auc).toEqual({ value: 0.75, reason: null });
  });

  it("is 1 for a perfect warning, 0 for a reversed one, 0.5 when every score ties", () => {
    expect(churnAuc([s(1, true), s(2, true), s(3, false), s(4, false)]).value).toBe(1);
    expect(churnAuc([s(3, true), s(4, true), s(1, false), s(2, false)]).value).toBe(0);
    expect(churnAuc([s(50, true), s(50, false), s(50, false)]).value).toBe(0.5);
  });

  it("handles ties across several tied groups", () => {
    // Churned 30, 30, 60; retained 30, 60, 90.
    // 30 vs 30 .5, 30 vs 60 1, 30 vs 90 1 (twice: 5); 60 vs 30 0, 60 vs 60 .5, 60 vs 90 1 (1.5) -> 6.5 / 9.
    const auc = churnAuc([s(30, true), s(30, true), s(60, true), s(30, false), s(60, false), s(90, false)]);
    expect(auc.value).toBeCloseTo(6.5 / 9, 12);
  });

  it("is undefined, with a reason and not 0.5, without churners or with only churners", () => {
    expect(churnAuc([s(10, false), s(20, false)])).toEqual({
      value: null,
      reason: expect.stringContaining("no churned accounts") as string,
    });
    expect(churnAuc([s(10, true)])).toEqual({
      value: null,
      reason: expect.stringContaining("only churned accounts") as string,
    });
    expect(churnAuc([]).value).toBeNull();
  });
});

describe("warningStats", () => {
  it("gives precision, recall and lift (worked example)", () => {
    // 10 accounts, 5 churned (rate 0.5); 4 flagged, 3 of them churned.
    const flags = [
      ...Array.from({ length: 3 }, () => ({ flagged: true, churned: true })),
      { flagged: true, churned: false },
      ...Array.from({ length: 2 }, () => ({ flagged: false, churned: true })),
      ...Array.from({ length: 4 }, () => ({ flagged: false, churned: false })),
    ];
    expect(warningStats(flags)).toEqual({
      flagged: 4,
      flaggedChurned: 3,
      precision: 0.75,
      recall: 0.6,
      lift: 1.5,
    });
  });

  it("leaves undefined figures null", () => {
    const none = warningStats([{ flagged: false, churned: true }]);
    expect(none).toMatchObject({ precision: null, recall: 0, lift: null });
    const noChurn = warningStats([{ flagged: true, churned: false }]);
    expect(noChurn).toMatchObject({ precision: 0, recall: null, lift: null });
  });
});

describe("bandTable", () => {
  it("counts accounts and churn per band in the given order, empty bands included", () => {
    const rows = bandTable(
      ["healthy", "caution", "at_risk"],
      [
        { band: "at_risk", churned: true },
        { band: "at_risk", churned: false },
        { band: "healthy", churned: false },
      ],
    );
    expect(rows).toEqual([
      { band: "healthy", accounts: 1, churned: 0, churnRate: 0 },
      { band: "caution", accounts: 0, churned: 0, churnRate: null },
      { band: "at_risk", accounts: 2, churned: 1, churnRate: 0.5 },
    ]);
  });
});

describe("churnByScoreBins", () => {
  it("cuts the sorted scores into groups of nearly equal size", () => {
    const bins = churnByScoreBins([s(5, true), s(1, true), s(9, false), s(7, false), s(3, false)], 2);
    expect(bins).toEqual([
      { from: 1, to: 3, accounts: 2, churned: 1, churnRate: 0.5 },
      { from: 5, to: 9, accounts: 3, churned: 1, churnRate: 1 / 3 },
    ]);
  });
});
