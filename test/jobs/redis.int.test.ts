// The start-up check of Redis, against private redis-servers started for the test.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkRedis } from "../../src/jobs/redis.ts";
import { testRedisUrl } from "../support/queues.ts";
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
