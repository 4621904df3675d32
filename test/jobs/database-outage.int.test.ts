// PostgreSQL unreachable for 150 s in the middle of a run. Before, every remaining shard burnt its 8
// attempts in about two minutes and the run never finished. Now the shards wait the outage out
// without using an attempt, and the run finishes by itself once the database is back, with the
// results of a run that met no outage. The database (the test's own) is closed to connections with
// ALLOW_CONNECTIONS false and its backends terminated; the Redis is the test's own too.
import { afterEach, describe, expect, it } from "vitest";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { openQueues, type Queues } from "../../src/jobs/queues.ts";
import { startRunFlow } from "../../src/jobs/run-flow.ts";
import { startWorkers, type Workers } from "../../src/jobs/worker.ts";
import { silentLogger } from "../../src/log.ts";
import { registry } from "../../src/metrics/registry.ts";
import { recomputeWorkspace } from "../../src/services/recompute.ts";
import { createTestDatabase, withAdmin, type TestDatabase } from "../support/databases.ts";
import { importPortfolio, PORTFOLIO_END } from "../support/portfolio.ts";
import { waitFor } from "../support/queues.ts";
import { startRedisServer } from "../support/redis-server.ts";

const OUTAGE_MS = 150_000;
const PORTFOLIO = { accounts: 400, days: 35 };
const SHARD_SIZE = 25;

/** Every account's score, band and coverage, by its external id: what a run leaves behind. */
async function results(db: TestDatabase, workspaceId: number) {
  const rows = await db.prisma.scoreSnapshot.findMany({
    where: { workspaceId },
    select: { score: true, band: true, coverage: true, account: { select: { externalId: true } } },
  });
  return new Map(rows.map((r) => [r.account.externalId, [r.score, r.band, r.coverage]]));
}

describe("PostgreSQL unreachable for 150 s in the middle of a run", () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
  });

  it(
    "is waited out: the run finishes by itself, no shard uses an attempt, results as without it",
    async () => {
      const redis = await startRedisServer([]);
      cleanup.push(() => redis.stop());
      const db = await createTestDatabase("postgres");
      cleanup.push(() => db.close());
      const queues: Queues = openQueues(redis.url, "pg-outage");
      cleanup.push(() => queues.close());
      const workspaceId = (await ensureWorkspace(db.prisma, "acme")).id;
      await importPortfolio(db.prisma, workspaceId, PORTFOLIO);
      const started = await startRunFlow(db.prisma, queues, {
        workspaceId,
        asOf: PORTFOLIO_END,
        slot: "pg-outage",
        trigger: "manual",
        shardSize: SHARD_SIZE,
      });
      const workers: Workers = startWorkers({
        prisma: db.prisma,
        sql: db.sql,
        queues,
        redisUrl: redis.url,
        concurrency: 2,
        log: silentLogger,
      });
      cleanup.push(() => workers.close());
      const waitsBefore = await outageWaits();

      await waitFor(
        async () =>
          (await db.prisma.scoreSnapshot.count({ where: { workspaceId } })) > 0 ? true : undefined,
        60_000,
        "a first shard",
      );
      const closed = `ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS false`;
      const reopened = `ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS true`;
      cleanup.push(() => withAdmin((c) => c.query(reopened)));
      const terminated = await withAdmin(async (c) => {
        await c.query(closed);
        const { rowCount } = await c.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
          [db.name],
        );
        return rowCount;
      });
      expect(terminated).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      const shardsLeft = (await queues.queue.recompute.getJobCounts("delayed")).delayed ?? 0;
      await withAdmin((c) => c.query(reopened));

      // The run closes by itself once the shards' next wait is over (at most a minute).
      const run = await waitFor(
        async () => {
          const r = await db.prisma.recomputeRun.findFirstOrThrow({
            where: { workspaceId, slot: "pg-outage" },
          });
          return r.status === "running" ? undefined : r;
        },
        150_000,
        "the run to close",
      );
      expect({ status: run.status, error: run.error }).toEqual({ status: "succeeded", error: null });
      // The shards were waiting (delayed) during the outage, and counted as waits, not attempts.
      expect(shardsLeft).toBeGreaterThan(0);
      expect((await outageWaits()) - waitsBefore).toBeGreaterThanOrEqual(shardsLeft);
      const shards = await queues.queue.recompute.getJobs(["completed"]);
      const shardJobs = shards.filter((j) => j.name === "recompute-shard");
      expect(shardJobs).toHaveLength(started.shards);
      // One attempt each: the one that succeeded. Nothing is left of their outage in their data.
      expect(shardJobs.map((j) => j.attemptsMade)).toEqual(shardJobs.map(() => 1));
      expect(shardJobs.filter((j) => "outage" in (j.data as object))).toEqual([]);

      const active = await db.prisma.account.count({ where: { workspaceId, status: "active" } });
      expect(run.accounts).toBe(active);
      expect(await db.prisma.scoreSnapshot.count({ where: { workspaceId } })).toBe(active);

      // The same portfolio scored without an outage gives the same results.
      const reference = await createTestDatabase("postgres");
      cleanup.push(() => reference.close());
      const referenceWorkspace = (await ensureWorkspace(reference.prisma, "acme")).id;
      await importPortfolio(reference.prisma, referenceWorkspace, PORTFOLIO);
      const expected = await recomputeWorkspace(reference, referenceWorkspace, PORTFOLIO_END, {
        shardSize: SHARD_SIZE,
      });
      expect({
        accounts: run.accounts,
        scored: run.scored,
        insufficient: run.insufficientData,
        errors: run.errors,
      }).toEqual({
        accounts: expected.accounts,
        scored: expected.scored,
        insufficient: expected.insufficient_data,
        errors: [],
      });
      expect(await results(db, workspaceId)).toEqual(await results(reference, referenceWorkspace));
    },
    // 150 s of outage, up to a minute for the shards' next try, the run and the reference run.
    420_000,
  );
});

async function outageWaits(): Promise<number> {
  const metric = await registry.getSingleMetric("css_bot_outage_waits_total")?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}
