// The css-bot command line end to end: real files, the real database (PostgreSQL and the embedded
// one), driven in-process through run() with captured output.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openQueues } from "../../src/jobs/queues.ts";
import { runCli } from "../support/cli.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { FIXTURES, tempDir, writeTempFile } from "../support/files.ts";
import { deleteKeys, testRedisUrl, uniquePrefix } from "../support/queues.ts";

const MODEL = new URL("../fixtures/issue-model.yaml", import.meta.url).pathname;
const FIXTURE_FILES = [
  "--accounts",
  `${FIXTURES}accounts.csv`,
  "--metrics",
  `${FIXTURES}metrics.csv`,
  "--responses",
  `${FIXTURES}responses.jsonl`,
];

const cli = (args: string[], env: Record<string, string | undefined> = {}) => runCli(args, env);

describe("css-bot without a database", () => {
  it("has --help on every command", async () => {
    const top = await cli(["--help"]);
    expect(top.code).toBe(0);
    for (const command of ["score", "kpis", "import", "model", "recompute", "explain", "demo", "db"]) {
      expect(top.stdout).toContain(command);
      const help = await cli([command, "--help"]);
      expect(help.code, command).toBe(0);
      expect(help.stdout).toMatch(/^Usage: css-bot /);
    }
    for (const sub of [
      ["model", "validate"],
      ["model", "set"],
      ["model", "show"],
      ["db", "migrate"],
    ]) {
      expect((await cli([...sub, "--help"])).code).toBe(0);
    }
  });

  it("scores files to the documented JSON shape", async () => {
    const { code, stdout } = await cli([
      "score",
      "--model",
      MODEL,
      ...FIXTURE_FILES,
      "--as-of",
      "2026-06-30",
      "--json",
    ]);
    expect(code).toBe(0);
    const scores = JSON.parse(stdout) as {
      account_id: string;
      score: number | null;
      band: string;
      coverage: number;
      components: { key: string; raw: number | null; score: number | null; weight: number }[];
    }[];
    expect(scores.map((s) => s.account_id)).toEqual(["A1", "A2", "A3"]);
    for (const s of scores)
      expect(Object.keys(s)).toEqual(["account_id", "name", "score", "band", "coverage", "components"]);
    expect(scores[0]!.score).toBeCloseTo(4862.5 / 70, 9);
    expect(scores[0]!.components.reduce((sum, c) => sum + c.weight, 0)).toBeCloseTo(1, 12);
    expect(Object.keys(scores[0]!.components[0]!)).toEqual(["key", "raw", "score", "weight"]);
    // A3 has no data at all: no score, and every component without data has raw, score null and weight 0.
    expect(scores[2]).toMatchObject({ score: null, band: "insufficient_data", coverage: 0 });
    expect(scores[2]!.components.every((c) => c.raw === null && c.score === null && c.weight === 0)).toBe(
      true,
    );

    const table = await cli([
      "score",
      "--model",
      MODEL,
      "--accounts",
      `${FIXTURES}accounts.csv`,
      "--as-of",
      "2026-06-30",
    ]);
    expect(table.stdout).toMatch(/A2 .*Beta, Inc\./);
  });

  it("computes KPIs for a month to the documented keys", async () => {
    const { code, stdout } = await cli(["kpis", ...FIXTURE_FILES, "--period", "2026-06", "--json"]);
    expect(code).toBe(0);
    const kpis = JSON.parse(stdout) as Record<string, number | null>;
    // Revenue at risk needs --model with a churn map (test/cli/kpis-revenue.int.test.ts).
    expect(Object.keys(kpis)).toEqual([
      "nps",
      "csat",
      "ces",
      "customer_churn_rate",
      "customer_retention_rate",
      "net_mrr_churn_rate",
      "clv",
      "adoption_rate",
      "revenue_at_risk",
    ]);
    // Responses in June: NPS [10,9,8,3] -> 25; CSAT [4,4] -> 100%. A1 (since 2024) and A2 (since 2025-03)
    // were customers on 2026-05-31 (A3 has no created_at, so it counts too); A3 churned 2026-06-10: 1/3.
    expect(kpis).toMatchObject({ nps: 25, csat: 100, ces: null });
    expect(kpis.customer_churn_rate).toBeCloseTo(1 / 3, 12);
  });

  it("fails with a clear message and exit code on bad input", async () => {
    const badModel = writeTempFile("model.yaml", [
      "name: x",
      "bands: [{ key: a, min: 0 }]",
      "components:",
      "  - { key: u, input: { metric: m, agg: avg, window_days: 7 }, scale: { min: 1, max: 1 }, weight: 1 }",
    ]);
    const validate = await cli(["model", "validate", badModel]);
    expect(validate.code).toBe(1);
    expect(validate.stderr).toContain(`${badModel}:4 components[0].scale.max: min and max must differ`);

    const badRows = await cli([
      "score",
      "--model",
      MODEL,
      "--accounts",
      `${FIXTURES}accounts.csv`,
      "--metrics",
      `${FIXTURES}metrics-bad.csv`,
    ]);
    expect(badRows.code).toBe(1);
    expect(badRows.stderr).toContain(`${FIXTURES}metrics-bad.csv:3 value: not a number: "lots"`);
    expect(badRows.stderr).toContain(`${FIXTURES}metrics-bad.csv:4 account_id: unknown account "A9"`);

    const usage = await cli([
      "score",
      "--model",
      MODEL,
      "--accounts",
      `${FIXTURES}accounts.csv`,
      "--as-of",
      "2026-13-01",
    ]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--as-of must be a date YYYY-MM-DD, got "2026-13-01"');
    expect((await cli(["scroe"])).code).toBe(2);
    expect((await cli(["score", "--model", "nope.yaml", "--accounts", "x.csv"])).stderr).toContain(
      "nope.yaml: no such file",
    );
  });

  it("runs as the css-bot command, with its exit code", async () => {
    const exec = promisify(execFile);
    const bin = new URL("../../bin/css-bot.js", import.meta.url).pathname;
    const { stdout } = await exec("node", [bin, "model", "validate", MODEL]);
    expect(stdout).toContain("valid");
    const failed = await exec("node", [bin, "model", "validate", "/nonexistent.yaml"]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining("no such file") as string });
  });
});

describe.each(["postgres", "pglite"] as const)("css-bot on %s", (backend) => {
  let db: TestDatabase | undefined;
  let env: Record<string, string>;
  // A recompute hands its band changes to the notifications queue: a queue prefix of the test's own.
  const queues = { REDIS_URL: testRedisUrl, CSS_QUEUE_PREFIX: uniquePrefix() };

  beforeAll(async () => {
    if (backend === "postgres") {
      db = await createTestDatabase("postgres");
      env = { DATABASE_URL: db.url!, ...queues };
    } else {
      env = { CSS_DATA_DIR: tempDir(), ...queues };
    }
  });
  afterAll(async () => {
    await db?.close();
    await deleteKeys(queues.CSS_QUEUE_PREFIX);
  });

  it("imports, recomputes and explains, and a bad file writes nothing", async () => {
    const bad = await cli(["import", "metrics", `${FIXTURES}metrics-bad.csv`], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("nothing was written");

    for (let i = 0; i < 2; i++) {
      expect((await cli(["import", "accounts", `${FIXTURES}accounts.csv`], env)).stdout).toBe(
        `imported 3 accounts from ${FIXTURES}accounts.csv\n`,
      );
      expect((await cli(["import", "metrics", `${FIXTURES}metrics.csv`], env)).code).toBe(0);
      expect((await cli(["import", "responses", `${FIXTURES}responses.jsonl`], env)).code).toBe(0);
    }
    expect((await cli(["model", "set", MODEL], env)).stdout).toContain('stored model "default" as version 1');
    expect((await cli(["model", "show"], env)).stdout).toContain("# active model: version 1\nname: default");

    const day1 = await cli(["recompute", "--as-of", "2026-06-29", "--json"], env);
    expect(JSON.parse(day1.stdout)).toEqual({
      as_of: "2026-06-29",
      accounts: 2,
      scored: 2,
      insufficient_data: 0,
      band_changes: 0,
      errors: [],
    });
    await cli(
      [
        "import",
        "metrics",
        writeTempFile("m.csv", ["account_id,metric,value,observed_at", "A1,open_tickets,0,2026-06-30"]),
      ],
      env,
    );
    const day2 = JSON.parse((await cli(["recompute", "--as-of", "2026-06-30", "--json"], env)).stdout) as {
      band_changes: number;
    };
    // 67.3 -> 78.0 crosses the enterprise caution floor (72) by more than the hysteresis (2).
    expect(day2.band_changes).toBe(1);
    // Each run's band changes were handed to the notifications queue, as a scheduled run's are.
    const notify = openQueues(queues.REDIS_URL, queues.CSS_QUEUE_PREFIX);
    try {
      const waiting = await notify.queue.notify.getJobs(["waiting"]);
      expect(waiting.map((j) => j.name)).toEqual(["notify-band-changes", "notify-band-changes"]);
    } finally {
      await notify.close();
    }

    const explained = await cli(["explain", "acme corp", "--json"], env);
    expect(explained.code).toBe(0);
    const x = JSON.parse(explained.stdout) as Record<string, unknown> & {
      drivers: { key: string; delta: number }[];
    };
    expect(Object.keys(x).slice(0, 6)).toEqual([
      "account_id",
      "name",
      "score",
      "band",
      "coverage",
      "components",
    ]);
    // A1 is enterprise (weights nps 25, usage 30, tickets 15 of 70; NPS 25 -> 62.5 both days).
    // 2026-06-29: usage avg(0.5, 0.6) = 0.55 -> 75 (the 0.7 of 06-30 is after the date); tickets 4 -> 60:
    //   (62.5*25 + 75*30 + 60*15) / 70 = 4712.5 / 70 = 67.32
    // 2026-06-30: usage avg(0.5, 0.6, 0.7) = 0.6 -> 80; tickets 0 -> 100:
    //   (62.5*25 + 80*30 + 100*15) / 70 = 5462.5 / 70 = 78.04
    // Drivers: tickets +40 x 15/70 = +8.57, usage +5 x 30/70 = +2.14.
    expect(x.previous_score).toBeCloseTo(4712.5 / 70, 9);
    expect(x.score).toBeCloseTo(5462.5 / 70, 9);
    // Points are kept to 4 decimals, so a delta is within 1e-4 of the exact one.
    expect(x.drivers.map((d) => d.key)).toEqual(["tickets", "usage"]);
    expect(x.drivers[0]!.delta).toBeCloseTo((40 * 15) / 70, 3);
    expect(x.drivers[1]!.delta).toBeCloseTo((5 * 30) / 70, 3);
    expect(x.summary).toBe("67 -> 78: tickets +9, usage +2");
    // Where each metric component's input came from: the files imported above.
    expect(x.sources).toMatchObject({ usage: ["import"], tickets: ["import"] });
    expect(x).toMatchObject({
      band: "caution",
      previous_band: "at_risk",
      previous_as_of: "2026-06-29",
      as_of: "2026-06-30",
    });
    // The enterprise segment has bands of its own: shown, so that 78 in caution reads right.
    expect(x).toMatchObject({
      bands: [
        { key: "healthy", label: "healthy", min: 85 },
        { key: "caution", label: "caution", min: 72 },
        { key: "at_risk", label: "at risk", min: 0 },
      ],
      bands_segment: "enterprise",
    });

    const text = await cli(["explain", "A1"], env);
    expect(text.stdout).toContain("Since 2026-06-29: 67 -> 78: tickets +9, usage +2");
    expect(text.stdout).toMatch(/usage .* import/);
    expect(text.stdout).toContain("Bands of enterprise: healthy 85+ · caution 72+ · at risk below 72");
    // A segment without bands of its own: the model's, and no line for them.
    const beta = JSON.parse((await cli(["explain", "A2", "--json"], env)).stdout) as Record<string, unknown>;
    expect(beta).toMatchObject({ bands_segment: null, bands: [{ min: 80 }, { min: 70 }, { min: 0 }] });
    expect((await cli(["explain", "A2"], env)).stdout).not.toContain("Bands of");

    const skipped = await cli(
      ["import", "metrics", `${FIXTURES}metrics-bad.csv`, "--skip-invalid", "--json"],
      env,
    );
    expect(JSON.parse(skipped.stdout)).toEqual({
      kind: "metrics",
      file: `${FIXTURES}metrics-bad.csv`,
      rows: 5,
      imported: 2,
      invalid: 3,
      superseded: 0,
    });
  });

  it("refuses NUL and non-UTF-8 input with its line, skips such rows on request, and reads --encoding latin1", async () => {
    const nul = writeTempFile("nul.csv", ["account_id,name", "Z1,One", "Z2,Bad\u0000Name", "Z3,Three"]);
    const refused = await cli(["import", "accounts", nul], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `${nul}:3 name: contains a control character (U+0000 at character 4); remove it\n`,
    );
    expect(refused.stderr).toContain("1 invalid row; nothing was written");
    const skipped = await cli(["import", "accounts", nul, "--skip-invalid", "--json"], env);
    expect(skipped.code).toBe(0);
    expect(JSON.parse(skipped.stdout)).toMatchObject({ rows: 3, imported: 2, invalid: 1 });

    const latin1 = join(tempDir(), "latin1.csv");
    writeFileSync(latin1, Buffer.from("account_id,name\nL1,Caf\u00e9 Lumi\u00e8re\n", "latin1"));
    const notUtf8 = await cli(["import", "accounts", latin1], env);
    expect(notUtf8.code).toBe(1);
    expect(notUtf8.stderr).toContain(
      `${latin1}:2: not UTF-8 (byte 0xE9); re-save as UTF-8 or pass --encoding latin1`,
    );
    const read = await cli(["import", "accounts", latin1, "--encoding", "latin1"], env);
    expect(read.stdout).toBe(`imported 1 accounts from ${latin1}\n`);
    // The stored name, as the account's explanation gives it (no score yet: no model in this test).
    expect((await cli(["explain", "L1"], env)).stderr).toContain("Caf\u00e9 Lumi\u00e8re (L1)");
  });

  it("keeps workspaces apart and names unknown ones and accounts", async () => {
    const other = await cli(["recompute", "--workspace", "globex"], env);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('no workspace "globex"');
    await cli(
      [
        "import",
        "accounts",
        writeTempFile("a.csv", ["account_id,name", "G1,Acme Corp East"]),
        "-w",
        "globex",
      ],
      env,
    );
    const ambiguous = await cli(["explain", "acme", "-w", "local"], env);
    expect(ambiguous.stdout + ambiguous.stderr).not.toContain("Acme Corp East");
    expect((await cli(["explain", "zzz"], env)).stderr).toContain('no account matches "zzz"');
  });

  it("sets the source precedence of one metric, keeping the others, and names a bad item", async () => {
    const set = (...items: string[]) =>
      cli(["settings", "set", "-w", "prec", ...items.flatMap((i) => ["--source-precedence", i])], env);
    expect((await set("logins=api,track")).code).toBe(0);
    const shown = await set("weekly_active_ratio=track,connector:sql");
    expect(shown.stdout).toContain("  weekly_active_ratio: track > connector:sql\n");
    const json = await cli(["settings", "show", "--json", "-w", "prec"], env);
    expect((JSON.parse(json.stdout) as { source_precedence: unknown }).source_precedence).toEqual({
      default: [
        "connector:sql",
        "connector:stripe",
        "connector:hubspot",
        "connector:salesforce",
        "connector:zendesk",
        "api",
        "import",
        "track",
      ],
      metrics: { logins: ["api", "track"], weekly_active_ratio: ["track", "connector:sql"] },
    });
    const bad = await set("logins=api,warehouse");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--source-precedence "logins=api,warehouse": "warehouse" is not a source');
  });
});
