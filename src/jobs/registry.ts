// Every job the workers run, by name; and the one way to enqueue one.
import { jobOptions, type JobDefinition, type RegisteredJob } from "./define-job.ts";
import { recomputeFinalize } from "./definitions/recompute-finalize.ts";
import { recomputeShard } from "./definitions/recompute-shard.ts";
import { recomputeTick } from "./definitions/recompute-tick.ts";
import type { Queues } from "./queues.ts";

export const JOBS: readonly RegisteredJob[] = [recomputeTick, recomputeShard, recomputeFinalize];

export const JOBS_BY_NAME: ReadonlyMap<string, RegisteredJob> = new Map(JOBS.map((j) => [j.name, j]));

/** Enqueues a job after validating its payload here, where a mistake is the caller's to see. */
export async function enqueue<P>(
  queues: Queues,
  definition: JobDefinition<P>,
  payload: P,
  jobId?: string,
): Promise<string> {
  const data = definition.payload.parse(payload);
  const job = await queues.queue[definition.queue].add(definition.name, data, jobOptions(definition, jobId));
  return job.id ?? "";
}
