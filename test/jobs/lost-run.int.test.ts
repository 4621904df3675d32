// Redis restarted without persistence in the middle of a run: every job of the run is gone, and
// without a watchdog the run stayed "running" forever while `runs --failed` said nothing failed.
// A Redis of the test's own (never the shared one) is killed and started again, empty, on its port.
import { afterEach, describe, expect, it } from "vitest";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { formatDay } from "../../src/domain/dates.ts";
import { openQueues, type Queues } from "../../src/jobs/queues.ts";
import { startRunFlow } from "../../src/jobs/run-flow.ts";
import { LOST_AFTER_MS, resumeLostRuns } from "../../src/jobs/run-watchdog.ts";
import { startWorkers, type Workers } from "../../src/jobs/worker.ts";
import { silentLogger } from "../../src/log.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { importPortfolio, PORTFOLIO_END } from "../support/portfolio.ts";
import { waitFor } from "../support/queues.ts";
import { freePort, startRedisServer } from "../support/redis-server.ts";

const NO_PERSISTENCE = ["--save", "", "--appendonly", "no"];

describe("a run whose jobs Redis lost", () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
  });

  it("is resumed by the watchdog and finishes, with every account scored once", async () => {
    const db: TestDatabase = await createTestDatabase("postgres");
    cleanup.push(() => db.close());
    const port = await freePort();
    let redis = await startRedisServer(NO_PERSISTENCE, { port });
    cleanup.push(() => redis.stop());
    const url = redis.url;
    const queues: Queues = openQueues(url, "lost");
    cleanup.push(() => queues.close());
    const workspaceId = (await ensureWorkspace(db.prisma, "acme")).id;
    await importPortfolio(db.prisma, workspaceId, { accounts: 200 });

    const slot = `test-${formatDay(PORTFOLIO_END)}`;
    const started = await startRunFlow(db.prisma, queues, {
      workspaceId,
      asOf: PORTFOLIO_END,
      slot,
      trigger: "schedule",
      shardSize: 10,
    });
    expect(started.shards).toBe(20);
    // One worker takes a few shards, then Redis dies and comes back empty.
    let workers: Workers = startWorkers({
      prisma: db.prisma,
      sql: db.sql,
      queues,
      redisUrl: url,
      concurrency: 1,
      log: silentLogger,
    });
    cleanup.push(() => workers.close());
    await waitFor(
      async () =>
        (await db.prisma.scoreSnapshot.count({ where: { workspaceId } })) >= 20 ? true : undefined,
      60_000,
      "a few shards",
    );
    await workers.close();
    await redis.stop();
    redis = await startRedisServer(NO_PERSISTENCE, { port });
    await waitFor(
      async () => ((await queues.connection.ping().catch(() => null)) === "PONG" ? true : undefined),
      20_000,
      "Redis back",
    );
    expect(await queues.queue.recompute.getJobCounts()).toMatchObject({
      waiting: 0,
      active: 0,
      completed: 0,
    });
    workers = startWorkers({
      prisma: db.prisma,
      sql: db.sql,
      queues,
      redisUrl: url,
      concurrency: 2,
      log: silentLogger,
    });
    cleanup.push(() => workers.close());
    const run = () => db.prisma.recomputeRun.findFirstOrThrow({ where: { workspaceId, slot } });
    expect((await run()).status).toBe("running");

    // Too soon to call it lost (a run is planned a moment before its flow is added)...
    expect(await resumeLostRuns(db.prisma, queues, silentLogger, new Date())).toEqual({
      resumed: 0,
      failed: 0,
    });
    // ...and once it is: added again, and it finishes.
    const later = new Date(Date.now() + LOST_AFTER_MS + 1000);
    expect(await resumeLostRuns(db.prisma, queues, silentLogger, later)).toEqual({ resumed: 1, failed: 0 });
    const done = await waitFor(
      async () => {
        const r = await run();
        return r.status === "succeeded" ? r : undefined;
      },
      90_000,
      "the resumed run",
    );
    const active = await db.prisma.account.count({ where: { workspaceId, status: "active" } });
    expect(done.accounts).toBe(active);
    expect(await db.prisma.scoreSnapshot.count({ where: { workspaceId } })).toBe(active);
    // Found running with its flow in Redis, it is left alone.
    expect(await resumeLostRuns(db.prisma, queues, silentLogger, later)).toEqual({ resumed: 0, failed: 0 });
  });
});
