// One recompute run through the real queue: K `css-bot worker` processes on a queue prefix of their
// own, the run started with startRunFlow and timed until its row says succeeded, each shard's time
// from its completed BullMQ job, each worker's peak RSS (VmHWM) read just before SIGTERM, and the CPU
// the machine and the workers used meanwhile. The processes and the Redis keys are removed at the
// end, failure or not.
import type { Cleanup } from "./lifecycle.ts";
import os from "node:os";
import type { Day } from "../../src/domain/dates.ts";
import type { PrismaClient } from "../../src/generated/prisma/client.ts";
import { openQueues, type Queues } from "../../src/jobs/queues.ts";
import { startRunFlow } from "../../src/jobs/run-flow.ts";
import { cpuBetween, machineCpu, processCpuSeconds, type MachineCpu } from "./cpu-usage.ts";
import { benchRedisUrl, deleteQueueKeys, uniqueQueuePrefix } from "./queue-keys.ts";
import { startWorkerProcesses, type WorkerProcess } from "./worker-processes.ts";

/** How often the run's row is read while waiting: the resolution of the measured time. */
const POLL_MS = 20;

/** Undoes something the benchmark made; run in reverse order at the end or on an interrupt. */

export interface RunSpec {
  databaseUrl: string;
  workspaceId: number;
  asOf: Day;
  accounts: number;
  /** Worker processes, and jobs each runs at once (CSS_WORKER_CONCURRENCY). */
  workers: number;
  concurrency: number;
  shardSize: number;
  /** Each worker's V8 old-space limit (--max-old-space-size), in MiB. */
  workerHeapMb: number;
}

export interface RunResult {
  workers: number;
  shards: number;
  seconds: number;
  shardSeconds: number[];
  /** Shard attempts beyond the first (a retried shard means a fault, not a fast run). */
  retries: number;
  /** From startRunFlow to the first shard starting, and from the last shard ending to the run closed. */
  startLatency: number;
  closeLatency: number;
  peakRssMb: number[];
  /** CPU seconds during the run: the machine's, and the worker processes' own. */
  cpu: MachineCpu | null;
  workerCpu: number;
  runId: bigint;
  modelId: number;
}

export async function runOnWorkers(
  prisma: PrismaClient,
  spec: RunSpec,
  cleanups: Cleanup[],
  log: (text: string) => void,
): Promise<RunResult> {
  const prefix = uniqueQueuePrefix();
  const queues = openQueues(benchRedisUrl, prefix);
  let workers: WorkerProcess[] = [];
  let released: Promise<void> | undefined;
  const release = () =>
    (released ??= (async () => {
      await Promise.all(workers.map((w) => w.stop()));
      await queues.close();
      const keys = await deleteQueueKeys(benchRedisUrl, prefix);
      log(`  stopped the workers; deleted ${keys} Redis keys under ${prefix}:`);
    })());
  cleanups.push(release);
  try {
    // The workers would otherwise run the workspace's refresh-rollups job every 5 minutes, which
    // moves every rollup to today's date, and each run (as of the data's last day) would then
    // compute them again from the observations and move them back: a run slower each time (74 s,
    // then 88, 117, 126 and 149 s at 1,000,000 accounts). Nothing else the run needs is on this queue.
    await queues.queue.sync.pause();
    log(
      `starting ${spec.workers} worker process(es), concurrency ${spec.concurrency}, queue prefix ${prefix}`,
    );
    workers = await startWorkerProcesses(
      spec.workers,
      {
        DATABASE_URL: spec.databaseUrl,
        REDIS_URL: benchRedisUrl,
        CSS_QUEUE_PREFIX: prefix,
        CSS_SHARD_SIZE: String(spec.shardSize),
        CSS_WORKER_CONCURRENCY: String(spec.concurrency),
        // As docs/operations.md ("Configuration", NODE_OPTIONS) recommends: without a cap V8 lets the heap grow to a
        // quarter of the machine's memory before it collects in earnest.
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --max-old-space-size=${spec.workerHeapMb}`.trim(),
      },
      log,
    );
    log(`  ready: pids ${workers.map((w) => w.pid).join(", ")}; recomputing ${spec.accounts} accounts`);
    const cpuBefore = await machineCpu();
    const workerCpuBefore = await workerCpuSeconds(workers);
    const startedAt = Date.now();
    const t0 = performance.now();
    const started = await startRunFlow(prisma, queues, {
      workspaceId: spec.workspaceId,
      asOf: spec.asOf,
      slot: `bench-${spec.workers}w-${startedAt}`,
      trigger: "bench",
      shardSize: spec.shardSize,
    });
    const row = await waitForRun(prisma, queues, started.runId, workers);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuBetween(cpuBefore, await machineCpu());
    const workerCpu = (await workerCpuSeconds(workers)) - workerCpuBefore;
    const peakRssMb = await Promise.all(workers.map((w) => w.peakRssMb()));
    const jobs = (await queues.queue.recompute.getCompleted(0, -1)).filter(
      (j) => j.name === "recompute-shard" && j.id?.startsWith(`${started.jobId}-s`),
    );
    if (jobs.length !== started.shards) {
      throw new Error(`found ${jobs.length} completed shard jobs of ${started.shards}`);
    }
    const begun = Math.min(...jobs.map((j) => j.processedOn ?? Infinity));
    const ended = Math.max(...jobs.map((j) => j.finishedOn ?? 0));
    const result: RunResult = {
      workers: spec.workers,
      shards: started.shards,
      seconds,
      shardSeconds: jobs.map((j) => ((j.finishedOn ?? 0) - (j.processedOn ?? 0)) / 1000),
      retries: jobs.reduce((sum, j) => sum + Math.max(0, j.attemptsMade - 1), 0),
      startLatency: (begun - startedAt) / 1000,
      closeLatency: (startedAt + seconds * 1000 - ended) / 1000,
      peakRssMb,
      cpu,
      workerCpu,
      runId: started.runId,
      modelId: row.modelId ?? 0,
    };
    if (row.accounts !== spec.accounts || row.errors > 0) {
      throw new Error(
        `the run scored ${row.accounts} accounts with ${row.errors} errors; expected ${spec.accounts}`,
      );
    }
    log(
      `  ${seconds.toFixed(2)} s: ${result.shards} shards, p50 ${quantile(result.shardSeconds, 0.5).toFixed(2)} s; ` +
        `first shard began after ${result.startLatency.toFixed(2)} s, the run closed ` +
        `${result.closeLatency.toFixed(2)} s after the last ended; peak RSS ` +
        `${peakRssMb.map((m) => `${m.toFixed(0)} MiB`).join(", ")}` +
        (result.retries > 0 ? `; ${result.retries} shard RETRIES` : ""),
    );
    if (cpu) {
      const cores = os.cpus().length;
      log(
        `  CPU: the machine was busy ${cpu.busy.toFixed(1)} s of ${(seconds * cores).toFixed(1)} s ` +
          `(${cores} cores), waited for I/O ${cpu.iowait.toFixed(1)} s; the worker processes used ` +
          `${workerCpu.toFixed(1)} s, the rest (PostgreSQL, if nothing else runs) ${(cpu.busy - workerCpu).toFixed(1)} s`,
      );
    }
    return result;
  } finally {
    await release();
  }
}

async function workerCpuSeconds(workers: readonly WorkerProcess[]): Promise<number> {
  const each = await Promise.all(workers.map((w) => processCpuSeconds(w.pid)));
  return each.reduce((sum, v) => sum + v, 0);
}

/** Polls the run's row until it is succeeded; fails on a failed run, job or worker. */
async function waitForRun(
  prisma: PrismaClient,
  queues: Queues,
  runId: bigint,
  workers: readonly WorkerProcess[],
): Promise<{ accounts: number; errors: number; modelId: number | null }> {
  for (let i = 1; ; i++) {
    const run = await prisma.recomputeRun.findUniqueOrThrow({ where: { id: runId } });
    if (run.status === "succeeded") {
      const errors = Array.isArray(run.errors) ? run.errors.length : 0;
      return { accounts: run.accounts, errors, modelId: run.modelId };
    }
    if (run.status === "failed") throw new Error(`run ${runId} failed: ${run.error}`);
    const dead = workers.find((w) => w.exited());
    if (dead) {
      throw new Error(
        `worker ${dead.index} exited during the run; its last lines:\n${dead.recentLog().join("\n")}`,
      );
    }
    if (i % 50 === 0) {
      const [failed] = await queues.queue.recompute.getFailed(0, 0);
      if (failed) throw new Error(`job ${failed.id} failed: ${failed.failedReason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Nearest-rank quantile (with few shards, p95 is simply the slowest). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
