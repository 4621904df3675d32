// Several sources writing one account's metric on one day: the real writers (a SQL connector's sync,
// the track webhook's recount, the ingest API's batch, a file import) against one database, on both
// backends. The source ranked higher keeps its value whatever the order of the writes, a refused
// write is counted where its writer reports, and the rollups the recompute reads see the winner.
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runSync } from "../../src/connectors/sync-runner.ts";
import { readRollups, refreshRollups } from "../../src/db/repositories/metric-rollups.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { formatDay, parseDay } from "../../src/domain/dates.ts";
import { SecretBox } from "../../src/security/secret-box.ts";
import { addConnector } from "../../src/services/connectors.ts";
import { importFile } from "../../src/services/import-records.ts";
import { ingestBatch } from "../../src/services/ingest-batch.ts";
import { recordTrackActivity } from "../../src/services/track-activity.ts";
import { updateSettings } from "../../src/services/workspace-settings.ts";
import { BACKENDS, createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { writeTempFile } from "../support/files.ts";
import { createSourceDatabase, type SourceDatabase } from "../support/source-database.ts";

const DAY = parseDay("2026-11-20")!;
const box = new SecretBox(randomBytes(32));
const RATIO = "weekly_active_ratio";

describe.each(BACKENDS)("source precedence on %s", (backend) => {
  let db: TestDatabase;
  let source: SourceDatabase;
  let workspaceId: number;
  let accountId: number;
  let connectorId: number;

  beforeEach(async () => {
    [db, source] = await Promise.all([
      createTestDatabase(backend),
      createSourceDatabase(
        "CREATE TABLE usage (account_id text, metric text, value float8, observed_at date)",
      ),
    ]);
    workspaceId = (await ensureWorkspace(db.prisma, "acme")).id;
    // 100 seats: one active user in the week is a weekly_active_ratio of 0.01.
    accountId = (
      await db.prisma.account.create({ data: { workspaceId, externalId: "A1", name: "Acme", seats: 100 } })
    ).id;
    connectorId = (
      await addConnector(db.prisma, box, workspaceId, {
        name: "warehouse",
        kind: "sql",
        settings: {
          mappings: [{ kind: "metrics", query: "SELECT account_id, metric, value, observed_at FROM usage" }],
        },
        secret: { url: source.url },
        actor: "test",
      })
    ).connector.id;
  });
  afterEach(async () => Promise.all([db.close(), source.close()]));

  /** The warehouse holds `values` for DAY, and a sync reads them. */
  const syncWarehouse = async (values: Record<string, number>) => {
    await source.query("DELETE FROM usage");
    for (const [metric, value] of Object.entries(values))
      await source.query("INSERT INTO usage VALUES ('A1', $1, $2, $3)", [metric, value, formatDay(DAY)]);
    return runSync({ prisma: db.prisma, box }, connectorId, { workspaceId, trigger: "test" });
  };
  /** Segment events of `users` on DAY: the track webhook recounts the usage metrics of DAY..DAY+6. */
  const track = (...users: string[]) =>
    recordTrackActivity(
      db.prisma,
      workspaceId,
      users.map((user, index) => ({
        index,
        account: "A1",
        accountField: "groupId",
        user,
        day: DAY,
        event: "Login",
      })),
    );
  /** The stored value and source of `metric` on DAY. */
  const stored = async (metric = RATIO) => {
    const row = await db.prisma.metricObservation.findUnique({
      where: {
        accountId_metric_observedOn: {
          accountId,
          metric,
          observedOn: new Date(`${formatDay(DAY)}T00:00:00Z`),
        },
      },
    });
    return row && { value: row.value, source: row.source };
  };
  const lastRun = () =>
    db.prisma.syncRun.findFirstOrThrow({ where: { connectorId }, orderBy: { id: "desc" } });

  it("keeps the warehouse's value when the track webhook's recount comes after it, and counts the refusal", async () => {
    expect(await syncWarehouse({ [RATIO]: 0.9 })).toMatchObject({ written: 1, superseded: 0 });
    expect(await stored()).toEqual({ value: 0.9, source: "connector:sql" });

    const outcome = await track("u1");
    // The ratio of DAY is refused; those of the 6 days after it (no warehouse value) are written.
    expect(outcome).toMatchObject({ accepted: 1, superseded: 1 });
    expect(await stored()).toEqual({ value: 0.9, source: "connector:sql" });
    const next = await db.prisma.metricObservation.findFirstOrThrow({
      where: { accountId, metric: RATIO, observedOn: new Date(`${formatDay(DAY + 1)}T00:00:00Z`) },
    });
    expect(next).toMatchObject({ value: 0.01, source: "track" });
    expect(await stored("daily_active_users")).toEqual({ value: 1, source: "track" });
  });

  it("lets the warehouse replace the track webhook's value when it comes after it", async () => {
    expect((await track("u1")).superseded).toBe(0);
    expect(await stored()).toEqual({ value: 0.01, source: "track" });

    expect(await syncWarehouse({ [RATIO]: 0.9 })).toMatchObject({ written: 1, superseded: 0 });
    expect(await stored()).toEqual({ value: 0.9, source: "connector:sql" });
    expect(await lastRun()).toMatchObject({ written: 1, superseded: 0 });
  });

  it("takes the newer value of the same source", async () => {
    await track("u1");
    expect((await track("u2")).superseded).toBe(0);
    expect(await stored()).toEqual({ value: 0.02, source: "track" });

    await syncWarehouse({ [RATIO]: 0.9 });
    await syncWarehouse({ [RATIO]: 0.8 });
    expect(await stored()).toEqual({ value: 0.8, source: "connector:sql" });
  });

  it("follows a metric's own order for that metric only", async () => {
    await updateSettings(
      db.prisma,
      workspaceId,
      {
        source_precedence: {
          default: ["connector:sql", "track"],
          metrics: { [RATIO]: ["track", "connector:sql"] },
        },
      },
      "test",
    );
    await syncWarehouse({ [RATIO]: 0.9, weekly_active_users: 50 });
    const outcome = await track("u1");
    expect(outcome.superseded).toBe(1);
    expect(await stored()).toEqual({ value: 0.01, source: "track" });
    expect(await stored("weekly_active_users")).toEqual({ value: 50, source: "connector:sql" });

    // The other way round, the warehouse's ratio is refused and counted on its run.
    expect(await syncWarehouse({ [RATIO]: 0.7, weekly_active_users: 60 })).toMatchObject({
      written: 1,
      superseded: 1,
    });
    expect(await lastRun()).toMatchObject({ written: 1, superseded: 1 });
    expect(await stored()).toEqual({ value: 0.01, source: "track" });
    expect(await stored("weekly_active_users")).toEqual({ value: 60, source: "connector:sql" });
  });

  it("refuses the ingest API's and a file's values below the warehouse's, and reports them", async () => {
    await syncWarehouse({ [RATIO]: 0.9 });
    const metric = (value: number) => ({ accountId: "A1", metric: RATIO, value, observedOn: DAY });
    const api = await ingestBatch(db.prisma, workspaceId, "metrics", [
      { index: 0, record: metric(0.5) },
      { index: 1, record: { ...metric(3), metric: "logins" } },
    ]);
    expect(api).toEqual({ written: true, counts: { accepted: 2, superseded: 1 } });
    const file = writeTempFile("metrics.csv", [
      "account_id,metric,value,observed_at",
      `A1,${RATIO},0.4,${formatDay(DAY)}`,
      `A1,logins,4,${formatDay(DAY)}`,
    ]);
    expect(await importFile(db.prisma, workspaceId, "metrics", file)).toMatchObject({
      imported: 2,
      superseded: 2,
    });
    expect(await stored()).toEqual({ value: 0.9, source: "connector:sql" });
    // The API ranks above a file by default: its logins stay.
    expect(await stored("logins")).toEqual({ value: 3, source: "api" });
  });

  it("gives the rollups the winning value, and a refused write leaves them current", async () => {
    const inputs = [{ metric: RATIO, agg: "last" as const, window_days: 7 }];
    const signatures = [`metric:${RATIO}:last:7`];
    await syncWarehouse({ [RATIO]: 0.9 });
    await refreshRollups(db.sql.query, workspaceId, [accountId], inputs, DAY);
    await db.prisma.metricRollupChange.deleteMany();

    // Every recounted ratio after DAY is written, so the account is out of date; DAY's is refused.
    await track("u1");
    let read = await readRollups(db.sql.query, workspaceId, [accountId], signatures, DAY);
    expect(read.outdated).toEqual([accountId]);
    const computed = await refreshRollups(db.sql.query, workspaceId, [accountId], inputs, DAY);
    expect(computed.get(accountId)).toEqual({ [signatures[0]!]: 0.9 });

    // A write that is refused altogether changes nothing: no change recorded, the rollup stays current.
    await db.prisma.metricRollupChange.deleteMany();
    const api = await ingestBatch(db.prisma, workspaceId, "metrics", [
      { index: 0, record: { accountId: "A1", metric: RATIO, value: 0.2, observedOn: DAY } },
    ]);
    expect(api).toMatchObject({ counts: { superseded: 1 } });
    expect(await db.prisma.metricRollupChange.count()).toBe(0);
    read = await readRollups(db.sql.query, workspaceId, [accountId], signatures, DAY);
    expect(read.outdated).toEqual([]);
    expect(read.current.get(accountId)).toEqual({ [signatures[0]!]: 0.9 });
  });
});
