// The ingest API's parse threads: JSON.parse of megabytes and zod over ten thousand records run on
// worker threads, so the event loop that answers Slack only reads bodies and writes batches. A
// thread is started when a body needs one (up to `threads`) and answers one body at a time; its heap
// is capped, so a body that would take more memory costs its thread, not the process. A thread that
// dies fails the body it had (the router's 500 with an id; the Idempotency-Key is released) and is
// replaced by the next body that needs one.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { RecordKind } from "../ingest/record-schemas.ts";
import { ApiError } from "./api-error.ts";
import type { CheckedBatch } from "./check-batch.ts";
import type { ParseResult, ParseTask } from "./parse-thread.ts";

/**
 * Each parse thread's old-generation heap, MiB: far above what a 16 MiB body needs, so only a body
 * that would build hundreds of MiB of objects meets it (its thread dies: a 500, not the process).
 */
export const DEFAULT_PARSE_HEAP_MB = 512;

/** Threads for `concurrency` bodies at once: one per body, leaving a core to the event loop. */
export function defaultParseThreads(concurrency: number): number {
  return Math.max(1, Math.min(concurrency, availableParallelism() - 1));
}

export interface ParseThreads {
  /** The body's records, validated; an ApiError for a body refused as a whole (400, 413). */
  check<K extends RecordKind>(kind: K, body: Buffer): Promise<CheckedBatch<K>>;
  /** Stops the threads; bodies not yet answered fail. */
  close(): Promise<void>;
}

interface Pending {
  task: ParseTask;
  settle(result: ParseResult): void;
  fail(error: Error): void;
}

interface Thread {
  worker: Worker;
  pending: Pending | null;
}

// Worker threads do not inherit the loader that runs the TypeScript sources: each registers tsx's
// before it imports its entry (as bin/css-bot.js does for the process).
const BOOT = `const { workerData } = require("node:worker_threads");
import(workerData.tsx).then((tsx) => { tsx.register(); return import(workerData.entry); });`;
const ENTRY = new URL("./parse-thread.ts", import.meta.url).href;

export function startParseThreads(o: { threads: number; heapMb?: number }): ParseThreads {
  const threads: Thread[] = [];
  const queue: Pending[] = [];
  let nextId = 1;
  let closed = false;

  const dispatch = () => {
    while (queue.length > 0 && !closed) {
      const thread = threads.find((t) => t.pending === null) ?? (threads.length < o.threads ? spawn() : null);
      if (!thread) return;
      const pending = queue.shift()!;
      thread.pending = pending;
      thread.worker.ref();
      thread.worker.postMessage(pending.task);
    }
  };

  const spawn = (): Thread => {
    const worker = new Worker(BOOT, {
      eval: true,
      workerData: { tsx: import.meta.resolve("tsx/esm/api"), entry: ENTRY },
      resourceLimits: { maxOldGenerationSizeMb: o.heapMb ?? DEFAULT_PARSE_HEAP_MB },
    });
    // An idle thread never keeps the process alive (a busy one does, until it answers).
    worker.unref();
    const thread: Thread = { worker, pending: null };
    worker.on("message", (result: ParseResult) => {
      const pending = thread.pending;
      thread.pending = null;
      worker.unref();
      pending?.settle(result);
      dispatch();
    });
    let gone = false;
    const stopped = (why: string) => {
      if (gone) return;
      gone = true;
      threads.splice(threads.indexOf(thread), 1);
      thread.pending?.fail(new Error(`the parse thread stopped: ${why}`));
      thread.pending = null;
      void worker.terminate();
      dispatch();
    };
    worker.on("error", (error) => stopped(error.message));
    worker.on("exit", (code) => stopped(`exit code ${code}`));
    threads.push(thread);
    return thread;
  };

  return {
    check: <K extends RecordKind>(kind: K, body: Buffer) =>
      new Promise<CheckedBatch<K>>((resolve, reject) => {
        if (closed) return reject(new Error("the parse threads are closed"));
        queue.push({
          task: { id: nextId++, kind, body },
          fail: reject,
          settle: (result) => {
            if ("batch" in result) return resolve(result.batch as CheckedBatch<K>);
            if ("refused" in result) {
              const { status, code, message, fields, headers } = result.refused;
              return reject(new ApiError(status, code, message, fields, headers));
            }
            reject(new Error(`parsing the body failed: ${result.failed}`));
          },
        });
        dispatch();
      }),
    close: async () => {
      closed = true;
      for (const pending of queue.splice(0)) pending.fail(new Error("the parse threads are closed"));
      await Promise.all(threads.map((t) => t.worker.terminate()));
    },
  };
}
