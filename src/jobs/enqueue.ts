// The one way to enqueue a job (apart from the registry, so job files can enqueue their successors).
import { jobOptions, type JobDefinition } from "./define-job.ts";
import type { Queues } from "./queues.ts";

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
