// A benchmark's own queue prefix in Redis, and the removal of every key under it afterwards, so a
// benchmark shares a Redis with anything else and leaves nothing behind.
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

export const benchRedisUrl = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";

/** `css-bench-<random>`: letters, digits and `-` only, so it is also a literal SCAN pattern. */
export function uniqueQueuePrefix(): string {
  return `css-bench-${randomBytes(6).toString("hex")}`;
}

/** Deletes every key `<prefix>:*` (SCAN, then DEL a page at a time); returns how many. */
export async function deleteQueueKeys(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3, lazyConnect: true });
  try {
    await redis.connect();
    let deleted = 0;
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      if (keys.length > 0) deleted += await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
    return deleted;
  } finally {
    redis.disconnect();
  }
}
