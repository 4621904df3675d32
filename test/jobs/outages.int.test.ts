// PostgreSQL or Redis going away in the middle of a run: the run resumes when they are back, and
// nothing is lost or done twice. Each test has a redis-server of its own (pausing or stopping the
// shared one would stop every other test's); PostgreSQL's longer outage is database-outage.int.test.ts.
import { Redis } from "ioredis";
import { z } from "zod";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { connectionFault } from "../../src/db/connection-faults.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { defineJob } from "../../src/jobs/define-job.ts";
import { enqueue } from "../../src/jobs/enqueue.ts";
import { openQueues, type Queues } from "../../src/jobs/queues.ts";
import { pruneRuns } from "../../src/main/chores.ts";
import { JOBS } from "../../src/jobs/registry.ts";
import { startRunFlow } from "../../src/jobs/run-flow.ts";
import { LOST_AFTER_MS, resumeLostRuns } from "../../src/jobs/run-watchdog.ts";
import { startWorkers, type Workers } from "../../src/jobs/worker.ts";
import { silentLogger } from "../../src/log.ts";
import { createTestDatabase, withAdmin, type TestDatabase } from "../support/databases.ts";
import { importPortfolio, PORTFOLIO_END } from "../support/portfolio.ts";
import { waitFor } from "../support/queues.ts";
import { startRedisServer, type PrivateRedis } from "../support/redis-server.ts";

/** Redis keeping its data on disk (an append-only file), as a production Redis does. */
const PERSISTENT = ["--appendonly", "yes"];

describe("outages during a run", () => {
  let db: TestDatabase;
  let redis: PrivateRedis;
  let queues: Queues;
  let workers: Workers | undefined;
  let workspaceId: number;

  beforeEach(async () => {
    redis = await startRedisServer(PERSISTENT);
    db = await createTestDatabase("postgres");
    queues = openQueues(redis.url, "outages");
    workspaceId = (await ensureWorkspace(db.prisma, "acme")).id;
  });
  afterEach(async () => {
    await workers?.close();
    workers = undefined;
    await queues.close();
    await redis.stop();
    await db.close();
  });

  const start = (options: Partial<Parameters<typeof startWorkers>[0]> = {}) => {
    workers = startWorkers({
      prisma: db.prisma,
      sql: db.sql,
      queues,
      redisUrl: redis.url,
      concurrency: 1,
      log: silentLogger,
      jobs: JOBS,
      ...options,
    });
  };
  const startRun = async (slot: string) => {
    await importPortfolio(db.prisma, workspaceId, { accounts: 400, days: 35 });
    await startRunFlow(db.prisma, queues, {
      workspaceId,
      asOf: PORTFOLIO_END,
      slot,
      trigger: "manual",
      shardSize: 25,
    });
  };
  const progressed = () =>
    waitFor(
      async () => ((await db.prisma.scoreSnapshot.count({ where: { workspaceId } })) > 0 ? true : undefined),
      60_000,
      "a first shard",
    );
  /** The run once it is no longer running: it must have succeeded. */
  const closed = async (slot: string, timeoutMs = 90_000) => {
    const run = await waitFor(
      async () => {
        // The test shares the workers' pool: a connection the outage cut may fail this poll too.
        const r = await db.prisma.recomputeRun
          .findFirstOrThrow({ where: { workspaceId, slot } })
          .catch((e: unknown) => (connectionFault(e) ? undefined : Promise.reject(e as Error)));
        return r?.status === "running" ? undefined : r;
      },
      timeoutMs,
      "the run",
    );
    expect({ status: run.status, error: run.error }).toEqual({ status: "succeeded", error: null });
  };
  const expectEveryAccountOnce = async () => {
    const active = await db.prisma.account.count({ where: { workspaceId, status: "active" } });
    const run = await db.prisma.recomputeRun.findFirstOrThrow({ where: { workspaceId } });
    expect(await db.prisma.scoreSnapshot.count({ where: { workspaceId } })).toBe(active);
    expect(run.accounts).toBe(active);
  };
  /** Shuts this test's Redis down, and after `downMs` starts it again on its data, on its port. */
  const redisDown = async (downMs: number) => {
    await redis.shutdown();
    await new Promise((r) => setTimeout(r, downMs));
    redis = await startRedisServer(PERSISTENT, { port: redis.port, dir: redis.dir });
  };

  it("resumes after PostgreSQL drops every connection mid-run", async () => {
    await startRun("pg-outage");
    start();
    await progressed();
    const { rowCount } = await withAdmin((admin) =>
      admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        [db.name],
      ),
    );
    expect(rowCount).toBeGreaterThan(0);
    await closed("pg-outage");
    await expectEveryAccountOnce();
  });

  it("fails a shard naming the outage once it has waited CSS_OUTAGE_MAX_WAIT_MS", async () => {
    await startRun("pg-long-outage");
    start({ outage: { maxWaitMs: 3000 } });
    await progressed();
    const reopen = () =>
      withAdmin((admin) => admin.query(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS true`));
    try {
      await withAdmin(async (admin) => {
        await admin.query(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS false`);
        await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", [
          db.name,
        ]);
      });
      const failed = await waitFor(
        async () => {
          const jobs = await queues.queue.recompute.getJobs(["failed"]);
          return jobs.find((j) => j.name === "recompute-shard");
        },
        30_000,
        "a shard to give up",
      );
      expect(failed.failedReason).toMatch(
        /^gave up after waiting 0 min for an outage to end: the database is unavailable \(55000: database "css_bot_t_\w+" is not currently accepting connections\)$/,
      );
      // Given up without using its attempts for the outage: the one that failed is its first.
      expect(failed.attemptsMade).toBe(1);
      await waitFor(
        async () => {
          const jobs = await queues.queue.recompute.getJobs(["failed"]);
          return jobs.some((j) => j.name === "recompute-finalize") || undefined;
        },
        30_000,
        "the run's flow to fail",
      );
    } finally {
      await reopen();
    }
    // The shard's final-failure handler closes the run if its connection attempt outlasted the
    // outage; when the database is still down then, the run is left running, and the watchdog
    // closes it, with the reason, once the database answers. That case, whichever came to pass:
    const run = () =>
      db.prisma.recomputeRun.findFirstOrThrow({ where: { workspaceId, slot: "pg-long-outage" } });
    await db.prisma.recomputeRun.update({
      where: { id: (await run()).id },
      data: { status: "running", error: null, finishedAt: null },
    });
    const later = new Date(Date.now() + LOST_AFTER_MS + 1000);
    expect(await resumeLostRuns(db.prisma, queues, silentLogger, later)).toEqual({ resumed: 0, failed: 1 });
    const closedRun = await run();
    expect(closedRun.status).toBe("failed");
    expect(closedRun.error).toMatch(
      /^a shard failed: gave up after waiting 0 min for an outage to end: the database is unavailable \(55000/,
    );
  });

  it("resumes after Redis stops answering for a while mid-run", async () => {
    await startRun("redis-pause");
    start();
    await progressed();
    const admin = new Redis(redis.url);
    await admin.call("CLIENT", "PAUSE", "2500", "ALL");
    admin.disconnect();
    await closed("redis-pause");
    await expectEveryAccountOnce();
  });

  it("finishes by itself after Redis is stopped for 40 s mid-run and comes back with its data", async () => {
    await startRun("redis-down");
    // Locks shorter than the outage: every job running when Redis went away has lost its lock by
    // the time it is back, and is found stalled.
    start({ lockDurationMs: 5000 });
    await progressed();
    await redisDown(40_000);
    await closed("redis-down", 120_000);
    await expectEveryAccountOnce();
    expect((await queues.queue.recompute.getJobCounts("failed")).failed).toBe(0);
  }, 240_000);

  it("does not fail a job that Redis outages catch running twice", async () => {
    // A long job (a connector's sync, a notification paced by Slack) running through two Redis
    // outages, each longer than its lock: found stalled after each. BullMQ's default (one stall
    // allowed) failed it: "job stalled more than allowable limit".
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const slow = defineJob({
      name: "slow-job",
      queue: "sync",
      payload: z.object({}),
      attempts: 1,
      backoffMs: 1000,
      handler: async () => {
        await released;
        return "done";
      },
    });
    start({ jobs: [slow], lockDurationMs: 2000, concurrency: 2 });
    const id = await enqueue(queues, slow, {}, "slow-1");
    const job = () => queues.queue.sync.getJob(id);
    /** What Redis holds of the job, for a stall that does not come: its state, lock and stall marks. */
    const seen = async () => {
      const j = await job();
      const key = `${queues.prefix}:sync`;
      const client = queues.connection;
      const [state, lockTtl, marked] = await Promise.all([
        j?.getState(),
        client.pttl(`${key}:${id}:lock`),
        client.sismember(`${key}:stalled`, id),
      ]);
      return `state ${state ?? "(no job)"}, stalls ${j?.stalledCounter}, lock ttl ${lockTtl} ms, in the stalled set ${marked}`;
    };
    const stalled = async (times: number) => {
      try {
        await waitFor(
          async () => ((await job())?.stalledCounter ?? 0) >= times || undefined,
          60_000,
          "a stall",
        );
      } catch (e) {
        throw new Error(`${(e as Error).message} (${times} wanted); the job: ${await seen()}`, { cause: e });
      }
    };
    try {
      await waitFor(async () => (await job())?.isActive() || undefined, 30_000, "the job running");
      await redisDown(5000);
      await stalled(1);
      // Taken up again (the first run still holds its slot, hence two), and caught by the next outage.
      await waitFor(async () => (await job())?.isActive() || undefined, 30_000, "the job running again");
      await redisDown(5000);
      await stalled(2);
    } finally {
      release();
    }
    const state = await waitFor(async () => {
      const s = await (await job())?.getState();
      return s === "completed" || s === "failed" ? s : undefined;
    });
    expect({ state, reason: (await job())?.failedReason }).toEqual({ state: "completed", reason: undefined });
  }, 240_000);

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
