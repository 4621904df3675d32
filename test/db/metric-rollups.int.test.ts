// Rollups (rolling per-account aggregates): kept right by the observations' triggers and the
// snapshot each one was computed in, whatever the writer and whatever runs at the same time.
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseDay, type Day } from "../../src/domain/dates.ts";
import type { ComponentInput } from "../../src/domain/model/schema.ts";
import { DEFAULT_SOURCE_PRECEDENCE, sourceGuard } from "../../src/domain/source-precedence.ts";
import {
  BUCKET_BITS,
  changedBlocks,
  readRollups,
  refreshChangedBlock,
  refreshRollups,
} from "../../src/db/repositories/metric-rollups.ts";
import { upsertObservations } from "../../src/db/repositories/observations.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { BACKENDS, createTestDatabase, type TestDatabase } from "../support/databases.ts";

const day = (s: string) => parseDay(s)!;
const AS_OF = day("2026-11-20");
const INPUTS: ComponentInput[] = [
  { metric: "logins", agg: "sum", window_days: 7 },
  { metric: "logins", agg: "last", window_days: 30 },
  { metric: "tickets", agg: "max", window_days: 30 },
];
const SIGNATURES = ["metric:logins:sum:7", "metric:logins:last:30", "metric:tickets:max:30"];

async function setUp(db: TestDatabase) {
  const workspaceId = (await ensureWorkspace(db.prisma, "acme")).id;
  const [a, b, quiet] = await Promise.all(
    ["a", "b", "quiet"].map((externalId) =>
      db.prisma.account.create({ data: { workspaceId, externalId, name: `Account ${externalId}` } }),
    ),
  );
  return { workspaceId, a: a!.id, b: b!.id, quiet: quiet!.id };
}

const observe = (
  db: TestDatabase,
  workspaceId: number,
  accountId: number,
  metric: string,
  on: Day,
  value: number,
) =>
  upsertObservations(db.prisma, workspaceId, sourceGuard(DEFAULT_SOURCE_PRECEDENCE, "import"), [
    { accountId, metric, observedOn: on, value },
  ]);

describe.each(BACKENDS)("metric rollups on %s", (backend) => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase(backend);
  });
  afterEach(async () => db.close());

  it("are computed from the observations and stay current until an observation of the account changes", async () => {
    const { workspaceId, a, b, quiet } = await setUp(db);
    await observe(db, workspaceId, a, "logins", AS_OF - 10, 4); // outside the 7-day sum, the last of 30 days
    await observe(db, workspaceId, a, "logins", AS_OF - 2, 5);
    await observe(db, workspaceId, a, "logins", AS_OF, 6);
    await observe(db, workspaceId, a, "logins", AS_OF + 1, 100); // after the as-of date: not counted
    await observe(db, workspaceId, b, "tickets", AS_OF - 29, 3);
    await observe(db, workspaceId, b, "tickets", AS_OF - 30, 9); // just outside the window

    // Written observations mark their accounts out of date; an account that never had one is current.
    let read = await readRollups(db.sql.query, workspaceId, [a, b, quiet], SIGNATURES, AS_OF);
    expect(read.outdated.sort()).toEqual([a, b].sort());
    expect(read.current.get(quiet)).toEqual({});

    const computed = await refreshRollups(db.sql.query, workspaceId, read.outdated, INPUTS, AS_OF);
    const expectedA = {
      "metric:logins:sum:7": 11,
      "metric:logins:last:30": 6,
      "metric:tickets:max:30": null,
    };
    const expectedB = {
      "metric:logins:sum:7": null,
      "metric:logins:last:30": null,
      "metric:tickets:max:30": 3,
    };
    expect(computed.get(a)).toEqual(expectedA);
    expect(computed.get(b)).toEqual(expectedB);
    // Change records stay until the refresh job clears their block; they no longer count against the
    // rollups computed after them.
    expect(await db.prisma.metricRollupChange.count()).toBeGreaterThan(0);

    read = await readRollups(db.sql.query, workspaceId, [a, b, quiet], SIGNATURES, AS_OF);
    expect(read.outdated).toEqual([]);
    expect(read.current.get(a)).toEqual(expectedA);
    expect(read.current.get(b)).toEqual(expectedB);

    // A value replaced (an update, not an insert) makes only its account out of date.
    await observe(db, workspaceId, a, "logins", AS_OF, 7);
    read = await readRollups(db.sql.query, workspaceId, [a, b], SIGNATURES, AS_OF);
    expect(read.outdated).toEqual([a]);
    expect((await refreshRollups(db.sql.query, workspaceId, [a], INPUTS, AS_OF)).get(a)).toMatchObject({
      "metric:logins:sum:7": 12,
      "metric:logins:last:30": 7,
    });

    // Another day, or an input the rollup does not hold (a new model), needs computing again.
    read = await readRollups(db.sql.query, workspaceId, [a, b], SIGNATURES, AS_OF + 1);
    expect(read.outdated.sort()).toEqual([a, b].sort());
    read = await readRollups(db.sql.query, workspaceId, [a], [...SIGNATURES, "metric:logins:avg:30"], AS_OF);
    expect(read.outdated).toEqual([a]);

    // A deleted account takes its rollup with it; the job skips its id in the change records.
    await observe(db, workspaceId, b, "tickets", AS_OF, 1);
    await db.prisma.account.delete({ where: { id: b } });
    expect(await db.prisma.metricRollup.count({ where: { accountId: b } })).toBe(0);
    const block = a >> BUCKET_BITS;
    expect((await changedBlocks(db.sql.query, workspaceId)).includes(block)).toBe(true);
    const cleared = await refreshChangedBlock(db.sql.query, workspaceId, block, INPUTS, AS_OF);
    expect([...cleared.keys()]).toEqual([a]);
    expect(await db.prisma.metricRollupChange.count()).toBe(0);
    expect(
      (await readRollups(db.sql.query, workspaceId, [a], SIGNATURES, AS_OF)).current.get(a),
    ).toMatchObject({
      "metric:logins:sum:7": 12,
    });
  });

  it("never mix workspaces", async () => {
    const { workspaceId, a } = await setUp(db);
    const other = (await ensureWorkspace(db.prisma, "globex")).id;
    await observe(db, workspaceId, a, "logins", AS_OF, 1);
    await refreshRollups(db.sql.query, workspaceId, [a], INPUTS, AS_OF);
    // Asked for from another workspace, the account has no values, and nothing is written for it.
    const read = await readRollups(db.sql.query, other, [a], SIGNATURES, AS_OF);
    expect(read.current.get(a)).toEqual({});
    expect((await refreshRollups(db.sql.query, other, [a], INPUTS, AS_OF)).size).toBe(0);
    expect(
      (await readRollups(db.sql.query, workspaceId, [a], SIGNATURES, AS_OF)).current.get(a),
    ).toMatchObject({
      "metric:logins:sum:7": 1,
    });
  });
});

describe("metric rollups with concurrent writers (PostgreSQL)", () => {
  let db: TestDatabase;
  const clients: pg.Client[] = [];
  const connect = async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    clients.push(client);
    return client;
  };
  /** A session that has written a logins observation of 5 for the account and not committed yet. */
  const beginWrite = async (workspaceId: number, accountId: number) => {
    const writer = await connect();
    await writer.query("BEGIN");
    await writer.query(
      `INSERT INTO metric_observations (workspace_id, account_id, metric, observed_on, value, source) VALUES ($1, $2, 'logins', $3, 5, 'import')`,
      [workspaceId, accountId, "2026-11-19"],
    );
    return writer;
  };
  beforeEach(async () => {
    db = await createTestDatabase("postgres");
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.end()));
    await db.close();
  });

  it("count a write still in progress while the rollup is computed as a change once it commits", async () => {
    const { workspaceId, a } = await setUp(db);
    await observe(db, workspaceId, a, "logins", AS_OF, 1);
    const writer = await beginWrite(workspaceId, a);
    // Computed while the write is in progress: it cannot see it, and neither its change record.
    expect((await refreshRollups(db.sql.query, workspaceId, [a], INPUTS, AS_OF)).get(a)).toMatchObject({
      "metric:logins:sum:7": 1,
    });
    expect((await readRollups(db.sql.query, workspaceId, [a], SIGNATURES, AS_OF)).outdated).toEqual([]);
    await writer.query("COMMIT");
    expect((await readRollups(db.sql.query, workspaceId, [a], SIGNATURES, AS_OF)).outdated).toEqual([a]);
    expect((await refreshRollups(db.sql.query, workspaceId, [a], INPUTS, AS_OF)).get(a)).toMatchObject({
      "metric:logins:sum:7": 6,
    });
  });

  it("clear only the change records of writes the refresh job saw", async () => {
    const { workspaceId, a } = await setUp(db);
    await observe(db, workspaceId, a, "logins", AS_OF, 1);
    const writer = await beginWrite(workspaceId, a);
    // The job clears the block while the write is in progress: its record is not visible, so it stays.
    await refreshChangedBlock(db.sql.query, workspaceId, a >> BUCKET_BITS, INPUTS, AS_OF);
    expect(await db.prisma.metricRollupChange.count()).toBe(0);
    await writer.query("COMMIT");
    expect(await db.prisma.metricRollupChange.count()).toBe(1);
    expect((await readRollups(db.sql.query, workspaceId, [a], SIGNATURES, AS_OF)).outdated).toEqual([a]);
    expect(
      (await refreshChangedBlock(db.sql.query, workspaceId, a >> BUCKET_BITS, INPUTS, AS_OF)).get(a),
    ).toMatchObject({ "metric:logins:sum:7": 6 });
    expect((await readRollups(db.sql.query, workspaceId, [a], SIGNATURES, AS_OF)).outdated).toEqual([]);
  });

  it("keep the rollup of the later snapshot when an earlier computation writes last", async () => {
    const { workspaceId, a } = await setUp(db);
    await observe(db, workspaceId, a, "logins", AS_OF, 1);
    await refreshRollups(db.sql.query, workspaceId, [a], INPUTS, AS_OF);
    // A computation held after taking its snapshot and before writing (by a test-only trigger that
    // waits on an advisory lock in sessions that ask for it).
    const admin = await connect();
    await admin.query(`CREATE FUNCTION test_hold() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF current_setting('test.hold', true) = 'on' THEN PERFORM pg_advisory_xact_lock_shared(4242); END IF;
        RETURN NEW;
      END $$`);
    await admin.query(
      `CREATE TRIGGER test_hold BEFORE INSERT ON metric_rollups FOR EACH ROW EXECUTE FUNCTION test_hold()`,
    );
    await admin.query("SELECT pg_advisory_lock(4242)");
    const early = db.sql.transaction(async (execute, read) => {
      await execute(`SELECT set_config('test.hold', 'on', true)`, []);
      return refreshRollups(read, workspaceId, [a], INPUTS, AS_OF);
    });
    await waitFor(async () => {
      const { rows } = await admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`,
      );
      return rows[0]!.n === 1;
    });
    // Meanwhile a new observation arrives and a later computation takes it in.
    await observe(db, workspaceId, a, "logins", AS_OF - 1, 10);
    expect((await refreshRollups(db.sql.query, workspaceId, [a], INPUTS, AS_OF)).get(a)).toMatchObject({
      "metric:logins:sum:7": 11,
    });
    await admin.query("SELECT pg_advisory_unlock(4242)");
    // The early one computed from the older snapshot, and must not have replaced the later rollup.
    expect((await early).get(a)).toMatchObject({ "metric:logins:sum:7": 1 });
    const read = await readRollups(db.sql.query, workspaceId, [a], SIGNATURES, AS_OF);
    expect(read.outdated).toEqual([]);
    expect(read.current.get(a)).toMatchObject({ "metric:logins:sum:7": 11 });
  });
});

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("timed out waiting for the condition");
}
