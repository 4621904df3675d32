// Redis connections for the queues, and a check at start that says plainly what is wrong.
import { Redis } from "ioredis";
import { KnownError } from "../errors.ts";

export class RedisUnavailableError extends KnownError {
  readonly code = "REDIS_UNAVAILABLE";
}

/** redis://user:secret@host -> redis://user:***@host */
export function maskRedisUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
}

/**
 * A connection for queues and workers. BullMQ's workers block on Redis and must never give up on a
 * command (`maxRetriesPerRequest: null`); they reconnect when Redis comes back.
 */
export function createRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
}

/**
 * Connects once with no retries: a clear error naming the URL when Redis cannot be reached, and
 * warnings for settings that lose jobs (an eviction policy other than noeviction).
 */
export async function checkRedis(url: string): Promise<{ warnings: string[] }> {
  const probe = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 3000,
  });
  probe.on("error", () => undefined); // reported below, once
  try {
    await probe.connect();
    await probe.ping();
    const warnings: string[] = [];
    const policy = (await probe.config("GET", "maxmemory-policy").catch(() => [])) as string[];
    if (policy[1] && policy[1] !== "noeviction") {
      warnings.push(
        `Redis at ${maskRedisUrl(url)} runs with maxmemory-policy ${policy[1]}: under memory pressure it may evict queued jobs. ` +
          "Set maxmemory-policy noeviction (redis-cli CONFIG SET maxmemory-policy noeviction, and in redis.conf).",
      );
    }
    return { warnings };
  } catch (e) {
    throw new RedisUnavailableError(
      `cannot reach Redis at ${maskRedisUrl(url)}: ${(e as Error).message}. Start it (e.g. \`redis-server --daemonize yes\`) or set REDIS_URL.`,
      { cause: e },
    );
  } finally {
    probe.disconnect();
  }
}
