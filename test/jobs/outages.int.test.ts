// PostgreSQL or Redis going away in the middle of a run: the run resumes when they are back, and
// nothing is lost or done twice.
import pg from "pg";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { pruneRuns } from "../../src/main/chores.ts";
import { JOBS } from "../../src/jobs/registry.ts";
import { startRunFlow } from "../../src/jobs/run-flow.ts";
import { startWorkers, type Workers } from "../../src/jobs/worker.ts";
import { silentLogger } from "../../src/log.ts";
import { createTestDatabase, testDatabaseUrl, type TestDatabase } from "../support/databases.ts";
import { importPortfolio, PORTFOLIO_END } from "../support/portfolio.ts";
import { openTestQueues, testRedisUrl, waitFor } from "../support/queues.ts";

describe("outages during a run", () => {
  let db: TestDatabase;
  let queues: ReturnType<typeof openTestQueues>;
  let workers: Workers | undefined;
  let workspaceId: number;

  beforeEach(async () => {
    db = await createTestDatabase("postgres");
    queues = openTestQueues();
    workspaceId = (await ensureWorkspace(db.prisma, "acme")).id;
  });
  afterEach(async () => {
    await workers?.close();
    await queues.dispose();
    await db.close();
  });

  const start = () => {
    workers = startWorkers({
      prisma: db.prisma,
      sql: db.sql,
      queues,
      redisUrl: testRedisUrl,
      concurrency: 1,
      log: silentLogger,
      jobs: JOBS,
    });
  };
  const progressed = () =>
    waitFor(
      async () => ((await db.prisma.scoreSnapshot.count({ where: { workspaceId } })) > 0 ? true : undefined),
      60_000,
      "a first shard",
    );
  const succeeded = (slot: string) =>
    waitFor(
      async () =>
        (await db.prisma.recomputeRun.findFirst({ where: { workspaceId, slot, status: "succeeded" } })) ??
        undefined,
      90_000,
      "the run",
    );
  const expectEveryAccountOnce = async () => {
    const active = await db.prisma.account.count({ where: { workspaceId, status: "active" } });
    const run = await db.prisma.recomputeRun.findFirstOrThrow({ where: { workspaceId } });
    expect(await db.prisma.scoreSnapshot.count({ where: { workspaceId } })).toBe(active);
    expect(run.accounts).toBe(active);
  };

  it("resumes after PostgreSQL drops every connection mid-run", async () => {
    await importPortfolio(db.prisma, workspaceId, { accounts: 400, days: 35 });
    await startRunFlow(db.prisma, queues, {
      workspaceId,
      asOf: PORTFOLIO_END,
      slot: "pg-outage",
      trigger: "manual",
      shardSize: 25,
    });
    start();
    await progressed();
    const admin = new pg.Client({ connectionString: testDatabaseUrl });
    await admin.connect();
    const { rowCount } = await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
      [db.name],
    );
    await admin.end();
    expect(rowCount).toBeGreaterThan(0);
    await succeeded("pg-outage");
    await expectEveryAccountOnce();
  });

  it("resumes after Redis stops answering for a while mid-run", async () => {
    await importPortfolio(db.prisma, workspaceId, { accounts: 400, days: 35 });
    await startRunFlow(db.prisma, queues, {
      workspaceId,
      asOf: PORTFOLIO_END,
      slot: "redis-outage",
      trigger: "manual",
      shardSize: 25,
    });
    start();
    await progressed();
    const admin = new Redis(testRedisUrl);
    await admin.call("CLIENT", "PAUSE", "2500", "ALL");
    admin.disconnect();
    await succeeded("redis-outage");
    await expectEveryAccountOnce();
  });

  it("prunes finished run records older than the retention", async () => {
    const old = new Date(Date.now() - 100 * 86_400_000);
    await db.prisma.recomputeRun.create({
      data: { workspaceId, slot: "old", asOf: old, status: "succeeded", startedAt: old },
    });
    await db.prisma.recomputeRun.create({
      data: { workspaceId, slot: "recent", asOf: new Date(), status: "succeeded" },
    });
    expect(await pruneRuns(db.prisma, 90)).toBe(1);
    expect((await db.prisma.recomputeRun.findMany({ where: { workspaceId } })).map((r) => r.slot)).toEqual([
      "recent",
    ]);
  });
});
