// The queues, one per kind of work, so a slow kind never starves another: syncing connected data,
// recomputing scores, sending notifications. Opening them never starts a consumer.
import { FlowProducer, Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "../log.ts";
import { createRedis, RedisOutageLog } from "./redis.ts";

export const QUEUE_KINDS = ["sync", "recompute", "notify"] as const;
export type QueueKind = (typeof QUEUE_KINDS)[number];

export interface Queues {
  prefix: string;
  connection: Redis;
  queue: Record<QueueKind, Queue>;
  flow: FlowProducer;
  close(): Promise<void>;
}

/**
 * Opens the queues on one connection. With `log`, an outage of Redis is logged once when it begins
 * and once when it ends (a long-running process); without, the queues' errors are BullMQ's to print.
 */
export function openQueues(redisUrl: string, prefix: string, log?: Logger): Queues {
  const connection = createRedis(redisUrl);
  const queue = Object.fromEntries(
    QUEUE_KINDS.map((kind) => [kind, new Queue(kind, { connection, prefix })]),
  ) as Record<QueueKind, Queue>;
  const flow = new FlowProducer({ connection, prefix });
  if (log) new RedisOutageLog(log, "queues").follow(connection, [...Object.values(queue), flow]);
  return {
    prefix,
    connection,
    queue,
    flow,
    close: async () => {
      await Promise.all([...Object.values(queue).map((q) => q.close()), flow.close()]);
      connection.disconnect();
    },
  };
}
