// A job: its name, queue, payload schema, retry policy and handler, in one file per job.
import { UnrecoverableError, type Job } from "bullmq";
import type { z } from "zod";
import type { SqlClient } from "../db/handle.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { SecretBox } from "../security/secret-box.ts";
import type { SlackAccess } from "../slack/access.ts";
import type { QueueKind, Queues } from "./queues.ts";

export interface JobContext {
  prisma: PrismaClient;
  /** The driver itself, for bulk writes (see db/handle.ts). */
  sql: SqlClient;
  queues: Queues;
  job: Job;
  /** Accounts per shard when a run is planned. */
  shardSize: number;
  /** Slack, when the bot is configured to post (null: nothing is posted; cases are still kept). */
  slack: SlackAccess | null;
  /** Opens sealed secrets (connector credentials); null or absent without CSS_ENCRYPTION_KEY. */
  secretBox?: SecretBox | null;
}

/** What the registry and the worker need of any job, whatever its payload. */
export interface RetryPolicy {
  /** Attempts in all (1 = no retry); transient faults retry with exponential backoff and jitter. */
  attempts: number;
  backoffMs: number;
}

export interface RegisteredJob extends RetryPolicy {
  name: string;
  queue: QueueKind;
  /** Validates the payload (an invalid one fails at once, never retried) and runs the handler. */
  run(data: unknown, ctx: JobContext): Promise<unknown>;
  /** Called once when the job has failed for good (no retry left, or a permanent fault). */
  onFinalFailure?(data: unknown, error: Error, ctx: Omit<JobContext, "job">): Promise<void>;
}

export interface JobDefinition<P> extends RegisteredJob {
  payload: z.ZodType<P, unknown>;
}

export function defineJob<P>(spec: {
  name: string;
  queue: QueueKind;
  payload: z.ZodType<P, unknown>;
  attempts: number;
  backoffMs: number;
  handler: (payload: P, ctx: JobContext) => Promise<unknown>;
  onFinalFailure?: RegisteredJob["onFinalFailure"];
}): JobDefinition<P> {
  return {
    name: spec.name,
    queue: spec.queue,
    payload: spec.payload,
    attempts: spec.attempts,
    backoffMs: spec.backoffMs,
    ...(spec.onFinalFailure ? { onFinalFailure: spec.onFinalFailure } : {}),
    run: async (data, ctx) => {
      const parsed = spec.payload.safeParse(data);
      if (!parsed.success) {
        const problems = parsed.error.issues
          .map((i) => `${i.path.join(".") || "payload"}: ${i.message}`)
          .join("; ");
        throw new UnrecoverableError(`invalid ${spec.name} payload: ${problems}`);
      }
      return spec.handler(parsed.data, ctx);
    },
  };
}

/** BullMQ options for a job with this retry policy: backoff with jitter, bounded history. */
export function jobOptions(policy: RetryPolicy, jobId?: string) {
  return {
    ...(jobId ? { jobId } : {}),
    attempts: policy.attempts,
    backoff: { type: "exponential", delay: policy.backoffMs, jitter: 0.5 },
    // Kept long enough that a duplicate enqueue of the same id is ignored, bounded so Redis does not grow.
    removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
    removeOnFail: { age: 30 * 24 * 3600 },
  };
}
