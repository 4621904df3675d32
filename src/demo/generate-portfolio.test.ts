import { describe, expect, it } from "vitest";
import { inWindow, parseDay, type Day } from "../domain/dates.ts";
import type { MetricRecord, ResponseRecord } from "../domain/records.ts";
import { CSM_OWNERS } from "./company-names.ts";
import { DEMO_METRICS, generatePortfolio } from "./generate-portfolio.ts";

const END = parseDay("2026-03-31")!;
const DAYS = 90;
const FIRST = END - DAYS + 1;
const portfolio = generatePortfolio({ seed: 42, accounts: 300, days: DAYS, endDay: END });
const active = portfolio.accounts.filter((a) => a.status === "active");

const metricsOf = groupBy(portfolio.metrics, (m) => m.accountId);
const responsesOf = groupBy(portfolio.responses, (r) => r.accountId);
const kindOf = (id: string) => portfolio.trajectories.get(id)?.kind;

describe("generatePortfolio: determinism", () => {
  it("gives the same portfolio for the same seed", () => {
    const options = { seed: 7, accounts: 40, days: 30, endDay: END };
    expect(generatePortfolio(options)).toEqual(generatePortfolio(options));
  });

  it("gives another portfolio for another seed", () => {
    const a = generatePortfolio({ seed: 42, accounts: 40, days: 30, endDay: END });
    const b = generatePortfolio({ seed: 43, accounts: 40, days: 30, endDay: END });
    expect(b.accounts.map((x) => x.name)).not.toEqual(a.accounts.map((x) => x.name));
    expect(b.metrics).not.toEqual(a.metrics);
  });

  it("rejects a window or a portfolio that is not a positive integer", () => {
    expect(() => generatePortfolio({ accounts: 0, endDay: END })).toThrow(RangeError);
    expect(() => generatePortfolio({ days: 1.5, endDay: END })).toThrow(RangeError);
  });
});

describe("generatePortfolio: accounts", () => {
  it("has unique ids, names and domains derived from the names", () => {
    const ids = portfolio.accounts.map((a) => a.accountId);
    expect(ids[0]).toBe("ACC-00001");
    expect(ids.every((id) => /^ACC-\d{5}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(300);
    expect(new Set(portfolio.accounts.map((a) => a.name)).size).toBe(300);
    expect(new Set(portfolio.accounts.map((a) => a.domain)).size).toBe(300);
    for (const a of portfolio.accounts) {
      expect(a.domain).toBe(`${a.name.toLowerCase().replaceAll(" ", "-")}.com`);
      expect(CSM_OWNERS).toContain(a.owner);
    }
  });

  it("splits the segments about 15/35/50 with their MRR and seat ranges", () => {
    const ranges = {
      enterprise: { share: 0.15, mrr: [4_000, 25_000], seats: [100, 1_000] },
      mid_market: { share: 0.35, mrr: [800, 4_000], seats: [25, 200] },
      smb: { share: 0.5, mrr: [50, 800], seats: [3, 30] },
    } as const;
    for (const [segment, r] of Object.entries(ranges)) {
      const accounts = portfolio.accounts.filter((a) => a.segment === segment);
      expect(accounts.length / 300).toBeCloseTo(r.share, 2);
      for (const a of accounts) {
        expect(a.mrr).toBeGreaterThanOrEqual(r.mrr[0]);
        expect(a.mrr).toBeLessThanOrEqual(r.mrr[1]);
        expect(a.seats).toBeGreaterThanOrEqual(r.seats[0]);
        expect(a.seats).toBeLessThanOrEqual(r.seats[1]);
      }
    }
  });

  it("spreads renewals over the next year and customers since 1-5 years", () => {
    for (const a of active) {
      expect(a.renewalDate! - END).toBeGreaterThan(0);
      expect(a.renewalDate! - END).toBeLessThanOrEqual(366);
    }
    const soon = active.filter((a) => a.renewalDate! - END <= 60).length;
    expect(soon / active.length).toBeGreaterThan(0.08);
    expect(soon / active.length).toBeLessThan(0.3);
    for (const a of portfolio.accounts) {
      expect(END - a.createdAt!).toBeGreaterThanOrEqual(365);
      expect(END - a.createdAt!).toBeLessThanOrEqual(5 * 366);
    }
  });

  it("churns a few accounts inside the window, and no data follows the churn", () => {
    const churned = portfolio.accounts.filter((a) => a.status === "churned");
    expect(churned.length).toBeGreaterThanOrEqual(3);
    expect(churned.length).toBeLessThanOrEqual(15);
    for (const a of churned) {
      expect(inWindow(a.churnedAt!, END, DAYS)).toBe(true);
      expect(kindOf(a.accountId)).toBe("churned");
      const after = (d: Day) => d >= a.churnedAt!;
      expect(metricsOf.get(a.accountId)?.some((m) => after(m.observedOn))).toBeFalsy();
      expect(responsesOf.get(a.accountId)?.some((r) => after(r.respondedOn))).toBeFalsy();
    }
    for (const a of active) expect(a.churnedAt).toBeNull();
  });
});

describe("generatePortfolio: metrics", () => {
  it("observes every active account every day, inside the window, at a bounded volume", () => {
    expect(portfolio.metrics.filter((m) => !inWindow(m.observedOn, END, DAYS))).toEqual([]);
    const everyDay = Array.from({ length: DAYS }, (_, i) => FIRST + i);
    for (const a of active) {
      const days = metricsOf.get(a.accountId)!.filter((m) => m.metric === DEMO_METRICS.weeklyActiveRatio);
      expect(days.map((m) => m.observedOn)).toEqual(everyDay);
    }
    expect(portfolio.metrics.length).toBeLessThan(300 * DAYS * 4 + 500);
  });

  it("keeps ratios in 0..1 and active users whole, within seats and consistent with the ratio", () => {
    const seats = new Map(portfolio.accounts.map((a) => [a.accountId, a.seats!]));
    const ratios = portfolio.metrics.filter((m) => m.metric === DEMO_METRICS.weeklyActiveRatio);
    expect(ratios.filter((m) => !(m.value >= 0 && m.value <= 1))).toEqual([]);
    const ratioOn = new Map(ratios.map((m) => [`${m.accountId}|${m.observedOn}`, m.value]));
    const users = portfolio.metrics.filter((m) => m.metric === DEMO_METRICS.activeUsers);
    expect(users.length).toBe(ratios.length);
    const wrong = users.filter((m) => {
      const seatCount = seats.get(m.accountId)!;
      const ratio = ratioOn.get(`${m.accountId}|${m.observedOn}`)!;
      return (
        !Number.isInteger(m.value) || m.value > seatCount || Math.abs(m.value / seatCount - ratio) > 1e-4
      );
    });
    expect(wrong).toEqual([]);
  });

  it("counts tickets and failed payments in whole numbers, failures for a minority", () => {
    const counts = portfolio.metrics.filter(
      (m) => m.metric === DEMO_METRICS.openTickets || m.metric === DEMO_METRICS.failedPayments,
    );
    expect(counts.filter((m) => !Number.isInteger(m.value) || m.value < 0)).toEqual([]);
    const failing = new Set(
      portfolio.metrics.filter((m) => m.metric === DEMO_METRICS.failedPayments).map((m) => m.accountId),
    );
    expect(failing.size).toBeGreaterThan(10);
    expect(failing.size).toBeLessThan(300 * 0.25);
  });

  it("reports MRR daily, ending at the account's MRR, with a few step changes", () => {
    let changed = 0;
    for (const a of portfolio.accounts) {
      const mrr = metricsOf.get(a.accountId)!.filter((m) => m.metric === DEMO_METRICS.mrr);
      expect(mrr.at(-1)?.value).toBe(a.mrr);
      if (new Set(mrr.map((m) => m.value)).size > 1) changed++;
    }
    expect(changed).toBeGreaterThan(10);
    expect(changed).toBeLessThan(90);
  });
});

describe("generatePortfolio: survey responses", () => {
  it("answers on each survey's scale, inside the window", () => {
    const scales = { nps: [0, 10], csat: [1, 5], ces: [1, 7] } as const;
    for (const r of portfolio.responses) {
      expect(Number.isInteger(r.score)).toBe(true);
      expect(r.score).toBeGreaterThanOrEqual(scales[r.survey][0]);
      expect(r.score).toBeLessThanOrEqual(scales[r.survey][1]);
      expect(inWindow(r.respondedOn, END, DAYS)).toBe(true);
    }
  });

  it("hears a few answers a month at most, more from bigger accounts, none from some small ones", () => {
    const perAccountMonth = (segment: string) => {
      const accounts = portfolio.accounts.filter((a) => a.segment === segment);
      const n = accounts.reduce((s, a) => s + (responsesOf.get(a.accountId)?.length ?? 0), 0);
      return n / accounts.length / (DAYS / 30);
    };
    expect(perAccountMonth("enterprise")).toBeGreaterThan(perAccountMonth("mid_market"));
    expect(perAccountMonth("mid_market")).toBeGreaterThan(perAccountMonth("smb"));
    expect(perAccountMonth("enterprise")).toBeLessThan(8); // three surveys, a few answers each
    const silent = portfolio.accounts.filter((a) => a.segment === "smb" && !responsesOf.has(a.accountId));
    expect(silent.length).toBeGreaterThan(20);
  });
});

describe("generatePortfolio: trajectories", () => {
  it("records one for every account, about 10% drifting and 5% recovering", () => {
    expect(portfolio.trajectories.size).toBe(300);
    const count = (kind: string) =>
      [...portfolio.trajectories.values()].filter((t) => t.kind === kind).length;
    expect(count("drifting")).toBe(30);
    expect(count("recovering")).toBe(15);
    expect(count("borderline")).toBeGreaterThan(5);
    for (const t of portfolio.trajectories.values()) {
      if (t.kind === "drifting") expect(END - t.changeStartsOn!).toBeGreaterThanOrEqual(29);
    }
  });

  it("lets drifting accounts' usage fall and recovering accounts' usage rise", () => {
    const usage = (id: string, from: Day, to: Day) =>
      mean(valuesOf(id, DEMO_METRICS.weeklyActiveRatio, from, to));
    for (const [id, t] of portfolio.trajectories) {
      if (t.kind === "drifting")
        expect(usage(id, END - 6, END)).toBeLessThan(usage(id, FIRST, FIRST + 29) - 0.1);
      if (t.kind === "recovering")
        expect(usage(id, END - 6, END)).toBeGreaterThan(usage(id, FIRST, FIRST + 29));
    }
  });

  it("lands the last day's bands near 60% healthy, 20% caution, 15-20% at risk", () => {
    const bands = { healthy: 0, caution: 0, at_risk: 0 };
    for (const a of active) {
      const score = roughScore(metricsOf.get(a.accountId) ?? [], responsesOf.get(a.accountId) ?? [], END);
      bands[score >= 80 ? "healthy" : score >= 70 ? "caution" : "at_risk"]++;
    }
    const share = (n: number) => n / active.length;
    expect(share(bands.healthy)).toBeGreaterThan(0.52);
    expect(share(bands.healthy)).toBeLessThan(0.7);
    expect(share(bands.caution)).toBeGreaterThan(0.13);
    expect(share(bands.caution)).toBeLessThan(0.27);
    expect(share(bands.at_risk)).toBeGreaterThan(0.13);
    expect(share(bands.at_risk)).toBeLessThan(0.23);
    // Drifting accounts end at risk: the demo's band changes and drivers come from them.
    const drifting = active.filter((a) => kindOf(a.accountId) === "drifting");
    const end = drifting.map((a) =>
      roughScore(metricsOf.get(a.accountId)!, responsesOf.get(a.accountId) ?? [], END),
    );
    expect(end.filter((s) => s < 70).length).toBeGreaterThanOrEqual(drifting.length * 0.9);
  });
});

/**
 * A rough stand-in for the default scoring model, only to check the calibration here (the real one
 * lives in src/domain/scoring): the weighted mean of the sub-scores of the components with data.
 */
function roughScore(
  metrics: readonly MetricRecord[],
  responses: readonly ResponseRecord[],
  asOf: Day,
): number {
  const parts: [score: number | null, weight: number][] = [];
  const answers = (survey: string, window: number) =>
    responses.filter((r) => r.survey === survey && inWindow(r.respondedOn, asOf, window)).map((r) => r.score);
  const values = (metric: string, window: number) =>
    metrics.filter((m) => m.metric === metric && inWindow(m.observedOn, asOf, window)).map((m) => m.value);
  const clamp = (x: number) => Math.min(100, Math.max(0, x));

  const nps = answers("nps", 180);
  const npsValue = nps.length ? (100 * (nps.filter((s) => s >= 9).length - nps.filter((s) => s <= 6).length)) / nps.length : null; // prettier-ignore
  parts.push([npsValue === null ? null : (npsValue + 100) / 2, 20]);
  const csat = answers("csat", 90);
  const satisfied = csat.length ? (100 * csat.filter((s) => s >= 4).length) / csat.length : null;
  parts.push([satisfied === null ? null : through([[50, 0], [80, 70], [95, 100]], satisfied), 10]); // prettier-ignore
  const ces = answers("ces", 90);
  parts.push([ces.length ? clamp(((5 - mean(ces)) / 4) * 100) : null, 5]);
  const usage = values(DEMO_METRICS.weeklyActiveRatio, 30);
  parts.push([usage.length ? through([[0.1, 0], [0.5, 70], [0.8, 100]], mean(usage)) : null, 40]); // prettier-ignore
  const tickets = values(DEMO_METRICS.openTickets, 30);
  parts.push([tickets.length ? clamp(100 - 10 * tickets.at(-1)!) : null, 15]);
  // No failed payment in the window sums to 0, as the default model's `empty_value: 0` says.
  const failed = values(DEMO_METRICS.failedPayments, 90).reduce((s, v) => s + v, 0);
  parts.push([clamp(100 - (100 * failed) / 3), 10]);

  const withData = parts.filter((p): p is [number, number] => p[0] !== null);
  return withData.reduce((s, [v, w]) => s + v * w, 0) / withData.reduce((s, [, w]) => s + w, 0);
}

function through(points: readonly [number, number][], x: number): number {
  const [first] = points;
  if (!first || x <= first[0]) return first?.[1] ?? 0;
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1]!;
    const [x1, y1] = points[i]!;
    if (x <= x1) return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
  }
  return points.at(-1)![1];
}

function valuesOf(accountId: string, metric: string, from: Day, to: Day): number[] {
  return (metricsOf.get(accountId) ?? [])
    .filter((m) => m.metric === metric && m.observedOn >= from && m.observedOn <= to)
    .map((m) => m.value);
}

function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
