import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDay, parsePeriod } from "../dates.ts";
import type { Day, Period } from "../dates.ts";
import type { AccountRecord, MetricRecord, ResponseRecord, SurveyKind } from "../records.ts";
import {
  adoptionRate,
  computePortfolioKpis,
  customerChurnRate,
  customerLifetimeValue,
  customerRetentionRate,
  customersAtEnd,
  netMrrChurnRate,
} from "./portfolio.ts";

function day(text: string): Day {
  const d = parseDay(text);
  if (d === null) throw new Error(`bad day ${text}`);
  return d;
}

function period(text: string): Period {
  const p = parsePeriod(text);
  if (p === null) throw new Error(`bad period ${text}`);
  return p;
}

function account(accountId: string, fields: Partial<AccountRecord>): AccountRecord {
  return {
    accountId,
    name: accountId,
    domain: null,
    segment: null,
    owner: null,
    mrr: null,
    seats: null,
    renewalDate: null,
    createdAt: null,
    status: "active",
    churnedAt: null,
    ...fields,
  };
}

const metric = (accountId: string, name: string, on: string, value: number): MetricRecord => ({
  accountId,
  metric: name,
  value,
  observedOn: day(on),
});

const response = (accountId: string, survey: SurveyKind, on: string, score: number): ResponseRecord => ({
  accountId,
  survey,
  score,
  respondedOn: day(on),
});

/** An iterable that can be read only once, to prove the rows are read in a single pass. */
function once<T>(rows: T[]): Iterable<T> {
  let used = false;
  return {
    [Symbol.iterator]() {
      if (used) throw new Error("iterated twice");
      used = true;
      return rows[Symbol.iterator]();
    },
  };
}

describe("customerChurnRate", () => {
  it("is lost / customers at the end of the previous period", () => {
    expect(customerChurnRate(3, 60)).toBe(0.05); // 3 / 60
    expect(customerChurnRate(0, 60)).toBe(0);
    expect(customerChurnRate(60, 60)).toBe(1);
  });

  it("is null without customers, and rejects impossible counts", () => {
    expect(customerChurnRate(0, 0)).toBeNull();
    expect(() => customerChurnRate(61, 60)).toThrow(RangeError);
    expect(() => customerChurnRate(-1, 60)).toThrow(RangeError);
  });
});

describe("customerRetentionRate", () => {
  it("is (customers at start - lost) / customers at start", () => {
    expect(customerRetentionRate(60, 3)).toBe(0.95); // (60 - 3) / 60 = 57 / 60
    expect(customerRetentionRate(60, 0)).toBe(1);
  });

  it("is null without customers at start", () => {
    expect(customerRetentionRate(0, 0)).toBeNull();
  });

  it("sums to 1 with the churn rate (property)", () => {
    const counts = fc.tuple(
      fc.integer({ min: 1, max: 1_000_000 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
    );
    fc.assert(
      fc.property(counts, ([atStart, share]) => {
        const lost = Math.floor(atStart * share);
        const sum = (customerRetentionRate(atStart, lost) ?? NaN) + (customerChurnRate(lost, atStart) ?? NaN);
        expect(sum).toBeCloseTo(1, 12);
      }),
    );
  });
});

describe("netMrrChurnRate", () => {
  it("is (cancelled + downgrade - expansion) / MRR at start", () => {
    // (500 + 300 - 200) / 10,000 = 600 / 10,000 = 0.06
    expect(
      netMrrChurnRate({ cancelledMrr: 500, downgradeMrr: 300, expansionMrr: 200, mrrAtStart: 10_000 }),
    ).toBe(0.06);
  });

  it("is negative when expansion exceeds the losses", () => {
    // (100 + 0 - 600) / 10,000 = -500 / 10,000 = -0.05
    expect(
      netMrrChurnRate({ cancelledMrr: 100, downgradeMrr: 0, expansionMrr: 600, mrrAtStart: 10_000 }),
    ).toBe(-0.05);
  });

  it("is null without MRR at start", () => {
    expect(netMrrChurnRate({ cancelledMrr: 0, downgradeMrr: 0, expansionMrr: 50, mrrAtStart: 0 })).toBeNull();
  });
});

describe("customerLifetimeValue", () => {
  it("is average MRR × gross margin / monthly churn rate", () => {
    // 200 × 0.8 / 0.05 = 160 / 0.05 = 3,200 (160 a month for an expected 20 months)
    expect(customerLifetimeValue({ averageMrr: 200, grossMargin: 0.8, monthlyChurnRate: 0.05 })).toBeCloseTo(
      3200,
      9,
    );
  });

  it("is null when nobody churns (infinite lifetime)", () => {
    expect(customerLifetimeValue({ averageMrr: 200, grossMargin: 0.8, monthlyChurnRate: 0 })).toBeNull();
  });
});

describe("adoptionRate", () => {
  it("is active users / licensed seats", () => {
    expect(adoptionRate(30, 40)).toBe(0.75); // 30 / 40
    expect(adoptionRate(50, 40)).toBe(1.25); // more users than seats is reported, not capped
  });

  it("is null without seats", () => {
    expect(adoptionRate(5, 0)).toBeNull();
  });
});

// A hand-built portfolio over January to March 2026, computed for February and March.
//
//   id  created     status   churnedAt   mrr field  seats  mrr observations                  active_users
//   A   2025-06-01  active   -           999        10     01-10 100, 02-15 120, 02-15 150,  01-20 10, 02-03 6, 02-20 8,
//                                                          03-05 400                         03-02 1
//   B   2025-01-01  active   -           200        20     (none: the field, constant)       02-10 5
//   C   2025-03-01  churned  2026-02-10  999        5      01-01 300                         02-05 4
//   D   2025-05-01  active   -           null       0      01-31 250, 02-28 230              02-12 3
//   E   2026-02-05  active   -           500        10     (none)                            02-25 7
//   F   2025-01-01  churned  2026-01-15  100        10     (none)                            -
//   G   null        churned  null        null       null   (none)                            02-14 2
//   H   2025-01-01  active   -           700        null   02-10 90                          -
//   Z   not in the account list: mrr 01-05 1000, active_users 02-10 50 (ignored). A has a "logins" metric (ignored).
const accounts: AccountRecord[] = [
  account("A", { createdAt: day("2025-06-01"), mrr: 999, seats: 10 }),
  account("B", { createdAt: day("2025-01-01"), mrr: 200, seats: 20 }),
  account("C", {
    createdAt: day("2025-03-01"),
    status: "churned",
    churnedAt: day("2026-02-10"),
    mrr: 999,
    seats: 5,
  }),
  account("D", { createdAt: day("2025-05-01"), mrr: null, seats: 0 }),
  account("E", { createdAt: day("2026-02-05"), mrr: 500, seats: 10 }),
  account("F", {
    createdAt: day("2025-01-01"),
    status: "churned",
    churnedAt: day("2026-01-15"),
    mrr: 100,
    seats: 10,
  }),
  account("G", { createdAt: null, status: "churned", churnedAt: null }),
  account("H", { createdAt: day("2025-01-01"), mrr: 700 }),
];

const metrics: MetricRecord[] = [
  metric("A", "mrr", "2026-01-10", 100),
  metric("A", "mrr", "2026-02-15", 120),
  metric("A", "mrr", "2026-02-15", 150), // same day, read later: wins
  metric("A", "mrr", "2026-03-05", 400),
  metric("A", "active_users", "2026-01-20", 10),
  metric("A", "active_users", "2026-02-03", 6),
  metric("A", "active_users", "2026-02-20", 8),
  metric("A", "active_users", "2026-03-02", 1),
  metric("A", "logins", "2026-02-10", 999),
  metric("B", "active_users", "2026-02-10", 5),
  metric("C", "mrr", "2026-01-01", 300),
  metric("C", "active_users", "2026-02-05", 4),
  metric("D", "mrr", "2026-02-28", 230), // rows need not be in day order
  metric("D", "mrr", "2026-01-31", 250),
  metric("D", "active_users", "2026-02-12", 3),
  metric("E", "active_users", "2026-02-25", 7),
  metric("G", "active_users", "2026-02-14", 2),
  metric("H", "mrr", "2026-02-10", 90),
  metric("Z", "mrr", "2026-01-05", 1000),
  metric("Z", "active_users", "2026-02-10", 50),
];

const responses: ResponseRecord[] = [
  response("A", "nps", "2026-01-31", 0), // January
  response("A", "nps", "2026-02-01", 10),
  response("B", "nps", "2026-02-10", 9),
  response("C", "nps", "2026-02-11", 8),
  response("D", "nps", "2026-02-28", 6),
  response("Z", "nps", "2026-02-15", 10), // an unknown account still counts
  response("A", "nps", "2026-03-01", 0), // March
  response("A", "csat", "2026-01-15", 1), // January
  response("A", "csat", "2026-02-02", 5),
  response("B", "csat", "2026-02-03", 4),
  response("C", "csat", "2026-02-04", 3),
  response("A", "ces", "2026-01-20", 1), // January
  response("A", "ces", "2026-03-03", 2),
  response("B", "ces", "2026-03-04", 3),
  response("D", "ces", "2026-03-05", 7),
];

describe("computePortfolioKpis", () => {
  it("computes February 2026 by hand", () => {
    // Start = 2026-01-31.
    // Customers at start: A, B, C (churns 02-10, after start), D, G (churned without a date: stays),
    //   H = 6. Not E (created 02-05) nor F (churned 01-15).
    // Lost in February: C = 1.  churn = 1/6, retention = 5/6.
    //
    // MRR at start: A 100 (01-10), B 200 (field), C 300 (01-01; field 999 unused), D 250 (01-31, start
    //   day included), G unknown (no observation, null field), H unknown (observed only from 02-10;
    //   its field 700 is unused because it has observations) → 100 + 200 + 300 + 250 = 850, 4 known.
    // Cancelled: C 300.
    // At 02-28: A 150 (02-15, second row) → expansion 50; B 200 → 0; D 230 → downgrade 20.
    // Net MRR churn = (300 + 20 - 50) / 850 = 270 / 850 = 27/85 ≈ 0.3176.
    // CLV = (850 / 4) × 0.8 / (1/6) = 212.5 × 0.8 × 6 = 170 × 6 = 1,020.
    //
    // Adoption, customers on 02-28 with seats > 0 and active users in February:
    //   A 8 of 10 (02-20, the last in February), B 5 of 20, E 7 of 10 (new in February).
    //   Not C (churned 02-10), D (0 seats), G (no seats), Z (unknown account).
    //   (8 + 5 + 7) / (10 + 20 + 10) = 20 / 40 = 0.5.
    //
    // NPS in February: 10, 9, 8, 6, 10 → 3 promoters, 1 detractor of 5 → 100 × 2 / 5 = 40.
    // CSAT in February: 5, 4, 3 → 2 of 3 → 66.67.  CES: no February responses → null.
    const k = computePortfolioKpis({
      accounts,
      metrics: once(metrics),
      responses: once(responses),
      period: period("2026-02"),
    });
    expect(Object.keys(k).sort()).toEqual(
      [
        "nps",
        "csat",
        "ces",
        "customer_churn_rate",
        "customer_retention_rate",
        "net_mrr_churn_rate",
        "clv",
        "adoption_rate",
      ].sort(),
    );
    expect(k.nps).toBe(40);
    expect(k.csat).toBeCloseTo(200 / 3, 12);
    expect(k.ces).toBeNull();
    expect(k.customer_churn_rate).toBeCloseTo(1 / 6, 12);
    expect(k.customer_retention_rate).toBeCloseTo(5 / 6, 12);
    expect(k.net_mrr_churn_rate).toBeCloseTo(27 / 85, 12);
    expect(k.clv).toBeCloseTo(1020, 9);
    expect(k.adoption_rate).toBe(0.5);
  });

  it("computes March 2026 by hand: no churn, net negative MRR churn", () => {
    // Start = 2026-02-28.
    // Customers at start: A, B, D, E (created 02-05), G, H = 6. Not C (churned 02-10) nor F.
    // Lost in March: none. churn = 0/6 = 0, retention = 6/6 = 1, CLV null (churn 0: infinite lifetime).
    //
    // MRR at start: A 150, B 200, D 230 (02-28), E 500 (field), H 90 (02-10), G unknown
    //   → 150 + 200 + 230 + 500 + 90 = 1,170.
    // At 03-31: A 400 (03-05) → expansion 250; the others are unchanged.
    // Net MRR churn = (0 + 0 - 250) / 1,170 = -25/117 ≈ -0.2137.
    //
    // Adoption: only A has active users in March: 1 of 10 = 0.1.
    // NPS: one 0 (03-01) → 100 × (0 - 1) / 1 = -100.  CSAT: none → null.  CES: (2 + 3 + 7) / 3 = 4.
    const k = computePortfolioKpis({ accounts, metrics, responses, period: period("2026-03") });
    expect(k).toEqual({
      nps: -100,
      csat: null,
      ces: 4,
      customer_churn_rate: 0,
      customer_retention_rate: 1,
      net_mrr_churn_rate: expect.closeTo(-25 / 117, 12) as number,
      clv: null,
      adoption_rate: 0.1,
    });
  });

  it("uses the gross margin given", () => {
    // February: 212.5 × 0.5 / (1/6) = 106.25 × 6 = 637.5
    const k = computePortfolioKpis({
      accounts,
      metrics,
      responses,
      period: period("2026-02"),
      grossMargin: 0.5,
    });
    expect(k.clv).toBeCloseTo(637.5, 9);
  });

  it("is null throughout without accounts or data", () => {
    const k = computePortfolioKpis({ accounts: [], metrics: [], responses: [], period: period("2026-02") });
    expect(Object.values(k)).toEqual([null, null, null, null, null, null, null, null]);
  });

  it("keeps an undated churned account as a customer that is never lost", () => {
    // January 2020: only G (no createdAt, churned without a date) is a customer at 2019-12-31.
    // 1 customer, 0 lost → churn 0, retention 1; no MRR known → net MRR churn and CLV null.
    const k = computePortfolioKpis({ accounts, metrics, responses, period: period("2020-01") });
    expect(k.customer_churn_rate).toBe(0);
    expect(k.customer_retention_rate).toBe(1);
    expect(k.net_mrr_churn_rate).toBeNull();
    expect(k.clv).toBeNull();
  });

  it("treats an active account as not churned, whatever its churnedAt", () => {
    // X is active with a stale churnedAt in February: a customer at start, not lost.
    // Y churned on 02-01, the first day of February: lost. 2 customers, 1 lost → churn 0.5.
    // MRR at start 100 + 300 = 400; cancelled 300 → net MRR churn 300 / 400 = 0.75.
    // CLV = (400 / 2) × 0.8 / 0.5 = 160 / 0.5 = 320.
    const k = computePortfolioKpis({
      accounts: [
        account("X", { mrr: 100, churnedAt: day("2026-02-05") }),
        account("Y", { mrr: 300, status: "churned", churnedAt: day("2026-02-01") }),
      ],
      metrics: [],
      responses: [],
      period: period("2026-02"),
    });
    expect(k.customer_churn_rate).toBe(0.5);
    expect(k.net_mrr_churn_rate).toBe(0.75);
    expect(k.clv).toBeCloseTo(320, 9);
  });

  it("ignores negative and non-finite values", () => {
    // X: its only mrr observation is negative, so it is as if absent: the field 100 is used.
    // Y: a NaN active_users observation is ignored; the last valid one in February is 4 of 8.
    const k = computePortfolioKpis({
      accounts: [account("X", { mrr: 100 }), account("Y", { mrr: -5, seats: 8 })],
      metrics: [
        metric("X", "mrr", "2026-01-10", -50),
        metric("Y", "active_users", "2026-02-10", 4),
        metric("Y", "active_users", "2026-02-11", NaN),
      ],
      responses: [],
      period: period("2026-02"),
    });
    // MRR at start: X 100, Y unknown (negative field) → 100; no movement → net MRR churn 0 / 100 = 0.
    expect(k.net_mrr_churn_rate).toBe(0);
    expect(k.adoption_rate).toBe(0.5);
  });

  it("reads 1,000,000 metric rows and 1,000,000 responses in one pass", () => {
    const p = period("2026-02");
    const n = 1000;
    const many = Array.from({ length: n }, (_, i) => account(`a${i}`, { mrr: 100, seats: 10 }));
    // Round r (0..999) observes every account on day first + floor(r × 28 / 1000) with value r mod 10;
    // the last round, r = 999, is on day first + 27 = 02-28 with value 9 → adoption 9 × 1000 / 10,000 = 0.9.
    function* rows(): Generator<MetricRecord> {
      for (let r = 0; r < 1000; r++) {
        const observedOn = p.first + Math.floor((r * 28) / 1000);
        for (let i = 0; i < n; i++)
          yield { accountId: `a${i}`, metric: "active_users", value: r % 10, observedOn };
      }
    }
    // Scores i mod 10: each of 0..9 100,000 times. Promoters (9) 100,000; detractors (0..6) 700,000
    // → 100 × (100,000 - 700,000) / 1,000,000 = -60.
    function* answers(): Generator<ResponseRecord> {
      for (let i = 0; i < 1_000_000; i++)
        yield { accountId: "a0", survey: "nps", score: i % 10, respondedOn: p.first };
    }
    const k = computePortfolioKpis({ accounts: many, metrics: rows(), responses: answers(), period: p });
    expect(k.adoption_rate).toBe(0.9);
    expect(k.nps).toBe(-60);
  }, 30_000);

  it("keeps its invariants on random portfolios (property)", () => {
    const p = period("2026-02");
    const dayIn = fc.integer({ min: p.first - 60, max: p.last + 30 });
    const arbAccount = fc.record({
      createdAt: fc.option(dayIn),
      churned: fc.boolean(),
      churnedAt: fc.option(dayIn),
      mrr: fc.option(fc.integer({ min: 0, max: 1000 })),
      seats: fc.option(fc.integer({ min: 0, max: 50 })),
    });
    const arbMetric = fc.record({
      index: fc.nat(9),
      metric: fc.constantFrom("mrr", "active_users"),
      value: fc.integer({ min: 0, max: 1000 }),
      observedOn: dayIn,
    });
    fc.assert(
      fc.property(
        fc.array(arbAccount, { maxLength: 10 }),
        fc.array(arbMetric, { maxLength: 40 }),
        (raw, rawMetrics) => {
          const list = raw.map((a, i) =>
            account(`a${i}`, {
              createdAt: a.createdAt,
              status: a.churned ? "churned" : "active",
              churnedAt: a.churnedAt,
              mrr: a.mrr,
              seats: a.seats,
            }),
          );
          const rows = rawMetrics.map((m) => ({
            accountId: `a${m.index}`,
            metric: m.metric,
            value: m.value,
            observedOn: m.observedOn,
          }));
          const k = computePortfolioKpis({ accounts: list, metrics: rows, responses: [], period: p });
          if (k.customer_churn_rate === null) {
            expect(k.customer_retention_rate).toBeNull();
          } else {
            expect(k.customer_churn_rate).toBeGreaterThanOrEqual(0);
            expect(k.customer_churn_rate + (k.customer_retention_rate ?? NaN)).toBeCloseTo(1, 12);
          }
          // Losses can at most take away all the MRR at start.
          if (k.net_mrr_churn_rate !== null) expect(k.net_mrr_churn_rate).toBeLessThanOrEqual(1 + 1e-12);
          if (k.adoption_rate !== null) expect(k.adoption_rate).toBeGreaterThanOrEqual(0);
          if (k.clv !== null) expect(k.clv).toBeGreaterThanOrEqual(0);
          // The order of the accounts does not matter.
          const reversed = computePortfolioKpis({
            accounts: [...list].reverse(),
            metrics: rows,
            responses: [],
            period: p,
          });
          expect(reversed.customer_churn_rate).toBe(k.customer_churn_rate);
          expect(reversed.adoption_rate).toBe(k.adoption_rate);
        },
      ),
    );
  });
});

describe("customersAtEnd", () => {
  it("keeps the customers on the period's last day with their MRR that day", () => {
    const june = period("2026-06");
    const rows = customersAtEnd({
      period: june,
      accounts: [
        // The last observation on or before June 30 wins over the field.
        account("A", { mrr: 100 }),
        // No observation: the field.
        account("B", { mrr: 250 }),
        // Observations, none by June 30: unknown.
        account("C", { mrr: 300 }),
        // No observation and no field: unknown.
        account("D", {}),
        // Churned in June, and a customer only from July: not customers on June 30.
        account("E", { status: "churned", churnedAt: day("2026-06-20"), mrr: 50 }),
        account("F", { createdAt: day("2026-07-01"), mrr: 70 }),
      ],
      metrics: [
        metric("A", "mrr", "2026-05-01", 120),
        metric("A", "mrr", "2026-06-30", 140),
        metric("A", "mrr", "2026-07-01", 999),
        metric("C", "mrr", "2026-07-02", 310),
      ],
    });
    expect(rows.map((r) => [r.account.accountId, r.mrr])).toEqual([
      ["A", 140],
      ["B", 250],
      ["C", null],
      ["D", null],
    ]);
  });
});
