import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDay } from "../dates.ts";
import { probabilityOver, renewalWindow, revenueAtRisk, type RiskAccount } from "./revenue-at-risk.ts";

const D = parseDay("2026-12-07")!;

const account = (over: Partial<RiskAccount>): RiskAccount => ({
  band: "healthy",
  segment: null,
  owner: null,
  mrr: 100,
  renewalDate: null,
  probability: 0.1,
  ...over,
});

// Worked by hand below: loss = MRR × p per account.
const PORTFOLIO: RiskAccount[] = [
  // A: 1,000 × 0.5 = 500, renews in 10 days
  account({
    band: "at_risk",
    segment: "smb",
    owner: "ana",
    mrr: 1000,
    renewalDate: D + 10,
    probability: 0.5,
  }),
  // B: 2,000 × 0.1 = 200, in 45 days
  account({ band: "caution", segment: "smb", owner: "bo", mrr: 2000, renewalDate: D + 45, probability: 0.1 }),
  // C: 4,000 × 0.02 = 80, in 200 days
  account({
    band: "healthy",
    segment: "ent",
    owner: "ana",
    mrr: 4000,
    renewalDate: D + 200,
    probability: 0.02,
  }),
  // D: 3,000 × 0.3 = 900, no renewal date, no owner
  account({ band: "at_risk", segment: "ent", owner: null, mrr: 3000, renewalDate: null, probability: 0.3 }),
  // E: no probability (not scored): left out, its 500 of MRR unknown risk
  account({ band: "insufficient_data", mrr: 500, probability: null }),
  // F: no MRR: left out
  account({ band: "at_risk", mrr: null, probability: 0.4 }),
  // G: 1,000 × 0.2 = 200, renewal date 5 days ago, no segment
  account({ band: "caution", segment: null, owner: "bo", mrr: 1000, renewalDate: D - 5, probability: 0.2 }),
  // H: 500 × 0 = 0, renews on the 90th day
  account({ band: "healthy", segment: "smb", owner: "ana", mrr: 500, renewalDate: D + 90, probability: 0 }),
];

describe("revenue at risk", () => {
  it("sums MRR × probability over the accounts with both, and counts the others apart", () => {
    const r = revenueAtRisk(PORTFOLIO, D, 91);
    expect(r.accounts).toBe(6);
    expect(r.mrr).toBe(11_500);
    expect(r.expectedLoss).toBeCloseTo(1880, 9);
    expect(r.share).toBeCloseTo(1880 / 11_500, 12);
    expect(r.leftOut).toEqual({ noProbability: 1, unknownMrr: 1, mrrWithoutProbability: 500 });
    // A 91-day horizon is the quarter: GRR = 1 − 1,880 / 11,500.
    expect(r.nextQuarter.days).toBe(91);
    expect(r.nextQuarter.expectedLoss).toBeCloseTo(1880, 9);
    expect(r.nextQuarter.grossRevenueRetention).toBeCloseTo(9620 / 11_500, 12);
  });

  it("groups by band, segment and owner, largest expected loss first", () => {
    const r = revenueAtRisk(PORTFOLIO, D, 91);
    const rows = (groups: typeof r.byBand) =>
      groups.map((g) => [g.key, g.accounts, g.mrr, Math.round(g.expectedLoss * 1e9) / 1e9]);
    expect(rows(r.byBand)).toEqual([
      ["at_risk", 2, 4000, 1400],
      ["caution", 2, 3000, 400],
      ["healthy", 2, 4500, 80],
    ]);
    expect(rows(r.bySegment)).toEqual([
      ["ent", 2, 7000, 980],
      ["smb", 3, 3500, 700],
      [null, 1, 1000, 200],
    ]);
    expect(rows(r.byOwner)).toEqual([
      [null, 1, 3000, 900],
      ["ana", 3, 5500, 580],
      ["bo", 2, 3000, 400],
    ]);
  });

  it("groups by renewal window in a fixed order, empty windows included", () => {
    const r = revenueAtRisk(PORTFOLIO, D, 91);
    expect(
      r.byRenewal.map((g) => [g.key, g.accounts, g.mrr, Math.round(g.expectedLoss * 1e9) / 1e9]),
    ).toEqual([
      ["30", 1, 1000, 500],
      ["60", 1, 2000, 200],
      ["90", 1, 500, 0],
      ["later", 1, 4000, 80],
      ["past", 1, 1000, 200],
      ["none", 1, 3000, 900],
    ]);
    expect(revenueAtRisk([], D, 90).byRenewal.map((g) => g.accounts)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it("carries each probability to a quarter under a constant hazard when the horizon is not one", () => {
    // 182 days: 1 − (1 − 0.36)^(91/182) = 1 − 0.8 = 0.2 within the quarter.
    const r = revenueAtRisk([account({ mrr: 100, probability: 0.36 })], D, 182);
    expect(r.expectedLoss).toBeCloseTo(36, 12);
    expect(r.nextQuarter.expectedLoss).toBeCloseTo(20, 12);
    expect(r.nextQuarter.grossRevenueRetention).toBeCloseTo(0.8, 12);
  });

  it("has no share and no GRR without MRR to divide by", () => {
    const none = revenueAtRisk([account({ probability: null })], D, 90);
    expect(none).toMatchObject({ accounts: 0, mrr: 0, share: null });
    expect(none.nextQuarter.grossRevenueRetention).toBeNull();
    expect(revenueAtRisk([account({ mrr: 0 })], D, 90).share).toBeNull();
  });

  it("refuses a probability outside 0..1, a negative MRR and a horizon of no days", () => {
    expect(() => revenueAtRisk([account({ probability: 1.2 })], D, 90)).toThrow(/between 0 and 1/);
    expect(() => revenueAtRisk([account({ mrr: -5 })], D, 90)).toThrow(/MRR must be >= 0/);
    expect(() => revenueAtRisk([], D, 0)).toThrow(/horizonDays/);
  });
});

describe("probability over another horizon", () => {
  it("compounds a constant hazard", () => {
    // 1 − 0.81³ = 0.468559; 1 − 0.64^½ = 0.2.
    expect(probabilityOver(0.19, 30, 90)).toBeCloseTo(0.468559, 12);
    expect(probabilityOver(0.36, 180, 90)).toBeCloseTo(0.2, 12);
    expect(probabilityOver(0.25, 91, 91)).toBe(0.25);
    expect(probabilityOver(1, 90, 91)).toBe(1);
    expect(probabilityOver(0, 90, 91)).toBe(0);
  });

  it("is monotone in the probability and in the days", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 730 }),
        fc.integer({ min: 1, max: 730 }),
        (a, b, from, to) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          expect(probabilityOver(lo, from, to)).toBeLessThanOrEqual(probabilityOver(hi, from, to) + 1e-12);
          expect(probabilityOver(lo, from, to)).toBeLessThanOrEqual(
            probabilityOver(lo, from, to + 30) + 1e-12,
          );
          const p = probabilityOver(lo, from, to);
          expect(p).toBeGreaterThanOrEqual(0);
          expect(p).toBeLessThanOrEqual(1);
        },
      ),
    );
  });
});

describe("renewal windows", () => {
  it("puts a renewal date in its window, bounds inclusive", () => {
    expect([0, 30, 31, 60, 61, 90, 91, -1].map((d) => renewalWindow(D + d, D))).toEqual([
      "30",
      "30",
      "60",
      "60",
      "90",
      "90",
      "later",
      "past",
    ]);
    expect(renewalWindow(null, D)).toBe("none");
  });
});

const arbitraryAccount = fc.record({
  band: fc.constantFrom("healthy", "caution", "at_risk"),
  segment: fc.option(fc.constantFrom("smb", "ent"), { nil: null }),
  owner: fc.option(fc.constantFrom("ana", "bo"), { nil: null }),
  mrr: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: null }),
  renewalDate: fc.option(fc.integer({ min: D - 30, max: D + 400 }), { nil: null }),
  probability: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
});

describe("revenue at risk, for any portfolio", () => {
  it("never loses more than the MRR, and every grouping sums to the whole", () => {
    fc.assert(
      fc.property(
        fc.array(arbitraryAccount, { maxLength: 40 }),
        fc.integer({ min: 1, max: 365 }),
        (list, h) => {
          const r = revenueAtRisk(list, D, h);
          expect(r.expectedLoss).toBeLessThanOrEqual(r.mrr + 1e-6);
          expect(r.nextQuarter.expectedLoss).toBeLessThanOrEqual(r.mrr + 1e-6);
          expect(r.accounts + r.leftOut.noProbability + r.leftOut.unknownMrr).toBe(list.length);
          for (const groups of [r.byBand, r.bySegment, r.byOwner, r.byRenewal]) {
            const sum = groups.reduce((s, g) => s + g.expectedLoss, 0);
            expect(sum).toBeCloseTo(r.expectedLoss, 6);
            expect(groups.reduce((s, g) => s + g.accounts, 0)).toBe(r.accounts);
          }
        },
      ),
    );
  });

  it("loses more, and retains less, when one account's probability rises", () => {
    fc.assert(
      fc.property(
        fc.array(arbitraryAccount, { minLength: 1, maxLength: 20 }),
        fc.nat(),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (list, pick, rise) => {
          const i = pick % list.length;
          const a = list[i]!;
          fc.pre(a.probability !== null && a.mrr !== null && a.mrr > 0);
          const higher = list.with(i, { ...a, probability: a.probability + (1 - a.probability) * rise });
          const before = revenueAtRisk(list, D, 90);
          const after = revenueAtRisk(higher, D, 90);
          expect(after.expectedLoss).toBeGreaterThanOrEqual(before.expectedLoss - 1e-9);
          expect(after.nextQuarter.grossRevenueRetention!).toBeLessThanOrEqual(
            before.nextQuarter.grossRevenueRetention! + 1e-12,
          );
        },
      ),
    );
  });
});
