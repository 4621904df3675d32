// `css-bot calibrate --from-history`: the churn map fitted on the workspace's stored snapshots and
// churned accounts, written into the active model's text, and made active with `model set`.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { activeModelForScoring } from "../../src/db/repositories/models.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { dayToDate, parseDay } from "../../src/domain/dates.ts";
import { probabilityFromMap } from "../../src/domain/model/churn-map.ts";
import { parseModel } from "../../src/domain/model/parse-model.ts";
import type { ChurnMap } from "../../src/domain/model/schema.ts";
import { runCli } from "../support/cli.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { tempDir } from "../support/files.ts";

const day = (s: string) => parseDay(s)!;

describe("css-bot calibrate --from-history (PostgreSQL)", () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    env = { DATABASE_URL: db.url! };
    const ws = await ensureWorkspace(db.prisma, "hist");
    const model = await activeModelForScoring(db.prisma, ws.id);
    // 10 churners (churned 2026-06-30) scoring 30-48 all along, 12 retained scoring 60-93; weekly
    // snapshots from 2026-01-01. With --lead-days 60 the churners are read on or before 2026-05-01
    // and the retained on the same day: a map falling from high to low probability.
    const accounts = [
      ...Array.from({ length: 10 }, (_, i) => ({ id: `C${i}`, churned: true, score: 30 + 2 * i })),
      ...Array.from({ length: 12 }, (_, i) => ({ id: `R${i}`, churned: false, score: 60 + 3 * i })),
    ];
    // One retained account scores like the churners, so the map is no step from 1 to 0.
    accounts.push({ id: "R_low", churned: false, score: 35 });
    for (const a of accounts) {
      const row = await db.prisma.account.create({
        data: {
          workspaceId: ws.id,
          externalId: a.id,
          name: a.id,
          status: a.churned ? "churned" : "active",
          churnedAt: a.churned ? dayToDate(day("2026-06-30")) : null,
        },
      });
      const data = [];
      for (let d = day("2026-01-01"); d <= day("2026-08-27"); d += 7) {
        if (a.churned && d >= day("2026-06-30")) break;
        const band = a.score >= 80 ? "healthy" : a.score >= 70 ? "caution" : "at_risk";
        data.push({
          workspaceId: ws.id,
          accountId: row.id,
          asOf: dayToDate(d),
          modelId: model.id,
          score: a.score,
          band,
          coverage: 1,
          components: [{ key: "usage", raw: 1, score: a.score, weight: 1, points: a.score }],
        });
      }
      await db.prisma.scoreSnapshot.createMany({ data });
    }
    await ensureWorkspace(db.prisma, "empty");
  }, 60_000);
  afterAll(async () => {
    await db?.close();
  });

  it("fits the map on the history, writes it into the active model, and model set makes it active", async () => {
    const out = join(tempDir(), "with-map.yaml");
    const run = await runCli(
      ["calibrate", "--from-history", "--lead-days", "60", "-w", "hist", "--out", out, "--json"],
      env,
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const r = JSON.parse(run.stdout) as {
      from_history: boolean;
      lead_days: number;
      accounts: number;
      churned: number;
      held_out: { brier: number | null; ece: number | null };
      churn_probability: ChurnMap;
    };
    expect(r).toMatchObject({ from_history: true, lead_days: 60, accounts: 23, churned: 10 });
    // Held out on 5 folds: 10 churned and 13 retained are enough for figures.
    expect(r.held_out.brier).toBeGreaterThan(0);
    expect(r.held_out.brier).toBeLessThan(0.25);
    const map = r.churn_probability;
    expect(map.horizon_days).toBe(60);
    expect(map.portfolio).toMatchObject({ accounts: 23, churned: 10 });
    // Every churner scores below 50 and every retained account but one above 60.
    expect(probabilityFromMap(map, null, 30)).toBeGreaterThan(0.8);
    expect(probabilityFromMap(map, null, 90)).toBeLessThan(0.05);

    // The file is the active model (here the default) with the map: it loads, and model set takes it.
    const written = readFileSync(out, "utf8");
    expect(written).toMatch(/^# css-bot default scoring model\./);
    expect(parseModel(written, out).churn_probability).toEqual(map);
    const set = await runCli(["model", "set", out, "-w", "hist"], env);
    expect(set.code, set.stderr).toBe(0);
    const text = await runCli(
      ["calibrate", "--from-history", "--lead-days", "60", "-w", "hist", "--out", out],
      env,
    );
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(
      "Fitted the churn map of model version 2 on the history: 23 accounts (10 churned",
    );
    expect(text.stdout).toContain(`css-bot model set ${out}`);
  });

  it("refuses the file options, and says why when the history holds no churn to fit", async () => {
    const out = join(tempDir(), "x.yaml");
    const mixed = await runCli(
      [
        "calibrate",
        "--from-history",
        "--as-of",
        "2026-06-01",
        "--fit",
        "weights",
        "-w",
        "hist",
        "--out",
        out,
      ],
      env,
    );
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain("leave out --as-of, --fit");
    const none = await runCli(["calibrate", "--from-history", "-w", "empty", "--out", out], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no churn map fitted: the history holds 0 churned and 0 retained/);
    expect(none.stderr).toContain("no snapshots yet");
    const files = await runCli(["calibrate", "--out", out], env);
    expect(files.code).toBe(2);
    expect(files.stderr).toContain(
      "missing --model, --accounts, --outcomes, --as-of (or use --from-history)",
    );
  });
});
