// The start-up check of Redis, and what a long-running process logs of an outage, against private
// redis-servers started for the test.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openQueues } from "../../src/jobs/queues.ts";
import { checkRedis } from "../../src/jobs/redis.ts";
import type { Logger } from "../../src/log.ts";
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
  // The queues' connection, as the worker process opens it: the workers' connections log the same
  // way (worker.ts), through the same RedisOutageLog (src/jobs/redis.test.ts).
  it("is logged once when it begins and once when it ends, with nothing on stderr", async () => {
    const redis = await startRedisServer(["--appendonly", "yes"]);
    const lines: { level: string; msg: string }[] = [];
    const log: Logger = {
      debug: () => undefined,
      info: (msg) => lines.push({ level: "info", msg }),
      warn: (msg) => lines.push({ level: "warn", msg }),
      error: (msg) => lines.push({ level: "error", msg }),
    };
    const stderr = vi.spyOn(console, "error");
    const queues = openQueues(redis.url, "redis-outage-log", log);
    let server = redis;
    try {
      await queues.queue.sync.getJobCounts();
      await server.shutdown();
      await new Promise((r) => setTimeout(r, 3000));
      server = await startRedisServer(["--appendonly", "yes"], { port: redis.port, dir: redis.dir });
      expect(await queues.queue.sync.getJobCounts("wait")).toEqual({ wait: 0 });
      await waitFor(
        () => Promise.resolve(lines.some((l) => l.msg === "queues: Redis answers again") || undefined),
        30_000,
        "the queues' connection back",
      );
      expect(lines.map((l) => `${l.level} ${l.msg}`)).toEqual([
        "warn queues: Redis does not answer; reconnecting until it does",
        "info queues: Redis answers again",
      ]);
      expect(stderr).not.toHaveBeenCalled();
    } catch (e) {
      throw new Error(`${(e as Error).message}; the log: ${JSON.stringify(lines)}`, { cause: e });
    } finally {
      stderr.mockRestore();
      await queues.close();
      await server.stop();
    }
  }, 120_000);
});
