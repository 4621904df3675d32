// The start-up check of Redis, against a private redis-server started for the test.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { checkRedis } from "../../src/jobs/redis.ts";
import { testRedisUrl } from "../support/queues.ts";

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe("checkRedis", () => {
  it("passes a Redis that keeps its jobs", async () => {
    const { warnings } = await checkRedis(testRedisUrl);
    // The machine's Redis runs with noeviction (.ci/run starts it so).
    expect(warnings).toEqual([]);
  });

  it("warns when Redis may evict queued jobs", async () => {
    const port = await freePort();
    const server = spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--maxmemory-policy",
        "allkeys-lru",
      ],
      { stdio: "ignore" },
    );
    try {
      let result: { warnings: string[] } | undefined;
      for (let i = 0; i < 50 && !result; i++) {
        result = await checkRedis(`redis://127.0.0.1:${port}`).catch(() => undefined);
        if (!result) await new Promise((r) => setTimeout(r, 100));
      }
      expect(result?.warnings).toEqual([
        `Redis at redis://127.0.0.1:${port} runs with maxmemory-policy allkeys-lru: under memory pressure it may evict queued jobs. ` +
          "Set maxmemory-policy noeviction (redis-cli CONFIG SET maxmemory-policy noeviction, and in redis.conf).",
      ]);
    } finally {
      server.kill("SIGKILL");
    }
  });
});
