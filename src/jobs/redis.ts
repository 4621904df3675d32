// Redis connections for the queues, and a check at start that says plainly what is wrong.
import { Redis } from "ioredis";
import { KnownError } from "../errors.ts";
import type { Logger } from "../log.ts";

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

/** The errors of a connection that cannot reach Redis (it reconnects by itself), not of a command. */
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "EAI_AGAIN",
]);

export function isUnreachable(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return (typeof code === "string" && UNREACHABLE.has(code)) || /^Connection is closed/.test(error.message);
}

/**
 * One connection's outage in the log: a warning when Redis stops answering and a line when it
 * answers again, instead of an error (and, for a queue with no listener, a stack trace on stderr)
 * at every reconnection attempt: 46 lines in 4 s of a stopped Redis before. Other errors are logged
 * as they come.
 */
export class RedisOutageLog {
  private downSince: number | null = null;

  constructor(
    private readonly log: Logger,
    private readonly what: string,
  ) {}

  /** Give it the `error` events of the connection's users (a worker, a queue). */
  error(error: Error): void {
    if (!isUnreachable(error)) {
      this.log.error(`${this.what}: Redis error`, { error: error.message });
      return;
    }
    if (this.downSince !== null) return;
    this.downSince = Date.now();
    this.log.warn(`${this.what}: Redis does not answer; reconnecting until it does`, {
      error: error.message,
    });
  }

  /** Give it the connection's `ready` event. */
  ready(): void {
    if (this.downSince === null) return;
    const seconds = Math.round((Date.now() - this.downSince) / 1000);
    this.downSince = null;
    this.log.info(`${this.what}: Redis answers again`, { down_seconds: seconds });
  }

  /** Follows `connection` and the `emitters` that report its errors. */
  follow(
    connection: Redis,
    emitters: readonly { on(event: "error", f: (e: Error) => void): unknown }[],
  ): void {
    connection.on("ready", () => this.ready());
    for (const e of emitters) e.on("error", (error) => this.error(error));
  }
}

export interface RedisCheck {
  /** Settings that lose jobs, in words (an eviction policy other than noeviction). */
  warnings: string[];
  /** maxmemory-policy; null when CONFIG is not allowed (some managed Redis). */
  maxmemoryPolicy: string | null;
  /**
   * Whether queued jobs survive a restart: the append-only file, and the RDB save points ("" for
   * none; null when CONFIG is not allowed).
   */
  persistence: { aof: boolean; rdbSave: string | null };
}

/**
 * Connects once with no retries: a clear error naming the URL when Redis cannot be reached, and
 * warnings for settings that lose jobs (an eviction policy other than noeviction).
 */
export async function checkRedis(url: string): Promise<RedisCheck> {
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
    const maxmemoryPolicy = await configValue(probe, "maxmemory-policy");
    if (maxmemoryPolicy !== null && maxmemoryPolicy !== "noeviction") {
      warnings.push(
        `Redis at ${maskRedisUrl(url)} runs with maxmemory-policy ${maxmemoryPolicy}: under memory pressure it may evict queued jobs. ` +
          "Set maxmemory-policy noeviction (redis-cli CONFIG SET maxmemory-policy noeviction, and in redis.conf).",
      );
    }
    // INFO answers where CONFIG is renamed away; the save points are only in CONFIG.
    const aof = /^aof_enabled:1\s*$/m.test(await probe.info("persistence"));
    const persistence = { aof, rdbSave: await configValue(probe, "save") };
    return { warnings, maxmemoryPolicy, persistence };
  } catch (e) {
    throw new RedisUnavailableError(
      `cannot reach Redis at ${maskRedisUrl(url)}: ${(e as Error).message}. Start it (e.g. \`redis-server --daemonize yes\`) or set REDIS_URL.`,
      { cause: e },
    );
  } finally {
    probe.disconnect();
  }
}

async function configValue(redis: Redis, name: string): Promise<string | null> {
  const reply = (await redis.config("GET", name).catch(() => [])) as string[];
  return reply[1] ?? null;
}
