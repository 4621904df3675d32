// The body of an ingest request: `{"records": [...]}` or a bare array of records, at most
// MAX_RECORDS of them. Pure: bytes in, the records (not yet validated) out, or an ApiError.
import { isUtf8 } from "node:buffer";
import { ApiError } from "./api-error.ts";
import { payloadTooLarge } from "./http.ts";
import { locateJsonError } from "./locate-json-error.ts";

export const MAX_RECORDS = 10_000;

/**
 * A JSON body as text: UTF-8 (RFC 8259), strictly, so a Latin-1 "é" is refused with its position
 * rather than stored as U+FFFD without a word; a byte order mark is dropped.
 */
export function jsonText(body: Buffer): string {
  if (!isUtf8(body)) throw notUtf8(body);
  return body.toString("utf8").replace(/^\uFEFF/, "");
}

export function parseBatch(body: Buffer): unknown[] {
  const text = jsonText(body);
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

/** 400 naming the first byte that is not UTF-8: its position in the body, its line and column. */
function notUtf8(body: Buffer): ApiError {
  const position = firstNonUtf8Byte(body);
  const before = body.subarray(0, position);
  const lineStart = before.lastIndexOf(0x0a) + 1;
  const line = before.filter((b) => b === 0x0a).length + 1;
  const column = before.subarray(lineStart).toString("utf8").length + 1;
  const byte = body[position]!.toString(16).toUpperCase().padStart(2, "0");
  return new ApiError(
    400,
    "malformed_json",
    `the body is not UTF-8: byte 0x${byte} at position ${position} (line ${line}, column ${column}); send JSON encoded as UTF-8`,
    { position, line, column },
  );
}

/** The offset of the first character that is not UTF-8 (the body is known not to be). */
function firstNonUtf8Byte(body: Buffer): number {
  let i = 0;
  while (i < body.length) {
    const lead = body[i]!;
    const size =
      lead < 0x80
        ? 1
        : lead >= 0xc2 && lead <= 0xdf
          ? 2
          : lead >= 0xe0 && lead <= 0xef
            ? 3
            : lead >= 0xf0 && lead <= 0xf4
              ? 4
              : 0;
    if (size === 0 || !isUtf8(body.subarray(i, i + size))) return i;
    i += size;
  }
  return body.length - 1;
}
