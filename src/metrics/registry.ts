// What the processes count, for Prometheus (GET /metrics on the web process and on a worker's probe
// port): queue depths, job outcomes, runs, Slack calls and ingested records, so that faults show as
// figures. One registry per process; its counters are the process's since it started.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { QUEUE_KINDS, type Queues } from "../jobs/queues.ts";

export const registry = new Registry();

export const jobOutcomes = new Counter({
  name: "css_bot_jobs_total",
  help: "Jobs this process ran, by queue, job and outcome (completed, retried, failed)",
  labelNames: ["queue", "job", "outcome"] as const,
  registers: [registry],
});

export const outageWaits = new Counter({
  name: "css_bot_outage_waits_total",
  help: "Jobs put back on their queue to wait for an unreachable database or Redis, without using an attempt",
  labelNames: ["queue", "job"] as const,
  registers: [registry],
});

export const runDuration = new Histogram({
  name: "css_bot_run_duration_seconds",
  help: "Recompute runs closed by this process: seconds from the run's start to its close",
  buckets: [1, 5, 15, 30, 60, 120, 300, 900, 3600],
  registers: [registry],
});

export const accountsScored = new Counter({
  name: "css_bot_accounts_scored_total",
  help: "Accounts scored by the recompute runs this process closed",
  registers: [registry],
});

export type SlackOutcome = "ok" | "rate_limited" | "refused" | "timed_out" | "failed";

export const slackCalls = new Counter({
  name: "css_bot_slack_calls_total",
  help: "Slack Web API calls through the gateway, by method and outcome",
  labelNames: ["method", "outcome"] as const,
  registers: [registry],
});

export const ingestRecords = new Counter({
  name: "css_bot_ingest_records_total",
  help: "Records sent to the ingest API, by kind and outcome (accepted, refused)",
  labelNames: ["kind", "outcome"] as const,
  registers: [registry],
});

const queueStates = ["waiting", "active", "delayed", "failed", "completed"] as const;

/** Queue depths, read from Redis when scraped; one process's queues at a time. */
export function watchQueues(queues: Queues): void {
  registry.removeSingleMetric("css_bot_queue_jobs");
  new Gauge({
    name: "css_bot_queue_jobs",
    help: "Jobs on each queue by state, as Redis holds them when scraped",
    labelNames: ["queue", "state"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const kind of QUEUE_KINDS) {
        const counts = await queues.queue[kind].getJobCounts(...queueStates);
        for (const state of queueStates) this.set({ queue: kind, state }, counts[state] ?? 0);
      }
    },
  });
}
