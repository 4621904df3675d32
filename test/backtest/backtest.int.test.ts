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
import { parseModel } from "../../src/domain/model/parse-model.ts";
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
    const r = JSON.parse(stdout) as BacktestJson;
    expect(r.accounts).toBe(600);
    expect(r.churned).toBeGreaterThan(30);
    expect(r.auc!).toBeGreaterThan(0.6);
  });

  it("with --fit weights, writes a calibrated model that loads and differs only in weights and threshold", async () => {
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
      "--json",
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const r = JSON.parse(stdout) as {
      folds: number;
      before: { auc: number; auc_folds: number[]; at_risk: { precision: number; recall: number } };
      after: { auc: number; auc_folds: number[]; at_risk: { precision: number; recall: number } };
      weights: { key: string; before: number; after: number }[];
      at_risk_threshold: { band: string; before: number; after: number };
    };
    expect(r.folds).toBe(4);
    expect(r.after.auc_folds).toHaveLength(4);
    expect(r.at_risk_threshold.band).toBe("caution");
    const input = readFileSync(EXAMPLE_MODEL, "utf8");
    const written = readFileSync(out, "utf8");
    expect(written).toMatch(/^# Calibrated by `css-bot calibrate`/);
    expect(written.split("\n").length).toBe(
      input.split("\n").length + written.split("\n").findIndex((l) => l === "#") + 1,
    );
    const before = parseModel(input, "input");
    const after = parseModel(written, out);
    expect(after.components.map((c) => c.weight)).toEqual(r.weights.map((w) => w.after));
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
    // Only weight, scale and band lines changed; every comment of the input is still there.
    const body = written.split("\n").filter((l) => !l.startsWith("#"));
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
});
