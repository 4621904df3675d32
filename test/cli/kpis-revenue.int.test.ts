// `css-bot kpis --model`: revenue at risk from files, the accounts scored as of the month's last day
// by the file scorer and read on the model's churn map, worked by hand below.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.ts";
import { FIXTURES, writeTempFile } from "../support/files.ts";

const MODEL = new URL("../fixtures/issue-model.yaml", import.meta.url).pathname;

// As of 2026-06-30 (test/fixtures/files): A1 (enterprise, MRR 5,000) scores 69.46 and reads the
// enterprise curve, flat at 0.1: 500. A2 (smb, 300) scores 17.5 on the portfolio's curve,
// 0.5 + (7.5 / 20) × (0.3 − 0.5) = 0.425: 127.5. A3 churned in June; A4 (800) has no data, so no
// score and no probability: left out. Within 91 days (a quarter, no conversion): 627.5 of 5,300.
const MAP = `
churn_probability:
  horizon_days: 91
  method: isotonic
  portfolio:
    points: [[10, 0.5], [30, 0.3]]
  segments:
    enterprise: { points: [[50, 0.1]] }
`;
const WITH_MAP = writeTempFile("with-map.yaml", [readFileSync(MODEL, "utf8"), MAP]);
const ACCOUNTS = writeTempFile("accounts.csv", [
  readFileSync(`${FIXTURES}accounts.csv`, "utf8").trimEnd(),
  "A4,Delta Co,smb,liam@example.com,800,,2026-07-15,2025-01-01,active,",
]);
const FILES = [
  "--accounts",
  ACCOUNTS,
  "--metrics",
  `${FIXTURES}metrics.csv`,
  "--responses",
  `${FIXTURES}responses.jsonl`,
  "--period",
  "2026-06",
];

const kpis = (...args: string[]) => runCli(["kpis", ...FILES, ...args], {});

describe("css-bot kpis --model", () => {
  it("adds revenue_at_risk to the JSON: sums, the quarter's GRR, what was left out, the groups", async () => {
    const { code, stdout, stderr } = await kpis("--model", WITH_MAP, "--json");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as Record<string, unknown> & { revenue_at_risk: Record<string, unknown> };
    expect(Object.keys(out).at(-1)).toBe("revenue_at_risk");
    const r = out.revenue_at_risk;
    expect(r).toMatchObject({
      as_of: "2026-06-30",
      horizon_days: 91,
      accounts: 2,
      mrr: 5300,
      left_out: { no_probability: 1, unknown_mrr: 0, mrr_without_probability: 800 },
    });
    expect(r.expected_mrr_lost).toBeCloseTo(627.5, 9);
    expect(r.share_of_mrr).toBeCloseTo(627.5 / 5300, 12);
    const quarter = r.next_quarter as Record<string, number>;
    expect(quarter.days).toBe(91);
    expect(quarter.gross_revenue_retention).toBeCloseTo(1 - 627.5 / 5300, 12);
    const rows = (key: string, name: string) =>
      (r[key] as Record<string, unknown>[]).map((g) => [g[name], g.accounts, g.mrr, g.expected_mrr_lost]);
    expect(rows("by_owner", "owner")).toEqual([
      ["maya@example.com", 1, 5000, expect.closeTo(500, 9)],
      ["liam@example.com", 1, 300, expect.closeTo(127.5, 9)],
    ]);
    expect(rows("by_segment", "segment")).toEqual([
      ["enterprise", 1, 5000, expect.closeTo(500, 9)],
      ["smb", 1, 300, expect.closeTo(127.5, 9)],
    ]);
    expect(rows("by_band", "band")).toEqual([["at_risk", 2, 5300, expect.closeTo(627.5, 9)]]);
    // Both renew more than 90 days after June 30 (A4, within 30, was not counted).
    const windows = r.by_renewal_window as { window: string; label: string; accounts: number }[];
    expect(windows.map((w) => [w.window, w.label, w.accounts])).toEqual([
      ["30", "within 30 days", 0],
      ["60", "in 31-60 days", 0],
      ["90", "in 61-90 days", 0],
      ["later", "after 90 days", 2],
      ["past", "renewal date passed", 0],
      ["none", "no renewal date", 0],
    ]);
  });

  it("prints a Revenue at risk section under the KPIs, with amounts", async () => {
    const { code, stdout } = await kpis("--model", WITH_MAP);
    expect(code).toBe(0);
    expect(stdout).toContain("Portfolio KPIs for 2026-06");
    expect(stdout).toContain(
      'Revenue at risk as of 2026-06-30 (model "default": probability of churning within 91 days)',
    );
    expect(stdout).toContain("Expected MRR lost within 91 days: 628 of 5,300 (11.8%), over 2 accounts");
    expect(stdout).toContain(
      "Next quarter (91 days): expected MRR lost 628, gross revenue retention forecast 88.2%",
    );
    expect(stdout).toContain(
      "Not counted: 1 account without a probability (not scored; MRR 800 of unknown risk)",
    );
    expect(stdout).toMatch(/│ maya@example\.com +│ +1 │ +5,000 │ +500 │ +10\.0% │/);
    expect(stdout).toMatch(/│ after 90 days +│ +2 │ +5,300 │ +628 │ +11\.8% │/);
  });

  it("says probabilities need outcomes when the model has no churn map", async () => {
    const text = await kpis("--model", MODEL);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(
      "Revenue at risk: the model has no churn map, so there are no probabilities.",
    );
    expect(text.stdout).toContain("css-bot calibrate");
    const json = JSON.parse((await kpis("--model", MODEL, "--json")).stdout) as Record<string, unknown>;
    expect(json.revenue_at_risk).toBeNull();
  });

  it("keeps every KPI as it was, with revenue_at_risk null, without a model", async () => {
    const without = JSON.parse((await kpis("--json")).stdout) as Record<string, unknown>;
    const withMap = JSON.parse((await kpis("--model", WITH_MAP, "--json")).stdout) as Record<string, unknown>;
    expect(without.revenue_at_risk).toBeNull();
    const { revenue_at_risk: _, ...kpisWithMap } = withMap;
    const { revenue_at_risk: __, ...kpisWithout } = without;
    expect(kpisWithMap).toEqual(kpisWithout);
    expect((await kpis()).stdout).not.toContain("Revenue at risk");
  });
});
