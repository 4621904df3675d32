// Queues under a prefix of their own per test, on the real Redis, removed afterwards.
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { openQueues, type Queues } from "../../src/jobs/queues.ts";

export const testRedisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export function uniquePrefix(): string {
  return `csstest-${randomBytes(5).toString("hex")}`;
}

export function openTestQueues(prefix = uniquePrefix()): Queues & { dispose(): Promise<void> } {
  const queues = openQueues(testRedisUrl, prefix);
  return {
    ...queues,
    dispose: async () => {
      await queues.close();
      await deleteKeys(prefix);
    },
  };
}

export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(testRedisUrl);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

/** Polls `check` until it returns a value (not undefined) or the time runs out. */
export { waitFor } from "../../src/sandbox/wait-for.ts";
