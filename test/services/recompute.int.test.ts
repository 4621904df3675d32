import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseDay } from "../../src/domain/dates.ts";
import { parseModel } from "../../src/domain/model/parse-model.ts";
import { generatePortfolio } from "../../src/demo/generate-portfolio.ts";
import { writePortfolio } from "../../src/demo/write-portfolio.ts";
import { storeModelVersion } from "../../src/db/repositories/models.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { explainAccount } from "../../src/services/explain-account.ts";
import { importFile } from "../../src/services/import-records.ts";
import { recomputeWorkspace } from "../../src/services/recompute.ts";
import { refreshWorkspaceRollups } from "../../src/services/refresh-rollups.ts";
import { scoreFiles } from "../../src/services/score-files.ts";
import { BACKENDS, createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { FIXTURES, tempDir, writeTempFile } from "../support/files.ts";

const day = (s: string) => parseDay(s)!;
const issueModelSource = readFileSync(new URL("../fixtures/issue-model.yaml", import.meta.url), "utf8");

/** One component whose raw value is the score itself, so a test sets scores day by day. */
const directModel = parseModel(`
name: direct
hysteresis: 2
bands: [{ key: healthy, min: 80 }, { key: caution, min: 70 }, { key: at_risk, min: 0 }]
components:
  - { key: usage, input: { metric: score_input, agg: last, window_days: 1 }, scale: { min: 0, max: 100 }, weight: 1 }
`);

describe.each(BACKENDS)("recompute on %s", (backend) => {
  let db: TestDatabase;
  let workspaceId: number;

  beforeEach(async () => {
    db = await createTestDatabase(backend);
    workspaceId = (await ensureWorkspace(db.prisma, "acme")).id;
  });
  afterEach(async () => db.close());

  const setModel = (source: string) =>
    storeModelVersion(db.prisma, workspaceId, parseModel(source), source, "test");
  const snapshotsOf = (externalId: string) =>
    db.prisma.scoreSnapshot.findMany({
      where: { workspaceId, account: { externalId } },
      orderBy: { asOf: "asc" },
    });

  it("scores the hand-worked fixture in SQL, with the default model stored when none was set", async () => {
    for (const [kind, file] of [
      ["accounts", "accounts.csv"],
      ["metrics", "metrics.csv"],
      ["responses", "responses.jsonl"],
    ] as const) {
      await importFile(db.prisma, workspaceId, kind, FIXTURES + file);
    }
    const first = await recomputeWorkspace(db, workspaceId, day("2026-06-30"));
    expect(await db.prisma.scoringModel.count({ where: { workspaceId } })).toBe(1); // the default model, stored as v1

    await setModel(issueModelSource);
    const summary = await recomputeWorkspace(db, workspaceId, day("2026-06-30"));
    const { runId: _r1, ...rest } = summary;
    // A3 is churned and not scored; A1 and A2 both have enough coverage.
    expect(rest).toEqual({
      as_of: "2026-06-30",
      accounts: 2,
      scored: 2,
      insufficient_data: 0,
      band_changes: 0,
      errors: [],
    });
    expect(first.accounts).toBe(2);

    const [a1] = await snapshotsOf("A1");
    // A1 is enterprise (usage weight 30): nps 25 -> 62.5, usage avg(0.5,0.6,0.7) = 0.6 -> 80, tickets last = 4 -> 60.
    // (62.5 * 25 + 80 * 30 + 60 * 15) / 70 = 4862.5 / 70 = 69.4643 -> at_risk under the enterprise bands.
    expect(a1!.score).toBeCloseTo(4862.5 / 70, 9);
    expect(a1!.band).toBe("at_risk");
    const [a2] = await snapshotsOf("A2");
    // A2 has usage only (0.2 in the window; 0.9 on 2026-05-01 is outside 30 days): (0.2-0.1)/0.4*70 = 17.5,
    // coverage 40/80 = 0.5, which meets min_coverage.
    expect(a2).toMatchObject({ score: 17.5, band: "at_risk", coverage: 0.5 });
    const account = await db.prisma.account.findFirstOrThrow({ where: { workspaceId, externalId: "A1" } });
    expect(account.currentScore).toBeCloseTo(4862.5 / 70, 9);
    expect(account.currentBand).toBe("at_risk");
  });

  it("keeps one snapshot per account and date, and moves the current score only forward", async () => {
    await importFile(
      db.prisma,
      workspaceId,
      "accounts",
      writeTempFile("a.csv", ["account_id,name", "H,Hover"]),
    );
    await setModel(JSON.stringify(directModel));
    await importFile(
      db.prisma,
      workspaceId,
      "metrics",
      writeTempFile("m.csv", [
        "account_id,metric,value,observed_at",
        "H,score_input,75,2026-03-01",
        "H,score_input,90,2026-03-02",
      ]),
    );
    await recomputeWorkspace(db, workspaceId, day("2026-03-02"));
    await recomputeWorkspace(db, workspaceId, day("2026-03-02"));
    await recomputeWorkspace(db, workspaceId, day("2026-03-01"));
    expect((await snapshotsOf("H")).map((s) => s.score)).toEqual([75, 90]);
    const h = await db.prisma.account.findFirstOrThrow({ where: { workspaceId, externalId: "H" } });
    expect(h.currentScore).toBe(90); // re-scoring 03-01 after 03-02 did not overwrite the newer score
  });

  it("reads the accounts' rollups once current, and takes in data written after them", async () => {
    await importFile(
      db.prisma,
      workspaceId,
      "accounts",
      writeTempFile("a.csv", ["account_id,name", "H,Hover", "Q,Quiet"]),
    );
    await setModel(JSON.stringify(directModel));
    const metrics = (value: number) =>
      importFile(
        db.prisma,
        workspaceId,
        "metrics",
        writeTempFile("m.csv", ["account_id,metric,value,observed_at", `H,score_input,${value},2026-03-02`]),
      );
    await metrics(90);
    const first = await recomputeWorkspace(db, workspaceId, day("2026-03-02"));
    expect(first).toMatchObject({ scored: 1, insufficient_data: 1 });
    // The run stored what it computed, and a second run reads the rollups (the observations are not
    // read: they are gone, and the scores stay). The refresh job clears the change records.
    expect(await refreshWorkspaceRollups(db, workspaceId, day("2026-03-02"))).toEqual({
      accounts: 1,
      chunks: 1,
    });
    expect(await refreshWorkspaceRollups(db, workspaceId, day("2026-03-02"))).toEqual({
      accounts: 0,
      chunks: 0,
    });
    await db.prisma.$executeRawUnsafe("ALTER TABLE metric_observations DISABLE TRIGGER USER");
    await db.prisma.$executeRawUnsafe("DELETE FROM metric_observations");
    await db.prisma.$executeRawUnsafe("ALTER TABLE metric_observations ENABLE TRIGGER USER");
    await recomputeWorkspace(db, workspaceId, day("2026-03-02"));
    expect((await snapshotsOf("H")).map((s) => s.score)).toEqual([90]);
    // The same day's value replaced: the account is computed again, in the refresh job or the run.
    await metrics(60);
    expect(await refreshWorkspaceRollups(db, workspaceId, day("2026-03-02"))).toEqual({
      accounts: 1,
      chunks: 1,
    });
    await recomputeWorkspace(db, workspaceId, day("2026-03-02"));
    await metrics(40);
    await recomputeWorkspace(db, workspaceId, day("2026-03-02"));
    expect((await snapshotsOf("H")).map((s) => s.score)).toEqual([40]);
    expect((await snapshotsOf("Q")).map((s) => s.band)).toEqual(["insufficient_data"]);
    // The next day, the refresh job moves every rollup of an active account forward (Q never had data,
    // so it has none: it needs none).
    expect(await refreshWorkspaceRollups(db, workspaceId, day("2026-03-03"))).toEqual({
      accounts: 1,
      chunks: 1,
    });
  });

  it("applies hysteresis day by day and records each band change with its drivers", async () => {
    await importFile(
      db.prisma,
      workspaceId,
      "accounts",
      writeTempFile("a.csv", ["account_id,name", "H,Hover"]),
    );
    await setModel(JSON.stringify(directModel));
    const scores = [75, 69, 67.5, 71, 72.5, 85];
    const rows = scores.map((s, i) => `H,score_input,${s},2026-03-0${i + 1}`);
    await importFile(
      db.prisma,
      workspaceId,
      "metrics",
      writeTempFile("m.csv", ["account_id,metric,value,observed_at", ...rows]),
    );
    const changesPerDay: number[] = [];
    for (let i = 1; i <= scores.length; i++) {
      changesPerDay.push((await recomputeWorkspace(db, workspaceId, day(`2026-03-0${i}`))).band_changes);
    }
    // 75 caution (first score, no change); 69 stays caution (1 below 70); 67.5 falls (2.5 below);
    // 71 stays at_risk; 72.5 rises to caution (2.5 above 70); 85 rises to healthy (5 above 80).
    expect((await snapshotsOf("H")).map((s) => s.band)).toEqual([
      "caution",
      "caution",
      "at_risk",
      "at_risk",
      "caution",
      "healthy",
    ]);
    expect(changesPerDay).toEqual([0, 0, 1, 0, 1, 1]);
    const changes = await db.prisma.bandChange.findMany({ where: { workspaceId }, orderBy: { asOf: "asc" } });
    expect(changes.map((c) => [c.fromBand, c.toBand])).toEqual([
      ["caution", "at_risk"],
      ["at_risk", "caution"],
      ["caution", "healthy"],
    ]);
    expect(changes[0]!.drivers).toEqual([{ key: "usage", from: 69, to: 67.5, delta: -1.5, change: "moved" }]);

    // The same date recomputed on corrected data replaces its band change: 69.5 stays caution.
    await importFile(
      db.prisma,
      workspaceId,
      "metrics",
      writeTempFile("m.csv", ["account_id,metric,value,observed_at", "H,score_input,69.5,2026-03-03"]),
    );
    expect((await recomputeWorkspace(db, workspaceId, day("2026-03-03"))).band_changes).toBe(0);
    expect(
      await db.prisma.bandChange.count({ where: { workspaceId, asOf: new Date("2026-03-03T00:00:00Z") } }),
    ).toBe(0);

    const explanation = await explainAccount(db, workspaceId, "hover", day("2026-03-06"));
    expect(explanation.summary).toBe("73 -> 85: usage +13");
    expect(explanation.previous?.band).toBe("caution");
  });

  it("marks accounts without enough data as insufficient_data, and handles a workspace with no accounts", async () => {
    const empty = await recomputeWorkspace(db, workspaceId, day("2026-03-01"));
    expect(empty).toMatchObject({ accounts: 0, scored: 0, band_changes: 0 });
    await importFile(
      db.prisma,
      workspaceId,
      "accounts",
      writeTempFile("a.csv", ["account_id,name", "N,No data"]),
    );
    const summary = await recomputeWorkspace(db, workspaceId, day("2026-03-01"));
    expect(summary).toMatchObject({ accounts: 1, scored: 0, insufficient_data: 1 });
    const [snapshot] = await snapshotsOf("N");
    // The default model's payments component has empty_value 0, so it has data: 10 of 100 weight.
    expect(snapshot).toMatchObject({ score: null, band: "insufficient_data", coverage: 0.1 });
  });

  it("records an account whose data overflows as its error and scores the rest of its shard", async () => {
    await setModel(`
name: sums
bands: [{ key: healthy, min: 80 }, { key: caution, min: 70 }, { key: at_risk, min: 0 }]
components:
  - { key: usage, input: { metric: score_input, agg: last, window_days: 5 }, scale: { min: 0, max: 100 }, weight: 1 }
  - { key: payments, input: { metric: failed_payments, agg: sum, window_days: 30 }, scale: { min: 3, max: 0 }, weight: 1 }
`);
    await importFile(
      db.prisma,
      workspaceId,
      "accounts",
      writeTempFile("a.csv", ["account_id,name", "A,Alpha", "B,Bravo", "C,Charlie", "D,Delta"]),
    );
    await importFile(
      db.prisma,
      workspaceId,
      "metrics",
      writeTempFile("m.csv", [
        "account_id,metric,value,observed_at",
        ...["A", "B", "C", "D"].map((a) => `${a},score_input,90,2026-03-01`),
      ]),
    );
    // Values no door accepts any more (each must be within ±10^15), written by SQL by hand or before
    // the limit: their sum overflows double precision, and PostgreSQL refuses the statement.
    await db.sql.transaction((execute) =>
      execute(
        `INSERT INTO metric_observations (workspace_id, account_id, metric, observed_on, value, source)
         SELECT $1, id, 'failed_payments', d::date, 1e308, 'import' FROM accounts,
                unnest(ARRAY['2026-02-27', '2026-02-28']) AS d
         WHERE workspace_id = $1 AND external_id = 'B'`,
        [workspaceId],
      ),
    );
    const summary = await recomputeWorkspace(db, workspaceId, day("2026-03-01"));
    expect(summary).toMatchObject({ accounts: 4, scored: 3, insufficient_data: 0 });
    expect(summary.errors).toEqual([
      { account_id: "B", error: expect.stringMatching(/out of range/) as string },
    ]);
    for (const id of ["A", "C", "D"]) expect(await snapshotsOf(id)).toHaveLength(1);
    expect(await snapshotsOf("B")).toHaveLength(0);
    const run = await db.prisma.recomputeRun.findFirstOrThrow({
      where: { workspaceId },
      orderBy: { id: "desc" },
    });
    expect(run.status).toBe("succeeded");
  });

  it("aggregates in SQL exactly as the file scorer does in TypeScript", async () => {
    const endDay = day("2026-06-30");
    const portfolio = generatePortfolio({ seed: 7, accounts: 60, days: 60, endDay });
    const files = await writePortfolio(portfolio, join(tempDir(), "p"));
    for (const kind of ["accounts", "metrics", "responses"] as const)
      await importFile(db.prisma, workspaceId, kind, files[kind]);
    // Every aggregation and every survey, with windows of several lengths.
    const model = parseModel(`
name: all-inputs
min_coverage: 0.1
bands: [{ key: healthy, min: 80 }, { key: caution, min: 70 }, { key: at_risk, min: 0 }]
components:
  - { key: a_avg, input: { metric: weekly_active_ratio, agg: avg, window_days: 30 }, scale: { min: 0, max: 1 }, weight: 3 }
  - { key: a_sum, input: { metric: open_tickets, agg: sum, window_days: 14 }, scale: { min: 100, max: 0 }, weight: 1 }
  - { key: a_min, input: { metric: weekly_active_ratio, agg: min, window_days: 7 }, scale: { min: 0, max: 1 }, weight: 1 }
  - { key: a_max, input: { metric: open_tickets, agg: max, window_days: 30 }, scale: { min: 20, max: 0 }, weight: 1 }
  - { key: a_last, input: { metric: active_users, agg: last, window_days: 30 }, scale: { points: [[0, 0], [50, 80], [500, 100]] }, weight: 1 }
  - { key: a_count, input: { metric: failed_payments, agg: count, window_days: 60 }, scale: { min: 3, max: 0 }, weight: 1 }
  - { key: nps, input: { survey: nps, window_days: 60 }, scale: { min: -100, max: 100 }, weight: 2 }
  - { key: csat, input: { survey: csat, window_days: 45 }, scale: { min: 0, max: 100 }, weight: 1 }
  - { key: ces, input: { survey: ces, window_days: 30 }, scale: { min: 7, max: 1 }, weight: 1 }
`);
    await setModel(JSON.stringify(model));
    for (const asOf of [endDay, endDay - 17]) {
      await recomputeWorkspace(db, workspaceId, asOf);
      const { scores } = await scoreFiles(model, files, asOf);
      const stored = await db.prisma.scoreSnapshot.findMany({
        where: { workspaceId, asOf: new Date(asOf * 86_400_000) },
        include: { account: { select: { externalId: true } } },
      });
      const byId = new Map(stored.map((s) => [s.account.externalId, s]));
      const active = scores.filter((s) => s.account.status === "active");
      expect(stored.length).toBe(active.length);
      for (const { account, result } of active) {
        const s = byId.get(account.accountId)!;
        if (result.score === null) expect(s.score).toBeNull();
        else expect(s.score).toBeCloseTo(result.score, 9);
        expect(s.coverage).toBeCloseTo(result.coverage, 12);
        const components = s.components as { key: string; raw: number | null }[];
        result.components.forEach((c, i) => {
          if (c.raw === null) expect(components[i]!.raw).toBeNull();
          else expect(components[i]!.raw).toBeCloseTo(c.raw, 9);
        });
      }
    }
  });
});
