// Redis, which holds the queues and the schedules: does it answer, may it evict jobs, and does it
// keep them across a restart.
import { checkRedis, maskRedisUrl, type RedisCheck } from "../../jobs/redis.ts";
import { fail, ok, reason, warn, type Check } from "./check.ts";

export async function checkRedisServer(url: string): Promise<Check[]> {
  let found: RedisCheck;
  try {
    found = await checkRedis(url);
  } catch (error) {
    return [
      fail(
        "redis",
        reason(error),
        "redis-server --daemonize yes --maxmemory-policy noeviction --appendonly yes (or set REDIS_URL)",
      ),
    ];
  }
  return [evictionCheck(maskRedisUrl(url), found.maxmemoryPolicy), persistenceCheck(found.persistence)];
}

function evictionCheck(where: string, policy: string | null): Check {
  if (policy === "noeviction") return ok("redis", `${where} answers, maxmemory-policy noeviction`);
  if (policy === null) {
    return warn(
      "redis",
      `${where} answers, but does not allow CONFIG GET: its maxmemory-policy is unknown (it must be noeviction)`,
      "check your provider's setting for maxmemory-policy: noeviction",
    );
  }
  return warn(
    "redis",
    `${where} runs with maxmemory-policy ${policy}: under memory pressure it may evict queued jobs`,
    "redis-cli CONFIG SET maxmemory-policy noeviction (and maxmemory-policy noeviction in redis.conf)",
  );
}

function persistenceCheck({ aof, rdbSave }: RedisCheck["persistence"]): Check {
  const name = "redis persistence";
  if (aof) return ok(name, "append-only file on");
  if (rdbSave) return ok(name, `RDB snapshots (save ${rdbSave})`);
  const fix = "redis-cli CONFIG SET appendonly yes (and appendonly yes in redis.conf)";
  if (rdbSave === null) {
    return warn(name, "append-only file off, and CONFIG GET save is not allowed: snapshots unknown", fix);
  }
  return warn(
    name,
    "off (no append-only file, no RDB save points): a restart of Redis loses the queued jobs",
    fix,
  );
}
