// The body of an ingest request: `{"records": [...]}` or a bare array of records, at most
// MAX_RECORDS of them. Pure: bytes in, the records (not yet validated) out, or an ApiError.
import { ApiError } from "./api-error.ts";
import { payloadTooLarge } from "./http.ts";
import { locateJsonError } from "./locate-json-error.ts";

export const MAX_RECORDS = 10_000;

export function parseBatch(body: Buffer): unknown[] {
  const text = body.toString("utf8").replace(/^\uFEFF/, "");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const where = locateJsonError(text);
    throw new ApiError(
      400,
      "malformed_json",
      where
        ? `the body is not valid JSON: ${where.reason} at position ${where.position} (line ${where.line}, column ${where.column})`
        : `the body is not valid JSON: ${(e as Error).message}`,
      where ? { position: where.position, line: where.line, column: where.column } : {},
    );
  }
  const records = Array.isArray(value)
    ? value
    : isObject(value) && Array.isArray(value.records)
      ? (value.records as unknown[])
      : null;
  if (records === null) {
    throw new ApiError(
      400,
      "bad_request",
      'the body must be a JSON object {"records": [...]} or a JSON array of records',
    );
  }
  if (records.length > MAX_RECORDS) {
    throw payloadTooLarge(
      `at most ${MAX_RECORDS} records per request (got ${records.length}): split the batch`,
    );
  }
  return records;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);
