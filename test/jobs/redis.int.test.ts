// The start-up check of Redis, and what a long-running process logs of an outage, against private
// redis-servers started for the test.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openQueues } from "../../src/jobs/queues.ts";
import { checkRedis } from "../../src/jobs/redis.ts";
import { startWorkers } from "../../src/jobs/worker.ts";
import type { Logger } from "../../src/log.ts";
import { createTestDatabase } from "../support/databases.ts";
import { testRedisUrl, waitFor } from "../support/queues.ts";
import { startRedisServer, type PrivateRedis } from "../support/redis-server.ts";

let careless: PrivateRedis;
let durable: PrivateRedis;

beforeAll(async () => {
  [careless, durable] = await Promise.all([
    startRedisServer(["--save", "", "--appendonly", "no", "--maxmemory-policy", "allkeys-lru"]),
    startRedisServer(["--save", "900 1", "--appendonly", "yes", "--maxmemory-policy", "noeviction"]),
  ]);
});
afterAll(async () => {
  await Promise.all([careless?.stop(), durable?.stop()]);
});

describe("checkRedis", () => {
  it("passes a Redis that keeps its jobs", async () => {
    const { warnings } = await checkRedis(testRedisUrl);
    // The machine's Redis runs with noeviction (.ci/run starts it so).
    expect(warnings).toEqual([]);
    expect(await checkRedis(durable.url)).toEqual({
      warnings: [],
      maxmemoryPolicy: "noeviction",
      persistence: { aof: true, rdbSave: "900 1" },
    });
  });

  it("warns when Redis may evict queued jobs, and says it keeps nothing across a restart", async () => {
    const result = await checkRedis(careless.url);
    expect(result.warnings).toEqual([
      `Redis at ${careless.url} runs with maxmemory-policy allkeys-lru: under memory pressure it may evict queued jobs. ` +
        "Set maxmemory-policy noeviction (redis-cli CONFIG SET maxmemory-policy noeviction, and in redis.conf).",
    ]);
    expect(result).toMatchObject({
      maxmemoryPolicy: "allkeys-lru",
      persistence: { aof: false, rdbSave: "" },
    });
  });
});

describe("an outage of Redis in a long-running process", () => {
  it("is logged once when it begins and once when it ends, per connection, with nothing on stderr", async () => {
    const redis = await startRedisServer(["--appendonly", "yes"]);
    const db = await createTestDatabase("postgres");
    const lines: { level: string; msg: string }[] = [];
    const log: Logger = {
      debug: () => undefined,
      info: (msg) => lines.push({ level: "info", msg }),
      warn: (msg) => lines.push({ level: "warn", msg }),
      error: (msg) => lines.push({ level: "error", msg }),
    };
    const stderr = vi.spyOn(console, "error");
    const queues = openQueues(redis.url, "redis-outage-log", log);
    const workers = startWorkers({
      prisma: db.prisma,
      sql: db.sql,
      queues,
      redisUrl: redis.url,
      concurrency: 1,
      log,
      jobs: [],
    });
    let server = redis;
    try {
      await queues.queue.sync.getJobCounts();
      await server.shutdown();
      await new Promise((r) => setTimeout(r, 3000));
      server = await startRedisServer(["--appendonly", "yes"], { port: redis.port, dir: redis.dir });
      const who = ["queues", "the sync worker", "the recompute worker"];
      await waitFor(
        () =>
          Promise.resolve(
            who.every((w) => lines.some((l) => l.msg === `${w}: Redis answers again`)) || undefined,
          ),
        30_000,
        "every connection back",
      );
      const about = (level: string) =>
        lines
          .filter((l) => l.level === level && l.msg.includes("Redis"))
          .map((l) => l.msg)
          .sort();
      expect(about("warn")).toEqual(
        who.map((w) => `${w}: Redis does not answer; reconnecting until it does`).sort(),
      );
      expect(about("info")).toEqual(who.map((w) => `${w}: Redis answers again`).sort());
      expect(about("error")).toEqual([]);
      expect(stderr).not.toHaveBeenCalled();
      expect(await queues.queue.sync.getJobCounts("wait")).toEqual({ wait: 0 });
    } finally {
      stderr.mockRestore();
      await workers.close();
      await queues.close();
      await server.stop();
      await db.close();
    }
  }, 60_000);
});
