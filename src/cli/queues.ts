// The job queues for a command: opened only after Redis answered (so the message names the URL),
// always closed afterwards.
import { openQueues, type Queues } from "../jobs/queues.ts";
import { checkRedis, RedisUnavailableError } from "../jobs/redis.ts";
import type { CliContext } from "./context.ts";

/** Runs `work` on the queues; an unreachable Redis is the command's error (it names the URL). */
export async function withQueues<T>(ctx: CliContext, work: (queues: Queues) => Promise<T>): Promise<T> {
  await checkRedis(ctx.config.redisUrl);
  const queues = openQueues(ctx.config.redisUrl, ctx.config.queuePrefix);
  try {
    return await work(queues);
  } finally {
    await queues.close();
  }
}

/**
 * Runs `work` on the queues when Redis answers; false, having done nothing, when it cannot be
 * reached (for work the workers catch up on later).
 */
export async function ifQueuesReachable(
  ctx: CliContext,
  work: (queues: Queues) => Promise<unknown>,
): Promise<boolean> {
  try {
    await withQueues(ctx, work);
    return true;
  } catch (e) {
    if (e instanceof RedisUnavailableError) return false;
    throw e;
  }
}
