// The per-key rate limit, in records per minute (a request costs its records, at least 1), counted
// in Redis so that every web process shares it. While Redis is unreachable each process counts on
// its own in memory rather than refusing or hanging.
import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { ApiError } from "./api-error.ts";

export interface RateLimiter {
  /** Takes `points` from the key's budget of the minute, or throws a 429 with Retry-After. */
  consume(apiKeyId: number, points: number): Promise<void>;
}

export function createRateLimiter(o: { redis: Redis; keyPrefix: string; perMinute: number }): RateLimiter {
  const limiter = new RateLimiterRedis({
    storeClient: o.redis,
    keyPrefix: o.keyPrefix,
    points: o.perMinute,
    duration: 60,
    // The queues' connection retries commands forever; fail over to memory instead of waiting.
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory({ points: o.perMinute, duration: 60 }),
  });
  return {
    consume: async (apiKeyId, points) => {
      try {
        await limiter.consume(String(apiKeyId), Math.max(1, points));
      } catch (e) {
        if (!(e instanceof RateLimiterRes)) throw e;
        const retryAfter = Math.max(1, Math.ceil(e.msBeforeNext / 1000));
        throw new ApiError(
          429,
          "rate_limited",
          `this API key may send ${o.perMinute} records a minute; retry in ${retryAfter} s`,
          { retry_after: retryAfter },
          { "retry-after": String(retryAfter) },
        );
      }
    },
  };
}
