// One of the ingest API's parse threads (parse-threads.ts starts it through tsx): a body in, the
// checked batch out, or the ApiError it was refused with, as plain data. Any other failure is
// reported as such; a crash (out of memory) ends the thread, and the pool answers for it.
import { parentPort } from "node:worker_threads";
import type { RecordKind } from "../ingest/record-schemas.ts";
import { ApiError } from "./api-error.ts";
import { checkBatch } from "./check-batch.ts";

export interface ParseTask {
  id: number;
  kind: RecordKind;
  body: Uint8Array;
}

export type ParseResult =
  | { id: number; batch: ReturnType<typeof checkBatch> }
  | {
      id: number;
      refused: {
        status: number;
        code: string;
        message: string;
        fields: Record<string, unknown>;
        headers: Record<string, string>;
      };
    }
  | { id: number; failed: string };

const port = parentPort!;
port.on("message", (task: ParseTask) => {
  port.postMessage(run(task));
});

function run(task: ParseTask): ParseResult {
  try {
    return { id: task.id, batch: checkBatch(task.kind, task.body) };
  } catch (e) {
    if (e instanceof ApiError)
      return {
        id: task.id,
        refused: { status: e.status, code: e.code, message: e.message, fields: e.fields, headers: e.headers },
      };
    return { id: task.id, failed: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
}
