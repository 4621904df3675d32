// Outages are waited out, not retried away. A job that finds the database (or Redis) unreachable is
// put back on its queue, delayed, without using one of its attempts (BullMQ's moveToDelayed and
// DelayedError): 5 s, then twice as long each time up to a minute, for as long as the outage lasts
// up to a limit (CSS_OUTAGE_MAX_WAIT_MS, 30 minutes by default), after which it fails, naming the
// outage. When the outage began is kept in the job's data, which survives the delays and a restart
// of the worker, and is removed once the job gets through. Each process logs an outage once when it
// begins and once when it ends, not once per try.
import { DelayedError, UnrecoverableError, type Job } from "bullmq";
import { z } from "zod";
import { DEFAULT_OUTAGE_MAX_WAIT_MS } from "../config/env.ts";
import type { Logger } from "../log.ts";
import { outageWaits } from "../metrics/registry.ts";

export interface OutagePolicy {
  /** How long one job waits for one outage before it fails; 0: outages use up attempts like any fault. */
  maxWaitMs: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_OUTAGE_POLICY: OutagePolicy = {
  maxWaitMs: DEFAULT_OUTAGE_MAX_WAIT_MS,
  firstDelayMs: 5000,
  maxDelayMs: 60_000,
};

/** The job data field holding a job's outage (payload schemas ignore it). */
export const OUTAGE_FIELD = "outage";

const outageState = z.object({ since: z.number(), waits: z.number().int().min(0) });
export type OutageState = z.infer<typeof outageState>;

/** The job's outage, when its last try met one. */
export function jobOutage(data: unknown): OutageState | null {
  const parsed = outageState.safeParse((data as Record<string, unknown> | null)?.[OUTAGE_FIELD]);
  return parsed.success ? parsed.data : null;
}

/** How long to wait before the next try, or null once the outage has lasted past the limit. */
export function nextWaitMs(state: OutageState, now: number, policy: OutagePolicy): number | null {
  const left = state.since + policy.maxWaitMs - now;
  if (left <= 0) return null;
  const backoff = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.min(state.waits, 30));
  return Math.min(backoff, left);
}

/** One per worker process: waits jobs out and tells the outage's beginning and end, once each. */
export class OutageWatch {
  /** When this process first met the current outage; null while none is going on. */
  private since: number | null = null;
  private waits = 0;

  constructor(
    private readonly policy: OutagePolicy,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.policy.maxWaitMs > 0;
  }

  /**
   * Delays `job` on its queue and throws DelayedError (the worker then neither fails nor retries
   * it); once the job has waited past the limit, throws an UnrecoverableError naming the outage.
   */
  async wait(job: Job, token: string, fault: string, queue: string): Promise<never> {
    const now = this.now();
    const state = jobOutage(job.data) ?? { since: now, waits: 0 };
    const delay = nextWaitMs(state, now, this.policy);
    if (delay === null) {
      const minutes = Math.round((now - state.since) / 60_000);
      throw new UnrecoverableError(`gave up after waiting ${minutes} min for an outage to end: ${fault}`);
    }
    if (this.since === null) {
      this.since = now;
      this.waits = 0;
      this.log.warn("outage: jobs wait for it to end instead of using their attempts", {
        fault,
        max_wait_s: Math.round(this.policy.maxWaitMs / 1000),
      });
    }
    this.waits++;
    outageWaits.inc({ queue, job: job.name });
    await job.updateData({ ...job.data, [OUTAGE_FIELD]: { since: state.since, waits: state.waits + 1 } });
    await job.moveToDelayed(now + delay, token);
    throw new DelayedError(`waiting ${delay} ms for an outage to end: ${fault}`);
  }

  /** The job got through (or failed for another reason): its outage, if it had one, is over. */
  async over(job: Job, succeeded: boolean): Promise<void> {
    if (succeeded && this.since !== null) {
      this.log.info("outage over: jobs run again", {
        lasted_s: Math.round((this.now() - this.since) / 1000),
        waits: this.waits,
      });
      this.since = null;
    }
    if (jobOutage(job.data) === null) return;
    const { [OUTAGE_FIELD]: _done, ...data } = job.data as Record<string, unknown>;
    // Best effort: a mark left behind only makes a later outage of this job's count from this one.
    await job.updateData(data).catch(() => undefined);
  }
}
