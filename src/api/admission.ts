// How many ingest bodies the web process takes on at once. A request past auth waits its turn with
// its body unread (the socket applies backpressure), at most `concurrency` are read, parsed and
// written together, and when `queue` are already waiting the next one gets 503 with Retry-After.
// Without it 32 clients sending 14 MiB each had 32 bodies parsed, validated and written in
// interleaved slices on the event loop that also answers Slack, and a `/css` waited 3.8 s.
import { ApiError } from "./api-error.ts";

/** Seconds a refused client is told to wait: a turn comes up about this often under load. */
export const BUSY_RETRY_AFTER_SECONDS = 1;

export interface Admission {
  /** Runs `work` when a turn is free, or throws a 503 when too many are waiting already. */
  run<T>(work: () => Promise<T>): Promise<T>;
}

export function createAdmission(o: { concurrency: number; queue: number }): Admission {
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  return {
    run: async (work) => {
      if (active < o.concurrency) {
        active++;
      } else if (waiting.length < o.queue) {
        // The turn is handed over by release() without lowering `active`.
        await new Promise<void>((resolve) => waiting.push(resolve));
      } else {
        throw busy(o.concurrency + o.queue);
      }
      try {
        return await work();
      } finally {
        release();
      }
    },
  };
}

function busy(taken: number): ApiError {
  return new ApiError(
    503,
    "busy",
    `too many ingest requests at once (${taken} in progress or waiting); retry in ${BUSY_RETRY_AFTER_SECONDS} s`,
    { retry_after: BUSY_RETRY_AFTER_SECONDS },
    { "retry-after": String(BUSY_RETRY_AFTER_SECONDS) },
  );
}
