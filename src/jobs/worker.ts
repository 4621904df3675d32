// The workers: one BullMQ worker per queue, each running the registered jobs of its queue.
// Started only by the worker process (and `start`), never by importing a module.
import { UnrecoverableError, Worker, type Job } from "bullmq";
import type { SqlClient } from "../db/handle.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../log.ts";
import type { RegisteredJob } from "./define-job.ts";
import { QUEUE_KINDS, type QueueKind, type Queues } from "./queues.ts";
import { createRedis, RedisOutageLog } from "./redis.ts";
import { JOBS } from "./registry.ts";
import { connectionFault } from "../db/connection-faults.ts";
import { jobOutcomes } from "../metrics/registry.ts";
import { DEFAULT_OUTAGE_POLICY, OutageWatch, type OutagePolicy } from "./outage-wait.ts";
import { DEFAULT_SHARD_SIZE } from "../services/recompute.ts";
import type { SecretBox } from "../security/secret-box.ts";
import type { SlackAccess } from "../slack/access.ts";

export interface WorkerOptions {
  prisma: PrismaClient;
  sql: SqlClient;
  queues: Queues;
  redisUrl: string;
  concurrency: number;
  log: Logger;
  /** How long a job's lock lasts without renewal: a killed worker's job is taken up again after it. */
  lockDurationMs?: number;
  shardSize?: number;
  slack?: SlackAccess | null;
  /** Opens connector secrets (CSS_ENCRYPTION_KEY). */
  secretBox?: SecretBox | null;
  jobs?: readonly RegisteredJob[];
  /** How jobs wait out an unreachable database or Redis (CSS_OUTAGE_MAX_WAIT_MS). */
  outage?: Partial<OutagePolicy>;
  /** How long close() gives BullMQ once no job is in progress (CLOSE_AFTER_JOBS_MS). */
  closeAfterJobsMs?: number;
}

/**
 * How many times a job may be found without its lock (its worker gone, or every lock expired during
 * a Redis outage longer than the lock) before it fails. BullMQ's default of 1 failed the jobs that
 * were running when Redis went away twice, or once after a worker was killed; a job that kills its
 * worker every time still fails, after this many tries.
 */
export const MAX_STALLED_COUNT = 10;

export interface Workers {
  /**
   * Stops taking jobs and waits for the jobs in progress to finish; then gives BullMQ
   * `closeAfterJobsMs` to finish closing, and stops without it past that (see startWorkers).
   */
  close(): Promise<void>;
}

/** How long BullMQ may take to close once no job is in progress (WorkerOptions.closeAfterJobsMs). */
export const CLOSE_AFTER_JOBS_MS = 5000;

/** Whether `promise` settles within `ms`. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The queues a process serves: notifications only where Slack is configured, so a process without
 * the Slack settings never takes (and completes, posting nothing) the jobs meant for Slack.
 */
export function servedQueues(slackConfigured: boolean): QueueKind[] {
  return QUEUE_KINDS.filter((kind) => kind !== "notify" || slackConfigured);
}

export function startWorkers(o: WorkerOptions): Workers {
  const shardSize = o.shardSize ?? DEFAULT_SHARD_SIZE;
  const jobs = new Map((o.jobs ?? JOBS).map((j) => [j.name, j]));
  const kinds = servedQueues(Boolean(o.slack));
  if (!kinds.includes("notify")) {
    o.log.warn(
      "Slack is not configured: this process does not take notification jobs (alerts, digests); " +
        "they wait on the notify queue for a process that has SLACK_BOT_TOKEN or SLACK_CLIENT_ID",
    );
  }
  const connections = kinds.map(() => createRedis(o.redisUrl));
  const outages = new OutageWatch({ ...DEFAULT_OUTAGE_POLICY, ...o.outage }, o.log);
  // The jobs in progress in this process, which close() waits for itself (see there).
  const inProgress = new Set<Promise<unknown>>();
  const workers = kinds.map((kind, i) => {
    const worker = new Worker(
      kind,
      (job, token) => {
        const running = runJob(job, token);
        inProgress.add(running);
        void running.finally(() => inProgress.delete(running)).catch(() => undefined);
        return running;
      },
      {
        connection: connections[i]!,
        prefix: o.queues.prefix,
        concurrency: o.concurrency,
        maxStalledCount: MAX_STALLED_COUNT,
        ...(o.lockDurationMs
          ? {
              lockDuration: o.lockDurationMs,
              stalledInterval: Math.max(500, Math.floor(o.lockDurationMs / 2)),
            }
          : {}),
      },
    );
    async function runJob(job: Job, token: string | undefined): Promise<unknown> {
      const definition = jobs.get(job.name);
      if (!definition || definition.queue !== kind)
        throw new UnrecoverableError(`no job ${job.name} on the ${kind} queue`);
      try {
        const result = await definition.run(job.data, {
          prisma: o.prisma,
          sql: o.sql,
          queues: o.queues,
          job,
          shardSize,
          slack: o.slack ?? null,
          secretBox: o.secretBox ?? null,
        });
        await outages.over(job, true);
        return result;
      } catch (error) {
        const fault = outages.enabled ? connectionFault(error) : null;
        if (fault === null || token === undefined) {
          await outages.over(job, false);
          throw error;
        }
        return outages.wait(job, token, fault, kind);
      }
    }
    worker.on("completed", (job) => jobOutcomes.inc({ queue: kind, job: job.name, outcome: "completed" }));
    worker.on("failed", (job, error) => {
      const final =
        error instanceof UnrecoverableError ||
        (job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1));
      jobOutcomes.inc({ queue: kind, job: job?.name ?? "unknown", outcome: final ? "failed" : "retried" });
      const definition = job && jobs.get(job.name);
      if (final && job && definition?.onFinalFailure) {
        definition
          .onFinalFailure(job.data, error, {
            prisma: o.prisma,
            sql: o.sql,
            queues: o.queues,
            shardSize,
            slack: o.slack ?? null,
            secretBox: o.secretBox ?? null,
          })
          .catch((e: unknown) =>
            o.log.error("final-failure handler failed", {
              job: job.name,
              id: job.id,
              error: (e as Error).message,
            }),
          );
      }
      o.log[final ? "error" : "warn"](final ? "job failed" : "job failed, will retry", {
        queue: kind,
        job: job?.name,
        id: job?.id,
        attempt: job?.attemptsMade,
        error: error.message,
      });
    });
    new RedisOutageLog(o.log, `the ${kind} worker`).follow(connections[i]!, [worker]);
    return worker;
  });
  return {
    close: async () => {
      const closing = Promise.all(workers.map((w) => w.close()));
      // The jobs in progress finish first (a job waiting out an outage, at most its wait). Then BullMQ
      // has a few seconds to close: with Redis unreachable, or its blocking connection stuck
      // reconnecting after a restart, its close never ends (taskforcesh/bullmq#4656), and a worker
      // told to stop would never stop.
      while (inProgress.size > 0) await Promise.allSettled([...inProgress]);
      const waitMs = o.closeAfterJobsMs ?? CLOSE_AFTER_JOBS_MS;
      if (!(await settlesWithin(closing, waitMs))) {
        o.log.warn("the queue workers did not close (Redis unreachable?): stopping without them", {
          waited_ms: waitMs,
          redis: connections.map((c) => c.status),
        });
      }
      // BullMQ leaves a connection it was handed open; these are ours to close.
      for (const c of connections) c.disconnect();
    },
  };
}
