// css-bot backtest and calibrate end to end: real files (a slice of a real churn data set among
// them, converted by the documented example script), the real CLI in-process, and --from-history
// on snapshots stored in a real PostgreSQL database.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { convertDataset } from "../../examples/datasets-to-files.ts";
import { activeModelForScoring } from "../../src/db/repositories/models.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { dayToDate, parseDay } from "../../src/domain/dates.ts";
import { churnChance, churnProbability } from "../../src/domain/model/churn-map.ts";
import { parseModel } from "../../src/domain/model/parse-model.ts";
import type { ChurnMap } from "../../src/domain/model/schema.ts";
import { lastBacktestNote } from "../../src/services/backtest-history.ts";
import { runCli } from "../support/cli.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { tempDir, writeTempFile } from "../support/files.ts";

// A slice of the real data kept in the repository (test/fixtures/datasets/README.md says whence).
const DATASETS = new URL("../fixtures/datasets/", import.meta.url).pathname;
const EXAMPLE_MODEL = new URL("../../examples/iranian-churn-model.yaml", import.meta.url).pathname;

const cli = (args: string[], env: Record<string, string | undefined> = {}) => runCli(args, env);

const MODEL = writeTempFile("model.yaml", [
  "name: small",
  "bands:",
  "  - { key: healthy, min: 80 }",
  "  - { key: caution, min: 70 }",
  "  - { key: at_risk, min: 0 }",
  "components:",
  "  - key: usage",
  "    input: { metric: usage, agg: last, window_days: 30 }",
  "    scale: { min: 0, max: 100 }",
  "    weight: 60",
  "  - key: tickets",
  "    input: { metric: tickets, agg: last, window_days: 30 }",
  "    scale: { min: 10, max: 0 }",
  "    weight: 40",
]);
const ACCOUNTS = writeTempFile("accounts.csv", [
  "account_id,name",
  "A1,One",
  "A2,Two",
  "A3,Three",
  "A4,Four",
  "A5,Five",
]);
// usage dated on the as-of day (2026-03-01) must not count: A1's score uses 2026-02-20 only.
const METRICS = writeTempFile("metrics.csv", [
  "account_id,metric,value,observed_at",
  "A1,usage,20,2026-02-20",
  "A1,usage,100,2026-03-01",
  "A2,usage,90,2026-02-25",
  "A3,usage,60,2026-02-25",
  "A4,usage,95,2026-02-25",
  "A1,tickets,8,2026-02-20",
  "A2,tickets,1,2026-02-20",
  "A3,tickets,6,2026-02-20",
  "A4,tickets,0,2026-02-20",
]);
const OUTCOMES = writeTempFile("outcomes.csv", [
  "account_id,churned,churned_at",
  "A1,1,2026-04-10",
  "A2,false,",
  "A3,true,",
  "A4,0,",
  "A5,0,",
]);
const files = (outcomes = OUTCOMES) => [
  "--model",
  MODEL,
  "--accounts",
  ACCOUNTS,
  "--metrics",
  METRICS,
  "--outcomes",
  outcomes,
];

interface BacktestJson {
  accounts: number;
  churned: number;
  insufficient_data: number;
  auc: number | null;
  auc_reason: string | null;
  bands: { band: string; accounts: number; churned: number; churn_rate: number | null }[];
  at_risk: { precision: number | null; recall: number | null; lift: number | null };
  components: { key: string; auc: number | null }[];
  notes: string[];
}

interface ProbabilityJson {
  brier: number | null;
  log_loss: number | null;
  ece: number | null;
  calibration: { bin: string; predicted: number; observed: number; accounts: number }[];
  probability_folds: number;
  probability_reason: string | null;
  notes: string[];
}

describe("css-bot backtest on files", () => {
  it("prints the documented JSON, with only the data observed before --as-of", async () => {
    const { code, stdout, stderr } = await cli(["backtest", ...files(), "--as-of", "2026-03-01", "--json"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const r = JSON.parse(stdout) as BacktestJson;
    expect(Object.keys(r)).toEqual(
      expect.arrayContaining([
        "accounts",
        "churned",
        "insufficient_data",
        "auc",
        "bands",
        "at_risk",
        "components",
      ]),
    );
    // Scores: A1 = 20*.6 + 20*.4 = 20 (not 100's 68), A2 = 54 + 36 = 90, A3 = 36 + 16 = 52, A4 = 97. A5: no data.
    expect(r).toMatchObject({ accounts: 4, churned: 2, insufficient_data: 1, auc: 1, auc_reason: null });
    expect(r.bands).toEqual([
      { band: "healthy", accounts: 2, churned: 0, churn_rate: 0 },
      { band: "caution", accounts: 0, churned: 0, churn_rate: null },
      { band: "at_risk", accounts: 2, churned: 2, churn_rate: 1 },
    ]);
    expect(r.at_risk).toMatchObject({ precision: 1, recall: 1, lift: 2 });
    expect(r.components.map((c) => [c.key, c.auc])).toEqual([
      ["usage", 1],
      ["tickets", 1],
    ]);
  });

  it("prints a readable report with a band table and a plot", async () => {
    const { code, stdout } = await cli(["backtest", ...files(), "--as-of", "2026-03-01"]);
    expect(code).toBe(0);
    expect(stdout).toContain("AUC 1.000");
    expect(stdout).toMatch(/at_risk \(at risk\)/);
    expect(stdout).toContain("Churn rate by score decile");
  });

  it("gives the churn probability's held-out figures: brier, log_loss, ece and calibration bins", async () => {
    const { code, stdout } = await cli([
      "backtest",
      ...files(),
      "--as-of",
      "2026-03-01",
      "--folds",
      "2",
      "--json",
    ]);
    expect(code).toBe(0);
    const r = JSON.parse(stdout) as ProbabilityJson;
    expect(r.probability_folds).toBe(2);
    expect(r.probability_reason).toBeNull();
    // Scores: churned A1 20, A3 52; retained A2 90, A4 97. Each training fold holds one churner and one
    // retained account with the churner lower, so its map is [[c, 0.75], [r, 0.25]] (1 and 0 floored
    // at half an account in two). Whatever the folds, a held-out churner reads 0.75, 0.521 or 0.542 and
    // a retained account 0.25, 0.295 or 0.328: bins from 0.5 up hold churners only, below 0.4 none.
    expect(r.calibration.reduce((n, b) => n + b.accounts, 0)).toBe(4);
    for (const b of r.calibration) {
      expect(Object.keys(b)).toEqual(["bin", "predicted", "observed", "accounts"]);
      expect(b.observed).toBe(Number(b.bin.slice(0, 4)) >= 0.5 ? 1 : 0);
    }
    expect(r.brier!).toBeGreaterThanOrEqual(0.0625);
    expect(r.brier!).toBeLessThanOrEqual((1 - 0.5214) ** 2);
    expect(r.log_loss!).toBeGreaterThanOrEqual(-Math.log(0.75));
    expect(r.log_loss!).toBeLessThanOrEqual(-Math.log(0.5214));
    expect(r.ece!).toBeGreaterThanOrEqual(0.25);
    expect(r.ece!).toBeLessThanOrEqual(0.5);

    const text = await cli(["backtest", ...files(), "--as-of", "2026-03-01", "--folds", "2"]);
    expect(text.stdout).toMatch(
      /Churn probability on 2 held-out folds .*: Brier 0\.\d{3}, log loss 0\.\d{3}/,
    );
    expect(text.stdout).toMatch(/probability +│ accounts │ predicted churn │ observed churn/);
    // With the default 5 folds, 2 churners are too few: the figures are null, and the report says why.
    const five = JSON.parse(
      (await cli(["backtest", ...files(), "--as-of", "2026-03-01", "--json"])).stdout,
    ) as ProbabilityJson;
    expect(five).toMatchObject({ brier: null, log_loss: null, ece: null, calibration: [] });
    expect(five.probability_reason).toMatch(
      /at least 5 churned and 5 retained .* \(got 2 churned, 2 retained\)/,
    );
    expect(five.notes.join("\n")).toMatch(/churn probability not evaluated/);
    expect((await cli(["backtest", ...files(), "--as-of", "2026-03-01", "--folds", "1"])).code).toBe(2);
  });

  it("calibrate writes the churn map, and says when churn dates fall beyond its horizon", async () => {
    const out = join(tempDir(), "calibrated.yaml");
    const run = (horizon: string) =>
      cli([
        "calibrate",
        ...files(),
        "--as-of",
        "2026-03-01",
        "--folds",
        "2",
        "--horizon-days",
        horizon,
        "--out",
        out,
        "--json",
      ]);
    const { code, stdout, stderr } = await run("30");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const r = JSON.parse(stdout) as { churn_probability: ChurnMap; notes: string[] };
    // A1 churned on 2026-04-10, 40 days after the as-of date: outside a 30-day horizon.
    expect(r.notes).toContain(
      "1 account(s) churned 30 days or more after 2026-03-01 (churned_at), yet count as churned within the map's 30-day horizon: give --horizon-days to match the outcomes",
    );
    expect(r.churn_probability).toMatchObject({ horizon_days: 30, portfolio: { accounts: 4, churned: 2 } });
    expect(parseModel(readFileSync(out, "utf8"), out).churn_probability).toEqual(r.churn_probability);
    const ninety = JSON.parse((await run("90")).stdout) as { notes: string[] };
    expect(ninety.notes.join("\n")).not.toMatch(/days or more after/);
    expect((await run("0")).stderr).toMatch(/--horizon-days must be a number from 1 to 3650/);
  });

  it("says AUC is undefined without churners, and leaves out accounts without an outcome", async () => {
    const noChurn = writeTempFile("outcomes.csv", ["account_id,churned", "A2,0", "A4,0"]);
    const { code, stdout } = await cli(["backtest", ...files(noChurn), "--as-of", "2026-03-01", "--json"]);
    expect(code).toBe(0);
    const r = JSON.parse(stdout) as BacktestJson & { without_outcome: number };
    expect(r.auc).toBeNull();
    expect(r.auc_reason).toMatch(/no churned accounts/);
    expect(r.without_outcome).toBe(3);
    expect(r.notes.join("\n")).toMatch(/3 account\(s\) have no outcome/);
    expect(r.notes.join("\n")).toMatch(/AUC undefined/);
    expect((await cli(["backtest", ...files(noChurn), "--as-of", "2026-03-01"])).stdout).toMatch(
      /AUC undefined \(no churned accounts/,
    );
    const onlyChurn = writeTempFile("outcomes.jsonl", [
      '{"account_id":"A1","churned":true}',
      '{"account_id":"A3","churned":1}',
    ]);
    const r2 = JSON.parse(
      (await cli(["backtest", ...files(onlyChurn), "--as-of", "2026-03-01", "--json"])).stdout,
    ) as BacktestJson;
    expect(r2).toMatchObject({ auc: null, auc_reason: expect.stringMatching(/only churned/) as string });
  });

  it("reports unknown accounts, duplicates and bad values by file, line and field", async () => {
    const bad = writeTempFile("outcomes.csv", [
      "account_id,churned,churned_at",
      "A1,1,",
      "A9,0,",
      "A1,0,",
      "A2,maybe,",
      "A3,0,2026-05-01",
    ]);
    const { code, stderr } = await cli(["backtest", ...files(bad), "--as-of", "2026-03-01"]);
    expect(code).toBe(1);
    expect(stderr).toContain(`${bad}:3 account_id: unknown account "A9"`);
    expect(stderr).toContain(`${bad}:4 account_id: duplicate outcome for "A1" (first on line 2)`);
    expect(stderr).toContain(`${bad}:5 churned: must be 1, 0, true or false, got "maybe"`);
    expect(stderr).toContain(`${bad}:6 churned_at: set, but churned is 0`);
    const skipped = await cli([
      "backtest",
      ...files(bad),
      "--as-of",
      "2026-03-01",
      "--skip-invalid",
      "--json",
    ]);
    expect(skipped.code).toBe(0);
    expect(skipped.stderr).toContain("skipped 4 invalid row(s)");
  });

  it("refuses an as-of date after all the data with a clear message", async () => {
    const { code, stderr } = await cli(["backtest", ...files(), "--as-of", "2027-01-01"]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/no account could be scored as of 2027-01-01: the latest data is from 2026-03-01/);
  });

  it("back-tests the forecast in money: predicted against actual churned MRR per month", async () => {
    // Four churners all score 20 and four retained accounts 90. With 2 folds each training fold holds
    // two of each, so its map is [[20, 0.875], [90, 0.125]] (1 and 0 kept half an account in four away)
    // and every held-out churner reads 0.875, every retained account 0.125, whatever the shuffle.
    const ids = ["C1", "C2", "C3", "C4", "R1", "R2", "R3", "R4"];
    const accounts = writeTempFile("accounts.csv", [
      "account_id,name,mrr",
      "C1,C1,1000",
      "C2,C2,500",
      "C3,C3,9999", // its mrr metric wins: 300 as of 2026-02-15 (700 on 2026-03-05 is not known yet)
      "C4,C4,", // no MRR at all: left out of both columns
      "R1,R1,200",
      "R2,R2,400",
      "R3,R3,600",
      "R4,R4,800",
    ]);
    const metrics = writeTempFile("metrics.csv", [
      "account_id,metric,value,observed_at",
      ...ids.map((id) => `${id},usage,${id.startsWith("C") ? 20 : 90},2026-02-20`),
      "C3,mrr,300,2026-02-15",
      "C3,mrr,700,2026-03-05",
    ]);
    const outcomes = writeTempFile("outcomes.csv", [
      "account_id,churned,churned_at",
      "C1,1,2026-03-20",
      "C2,1,2026-05-02",
      "C3,1,",
      "C4,1,2026-04-01",
      ...["R1", "R2", "R3", "R4"].map((id) => `${id},0,`),
    ]);
    const args = (...more: string[]) => [
      "backtest",
      ...["--model", MODEL, "--accounts", accounts, "--metrics", metrics, "--outcomes", outcomes],
      ...["--as-of", "2026-03-01", "--folds", "2", ...more],
    ];
    const { code, stdout, stderr } = await cli(args("--json"));
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const r = JSON.parse(stdout) as { revenue_forecast: unknown; notes: string[] };
    // Expected loss: 0.875 × (1000 + 500 + 300) + 0.125 × (200 + 400 + 600 + 800) = 1575 + 250 = 1825,
    // spread over the 90 days from 2026-03-01: 31 in March, 30 in April, 29 in May. A map fitted on
    // all eight (in sample: 0.9375 and 0.0625) would predict 1812.5: the forecast reads held-out maps.
    expect(r.revenue_forecast).toEqual({
      horizon_days: 90,
      accounts: 7,
      accounts_without_mrr: 1,
      predicted_total: 1825,
      actual_total: 1800,
      churned_without_date: 1,
      actual_without_date_mrr: 300,
      months: [
        { month: "2026-03", predicted_mrr: 628.61, actual_mrr: 1000, accounts: 7, churned: 1 },
        { month: "2026-04", predicted_mrr: 608.33, actual_mrr: 0, accounts: 7, churned: 0 },
        { month: "2026-05", predicted_mrr: 588.06, actual_mrr: 500, accounts: 7, churned: 1 },
      ],
      reason: null,
    });
    expect(r.notes).toEqual(
      expect.arrayContaining([
        "1 account(s) have no MRR and are left out of the revenue forecast",
        "1 churned account(s) have no churned_at: their MRR counts in the actual total, in no month",
      ]),
    );

    // A 30-day horizon puts the whole expected loss in March.
    const month = JSON.parse((await cli(args("--horizon-days", "30", "--json"))).stdout) as {
      revenue_forecast: { months: { month: string; predicted_mrr: number }[] };
    };
    expect(month.revenue_forecast.months.map((m) => [m.month, m.predicted_mrr])).toEqual([
      ["2026-03", 1825],
      ["2026-05", 0],
    ]);

    const text = (await cli(args())).stdout;
    expect(text).toContain("MRR × probability, spread evenly over the 90 days from 2026-03-01");
    expect(text).toMatch(/│ 2026-03 +│ +7 │ +628\.61 │ +1 │ +1,000\.00 │/);
    expect(text).toMatch(/│ no churn date +│ +│ +│ +1 │ +300\.00 │/);
    expect(text).toMatch(/│ total +│ +7 │ +1,825\.00 │ +3 │ +1,800\.00 │/);

    // Too few churners for the folds: no probability, so no forecast, and the report says why.
    const five = JSON.parse((await cli(args("--folds", "5", "--json"))).stdout) as {
      revenue_forecast: { reason: string; predicted_total: null; months: [] };
    };
    expect(five.revenue_forecast).toMatchObject({
      reason: "no account has a held-out churn probability",
      predicted_total: null,
      months: [],
    });
    expect((await cli(args("--folds", "5"))).stdout).toContain(
      "Revenue forecast: not made (no account has a held-out churn probability)",
    );
    expect((await cli(args("--horizon-days", "0"))).code).toBe(2);
  });

  it("needs its file options unless --from-history", async () => {
    const { code, stderr } = await cli(["backtest", "--model", MODEL]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/missing --accounts, --outcomes, --as-of/);
  });
});

describe("backtest and calibrate on a slice of the real Iranian churn data", () => {
  let dir: string;
  beforeAll(async () => {
    dir = tempDir();
    await convertDataset("iranian", join(DATASETS, "iranian-churn-600.csv"), dir, {
      limit: 600,
      asOf: "2026-01-01",
    });
  });
  const real = () => [
    "--model",
    EXAMPLE_MODEL,
    "--accounts",
    join(dir, "accounts.csv"),
    "--metrics",
    join(dir, "metrics.csv"),
    "--outcomes",
    join(dir, "outcomes.csv"),
    "--as-of",
    "2026-01-01",
  ];

  it("back-tests the documented example model", async () => {
    const { code, stdout } = await cli(["backtest", ...real(), "--json"]);
    expect(code).toBe(0);
    const r = JSON.parse(stdout) as BacktestJson & ProbabilityJson & { churn_rate: number };
    expect(r.accounts).toBe(600);
    expect(r.churned).toBeGreaterThan(30);
    expect(r.auc!).toBeGreaterThan(0.6);
    // Held-out probabilities beat the base rate given to everyone (Brier rate * (1 - rate)), and
    // are calibrated to within a few points.
    expect(r.brier!).toBeLessThan(r.churn_rate * (1 - r.churn_rate));
    expect(r.log_loss!).toBeLessThan(
      -(r.churn_rate * Math.log(r.churn_rate) + (1 - r.churn_rate) * Math.log(1 - r.churn_rate)),
    );
    expect(r.ece!).toBeLessThan(0.05);
    expect(r.calibration.reduce((n, b) => n + b.accounts, 0)).toBe(600);
  });

  it("with --fit weights, writes a calibrated model that loads and differs only in weights, threshold and the churn map at the end", async () => {
    const out = join(dir, "calibrated.yaml");
    const { code, stdout, stderr } = await cli([
      "calibrate",
      ...real(),
      "--fit",
      "weights",
      "--out",
      out,
      "--folds",
      "4",
      "--seed",
      "9",
      "--target-recall",
      "0.7",
      "--horizon-days",
      "60",
      "--json",
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const r = JSON.parse(stdout) as {
      folds: number;
      before: {
        auc: number;
        auc_folds: number[];
        at_risk: { precision: number; recall: number };
      } & ProbabilityJson;
      after: {
        auc: number;
        auc_folds: number[];
        at_risk: { precision: number; recall: number };
      } & ProbabilityJson;
      weights: { key: string; before: number; after: number }[];
      at_risk_threshold: { band: string; before: number; after: number };
      churn_probability: ChurnMap;
    };
    expect(r.folds).toBe(4);
    expect(r.after.auc_folds).toHaveLength(4);
    expect(r.at_risk_threshold.band).toBe("caution");
    // The churn probability before and after, each fold through a map fitted on the other folds.
    for (const h of [r.before, r.after]) {
      expect(h.probability_reason).toBeNull();
      expect(h.brier!).toBeGreaterThan(0);
      expect(h.log_loss!).toBeGreaterThan(h.brier!);
      expect(h.ece!).toBeLessThan(0.1);
      expect(h.calibration.reduce((n, b) => n + b.accounts, 0)).toBe(600);
    }
    const input = readFileSync(EXAMPLE_MODEL, "utf8");
    const whole = readFileSync(out, "utf8");
    expect(whole).toMatch(/^# Calibrated by `css-bot calibrate`/);
    // The churn map is appended: the input's text (weights and threshold aside) comes before it.
    const mapAt = whole.indexOf("\nchurn_probability:\n");
    expect(mapAt).toBeGreaterThan(0);
    const written = whole.slice(0, mapAt + 1);
    expect(written.split("\n").length).toBe(
      input.split("\n").length + written.split("\n").findIndex((l) => l === "#") + 1,
    );
    const before = parseModel(input, "input");
    const after = parseModel(written, out);
    expect(after.components.map((c) => c.weight)).toEqual(r.weights.map((w) => w.after));
    const calibrated = parseModel(whole, out);
    expect(calibrated.churn_probability).toEqual(r.churn_probability);
    expect(r.churn_probability).toMatchObject({
      horizon_days: 60,
      method: "isotonic",
      portfolio: { accounts: 600 },
    });
    // A low score reads a higher chance than a high one, in words only because a map exists.
    expect(churnProbability(calibrated, null, 30)!).toBeGreaterThan(churnProbability(calibrated, null, 90)!);
    expect(churnChance(calibrated, null, 90)).toMatch(/chance of churning within 60 days$/);
    expect(churnChance(before, null, 90)).toBeNull();
    const strip = (m: typeof before) => ({
      ...m,
      components: m.components.map((c) => ({ ...c, weight: 0 })),
      bands: m.bands.map((b) => (b.key === "caution" ? { ...b, min: 0 } : b)),
    });
    expect(strip(after)).toEqual(strip(before));
    expect(after.bands.find((b) => b.key === "caution")!.min).toBe(r.at_risk_threshold.after);
    // Only the weight and threshold lines (and the comment on top) changed.
    const body = written.split("\n").filter((l) => !l.startsWith("#"));
    const original = input.split("\n").filter((l) => !l.startsWith("#"));
    const changed = body.filter((l, i) => l !== original[i]);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.every((l) => /^\s+weight: [\d.]+$/.test(l) || /key: caution, min: [\d.]+/.test(l))).toBe(
      true,
    );
  });

  it("fits monotone scales with the weights by default, keeping the file's comments and layout", async () => {
    const out = join(dir, "scales.yaml");
    const { code, stdout, stderr } = await cli(["calibrate", ...real(), "--out", out, "--json"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const r = JSON.parse(stdout) as {
      fit: { mode: string; max_points: number; keep_direction: boolean };
      before: { auc: number };
      after: { auc: number; at_risk: { accounts: number } };
      weights: { key: string; after: number }[];
      scales: {
        key: string;
        direction: 1 | -1;
        direction_from: string;
        after: { points: [number, number][] };
      }[];
    };
    expect(r.fit).toEqual({ mode: "all", max_points: 10, keep_direction: false });
    expect(r.after.auc).toBeGreaterThan(r.before.auc);
    const input = readFileSync(EXAMPLE_MODEL, "utf8");
    const written = readFileSync(out, "utf8");
    const after = parseModel(written, out);
    expect(after.components.map((c) => c.scale)).toEqual(r.scales.map((s) => s.after));
    expect(after.components.map((c) => c.weight)).toEqual(r.weights.map((w) => w.after));
    for (const s of r.scales) {
      expect(s.after.points.length).toBeLessThanOrEqual(10);
      const ys = s.after.points.map((p) => p[1]);
      ys.slice(1).forEach((y, i) => expect((y - ys[i]!) * s.direction).toBeGreaterThanOrEqual(0));
    }
    expect(written).toMatch(/^# Scales: monotone piecewise-linear, breakpoints at up to 10 quantiles/m);
    // Only weight, scale and band lines changed (the churn map is added at the end); every comment
    // of the input is still there.
    const mapAt = written.indexOf("\nchurn_probability:\n");
    expect(mapAt).toBeGreaterThan(0);
    const body = written
      .slice(0, mapAt + 1)
      .split("\n")
      .filter((l) => !l.startsWith("#"));
    const original = input.split("\n").filter((l) => !l.startsWith("#"));
    expect(body).toHaveLength(original.length);
    const changed = body.filter((l, i) => l !== original[i]);
    expect(
      changed.every((l) =>
        /^\s+(weight: [\d.]+|scale: \{ points: .*\}( #.*)?)$|key: \w+, min: [\d.]+/.test(l),
      ),
    ).toBe(true);
    expect(written).toContain("# 1 = complained");
    expect(written).toContain("# fewer is better");
  });

  it("keeps the model's directions with --keep-direction", async () => {
    const out = join(dir, "kept.yaml");
    const args = ["calibrate", ...real(), "--out", out, "--keep-direction", "--max-points", "4", "--json"];
    const { code, stdout } = await cli(args);
    expect(code).toBe(0);
    const r = JSON.parse(stdout) as { scales: { key: string; direction: number; direction_from: string }[] };
    const model = parseModel(readFileSync(EXAMPLE_MODEL, "utf8"), "input");
    expect(r.scales.map((s) => [s.key, s.direction, s.direction_from])).toEqual(
      model.components.map((c) => [
        c.key,
        "points" in c.scale ? 1 : c.scale.max > c.scale.min ? 1 : -1,
        "model",
      ]),
    );
    for (const c of parseModel(readFileSync(out, "utf8"), out).components)
      if ("points" in c.scale) expect(c.scale.points.length).toBeLessThanOrEqual(4);
  });

  it("refuses fit options that make no sense, as usage errors", async () => {
    const out = join(dir, "never.yaml");
    for (const [flags, message] of [
      [["--fit", "curves"], /--fit must be one of weights, scales, all, got "curves"/],
      [
        ["--fit", "weights", "--max-points", "5"],
        /--max-points shapes fitted scales: it needs --fit scales or --fit all/,
      ],
      [["--fit", "weights", "--keep-direction"], /--keep-direction shapes fitted scales/],
      [["--max-points", "1"], /--max-points must be a number from 2 to 100, got "1"/],
      [["--max-points", "2.5"], /--max-points must be a whole number/],
    ] as const) {
      const { code, stderr } = await cli(["calibrate", ...real(), "--out", out, ...flags]);
      expect(code).toBe(2);
      expect(stderr).toMatch(message);
    }
  });

  it("refuses an output file that cannot hold the evidence comment", async () => {
    const { code, stderr } = await cli(["calibrate", ...real(), "--out", join(dir, "m.json")]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/name it \.yaml or \.yml/);
  });
});

describe("css-bot backtest --from-history (PostgreSQL)", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase("postgres");
  });
  afterAll(async () => {
    await db?.close();
  });

  it("reads the snapshots lead-days before each churn, gives lead times and records the run", async () => {
    const ws = await ensureWorkspace(db.prisma, "bt");
    const model = await activeModelForScoring(db.prisma, ws.id);
    const day = (s: string) => parseDay(s)!;
    // C1 churned 2026-06-30, at risk from 2026-04-01 (90 days before); C2 churned 2026-06-30, never warned.
    // R1, R2 active: healthy and at risk. Snapshots every 10 days from 2026-01-01 to 2026-08-29.
    const accounts = [
      {
        id: "C1",
        churnedAt: "2026-06-30",
        band: (d: number) => (d >= day("2026-04-01") ? "at_risk" : "caution"),
      },
      { id: "C2", churnedAt: "2026-06-30", band: () => "healthy" },
      { id: "R1", churnedAt: null, band: () => "healthy" },
      { id: "R2", churnedAt: null, band: () => "at_risk" },
    ];
    const scoreOf: Record<string, number> = { healthy: 90, caution: 75, at_risk: 50 };
    for (const a of accounts) {
      const row = await db.prisma.account.create({
        data: {
          workspaceId: ws.id,
          externalId: a.id,
          name: a.id,
          status: a.churnedAt ? "churned" : "active",
          churnedAt: a.churnedAt ? dayToDate(day(a.churnedAt)) : null,
        },
      });
      const data = [];
      for (let d = day("2026-01-01"); d <= day("2026-08-29"); d += 10) {
        if (a.churnedAt && d >= day(a.churnedAt)) break;
        const band = a.band(d);
        data.push({
          workspaceId: ws.id,
          accountId: row.id,
          asOf: dayToDate(d),
          modelId: model.id,
          score: scoreOf[band]!,
          band,
          coverage: 1,
          components: [{ key: "usage", raw: 1, score: scoreOf[band]!, weight: 1, points: scoreOf[band]! }],
        });
      }
      await db.prisma.scoreSnapshot.createMany({ data });
    }
    const env = { DATABASE_URL: db.url! };
    const { code, stdout, stderr } = await cli(
      ["backtest", "--from-history", "--lead-days", "60", "-w", "bt", "--json"],
      env,
    );
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const r = JSON.parse(stdout) as BacktestJson & {
      lead_days: number;
      retained_reference_day: string;
      lead_time: { accounts: number; warned: number; median: number };
    };
    expect(r).toMatchObject({ lead_days: 60, accounts: 4, churned: 2, auc: 0.5 });
    // Four accounts are too few for the churn probability's 5 held-out folds: said, not made up.
    expect((r as unknown as ProbabilityJson).probability_reason).toMatch(/at least 5 churned and 5 retained/);
    // Churners read on or before 2026-05-01 (C1 at risk, C2 healthy); retained on the same day.
    expect(r.retained_reference_day).toBe("2026-05-01");
    expect(r.at_risk).toMatchObject({ precision: 0.5, recall: 0.5 });
    // C1's at-risk stretch started on the first snapshot on or after 2026-04-01: 2026-04-01 + k*10 days.
    expect(r.lead_time).toMatchObject({ accounts: 2, warned: 1 });
    expect(r.lead_time.median).toBeGreaterThanOrEqual(80);
    expect(r.lead_time.median).toBeLessThanOrEqual(90);

    const note = await lastBacktestNote(db.prisma, ws.id);
    expect(note).toMatch(
      /Last back-test .*60 days ahead\): AUC 0\.50, at-risk precision 50%, recall 50%; median lead time \d+ days \(1 of 2/,
    );
    expect((await cli(["backtest", "--from-history", "--model", MODEL, "-w", "bt"], env)).code).toBe(2);
  });

  it("back-tests the forecast in money from history: each sample's expected loss in the month its outcome is judged", async () => {
    const ws = await ensureWorkspace(db.prisma, "rev");
    const model = await activeModelForScoring(db.prisma, ws.id);
    const day = (s: string) => parseDay(s)!;
    // Lead 30 days. Churners score 20 on their snapshot 30 days before churning, retained accounts 90
    // on 2026-03-18 (the median of the churners' reference days) and 2026-06-30. With 2 folds every
    // held-out churner reads 0.875 and every retained account 0.125 (as on files above).
    const accounts = [
      { id: "C1", churnedAt: "2026-03-20", snaps: ["2026-02-18"], mrr: 1000 },
      // Its mrr metric wins: 500 on 2026-03-01 (800 on 2026-03-20 is after its snapshot).
      { id: "C2", churnedAt: "2026-04-10", snaps: ["2026-03-11"], mrr: 9999 },
      { id: "C3", churnedAt: "2026-04-25", snaps: ["2026-03-26"], mrr: null }, // no MRR
      { id: "C4", churnedAt: "2026-05-15", snaps: ["2026-04-15"], mrr: 200 },
      ...["R1", "R2", "R3", "R4"].map((id) => ({
        id,
        churnedAt: null,
        snaps: ["2026-03-18", "2026-06-30"],
        mrr: 100,
      })),
    ];
    const internal = new Map<string, number>();
    for (const a of accounts) {
      const row = await db.prisma.account.create({
        data: {
          workspaceId: ws.id,
          externalId: a.id,
          name: a.id,
          mrr: a.mrr,
          status: a.churnedAt ? "churned" : "active",
          churnedAt: a.churnedAt ? dayToDate(day(a.churnedAt)) : null,
        },
      });
      internal.set(a.id, row.id);
      const score = a.churnedAt ? 20 : 90;
      await db.prisma.scoreSnapshot.createMany({
        data: a.snaps.map((d) => ({
          workspaceId: ws.id,
          accountId: row.id,
          asOf: dayToDate(day(d)),
          modelId: model.id,
          score,
          band: score < 50 ? "at_risk" : "healthy",
          coverage: 1,
          components: [{ key: "usage", raw: 1, score, weight: 1, points: score }],
        })),
      });
    }
    const observation = (id: string, value: number, on: string) => ({
      workspaceId: ws.id,
      accountId: internal.get(id)!,
      metric: "mrr",
      observedOn: dayToDate(day(on)),
      value,
      source: "import",
    });
    await db.prisma.metricObservation.createMany({
      data: [
        observation("C2", 500, "2026-03-01"),
        observation("C2", 800, "2026-03-20"),
        // R4's only MRR is observed after its reference day: unknown then, not its field's 100.
        observation("R4", 100, "2026-05-01"),
      ],
    });
    const env = { DATABASE_URL: db.url! };
    const args = ["backtest", "--from-history", "--lead-days", "30", "--folds", "2", "-w", "rev"];
    const { code, stdout, stderr } = await cli([...args, "--json"], env);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const r = JSON.parse(stdout) as { retained_reference_day: string; revenue_forecast: unknown };
    expect(r.retained_reference_day).toBe("2026-03-18");
    // C1 875 in March; C2 437.5 and R1-R3 3 × 12.5 in April (2026-03-18 + 30 days); C4 175 in May.
    expect(r.revenue_forecast).toEqual({
      horizon_days: 30,
      accounts: 6,
      accounts_without_mrr: 2,
      predicted_total: 1525,
      actual_total: 1700,
      churned_without_date: 0,
      actual_without_date_mrr: 0,
      months: [
        { month: "2026-03", predicted_mrr: 875, actual_mrr: 1000, accounts: 1, churned: 1 },
        { month: "2026-04", predicted_mrr: 475, actual_mrr: 500, accounts: 4, churned: 1 },
        { month: "2026-05", predicted_mrr: 175, actual_mrr: 200, accounts: 1, churned: 1 },
      ],
      reason: null,
    });
    const text = await cli(args, env);
    expect(text.stdout).toContain(
      "MRR × probability, in the month 30 days after the snapshot it was read from",
    );
    expect(text.stdout).toMatch(/│ total +│ +6 │ +1,525\.00 │ +3 │ +1,700\.00 │/);
    expect((await cli([...args, "--horizon-days", "30"], env)).code).toBe(2);
  });
});
