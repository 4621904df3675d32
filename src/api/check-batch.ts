// A request body to the records it holds, validated: what the ingest API's parse threads do
// (parse-threads.ts), and what a process without them does inline. Pure: bytes in, the batch or the
// ApiError a parse refusal is (400 malformed JSON, 413 too many records) out.
import type { RecordKind } from "../ingest/record-schemas.ts";
import { parseBatch } from "./parse-batch.ts";
import { validateRecords, type ValidatedBatch } from "./validate-records.ts";

export interface CheckedBatch<K extends RecordKind> extends ValidatedBatch<K> {
  /** Records in the body (what the rate limit counts). */
  count: number;
}

export function checkBatch<K extends RecordKind>(kind: K, body: Uint8Array): CheckedBatch<K> {
  const items = parseBatch(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  return { count: items.length, ...validateRecords(kind, items) };
}
