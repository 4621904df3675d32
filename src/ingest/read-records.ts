// Streams records out of a CSV or JSON Lines file, validating each row as it goes, so a file of a
// million rows is read with bounded memory. Bad rows come out as issues naming the line and field;
// problems with the file as a whole (missing, unknown format, bad header) throw InputFileError.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { extname } from "node:path";
import { Readable, pipeline } from "node:stream";
import { parse as parseCsv, CsvError } from "csv-parse";
import type { z } from "zod";
import { showControlChars } from "./control-chars.ts";
import { decodeText, type Encoding } from "./decode-text.ts";
import { InputFileError } from "./input-file-error.ts";
import { COLUMNS, RECORD_SCHEMAS, type RecordKind, type RecordTypes } from "./record-schemas.ts";

export interface RowIssue {
  line: number;
  field: string | null;
  reason: string;
}

export type ReadItem<K extends RecordKind> =
  | { line: number; record: RecordTypes[K]; issues?: undefined }
  | { line: number; record?: undefined; issues: RowIssue[] };

export { InputFileError };

export type FileFormat = "csv" | "jsonl";

export function formatOf(file: string): FileFormat {
  const ext = extname(file).toLowerCase();
  if (ext === ".csv") return "csv";
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  throw new InputFileError(
    file,
    `not a CSV or JSON Lines file: name it .csv, .jsonl or .ndjson (got "${ext || "no extension"}")`,
  );
}

/**
 * The most bytes one record (a CSV row, a JSON Lines line) may hold, as UTF-8: far above any valid
 * record (the schemas' text limits add up to a few KiB), and what keeps a file with one 50 MB field
 * from being held in memory: it is refused with its line as soon as it passes the limit.
 */
export const MAX_RECORD_BYTES = 1024 * 1024;

export interface ReadOptions {
  /** Called as bytes are read, for a progress bar. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** How the file's bytes are text: "utf8" (the default; anything else is refused with its line) or "latin1". */
  encoding?: Encoding;
  /** Bytes per record; MAX_RECORD_BYTES unless a test needs a smaller file. */
  maxRecordBytes?: number;
}

export function readRecords<K extends RecordKind>(
  file: string,
  kind: K,
  options: ReadOptions = {},
): AsyncGenerator<ReadItem<K>> {
  // Returned, not delegated with yield*: no second generator step per row of a million-row file.
  return readRows(file, { label: kind, ...COLUMNS[kind] }, (line, row) => validate(kind, line, row), options);
}

/** The columns of a kind of file: its header must name the required ones and no unknown ones. */
export interface FileColumns {
  /** For messages: "metrics", "outcomes". */
  label: string;
  required: readonly string[];
  optional: readonly string[];
}

/**
 * The rows of a CSV or JSON Lines file as `toItem` makes them, or the problems of a row that is not
 * one (wrong field count, bad JSON, unknown fields). Every file format of the project reads through
 * here, so they all report bad input the same way.
 */
export async function* readRows<T>(
  file: string,
  columns: FileColumns,
  toItem: (line: number, row: Record<string, unknown>) => T,
  options: ReadOptions = {},
): AsyncGenerator<T | { line: number; issues: RowIssue[] }> {
  const format = formatOf(file);
  let totalBytes: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new InputFileError(file, "not a file");
    totalBytes = info.size;
  } catch (e) {
    if (e instanceof InputFileError) throw e;
    throw new InputFileError(
      file,
      (e as NodeJS.ErrnoException).code === "ENOENT"
        ? "no such file"
        : `cannot read: ${(e as Error).message}`,
    );
  }
  const stream = createReadStream(file);
  let bytesRead = 0;
  const text = decodeText(file, stream, options.encoding ?? "utf8", (chunk) => {
    bytesRead += chunk.length;
    options.onProgress?.(bytesRead, totalBytes);
  });
  const maxBytes = options.maxRecordBytes ?? MAX_RECORD_BYTES;
  try {
    yield* format === "csv"
      ? readCsv(file, columns, text, toItem, maxBytes)
      : readJsonLines(columns, text, toItem, maxBytes);
  } finally {
    stream.destroy();
  }
}

function validate<K extends RecordKind>(kind: K, line: number, row: Record<string, unknown>): ReadItem<K> {
  const checked = checkRecord(kind, row);
  if ("record" in checked) return { line, record: checked.record };
  return { line, issues: checked.issues.map((i) => ({ line, ...i })) };
}

/**
 * One record (a CSV row, a JSON Lines line or an API record) against its kind's schema: the record,
 * or every problem with the field it concerns. The file import and the ingest API share it.
 */
export function checkRecord<K extends RecordKind>(
  kind: K,
  row: Record<string, unknown>,
): { record: RecordTypes[K] } | { issues: { field: string | null; reason: string }[] } {
  // TypeScript cannot index the table by a generic key; the table's own type ties each kind to its record.
  const schema = RECORD_SCHEMAS[kind] as z.ZodType<RecordTypes[K], unknown>;
  const result = schema.safeParse(row);
  if (result.success) return { record: result.data };
  return {
    issues: result.error.issues.map((i) => ({
      field: i.path.length > 0 ? String(i.path[0]) : null,
      // Optional fields turn blank into null, so any problem with a blank field is a missing required value.
      reason: i.path.length > 0 && blankField(row[String(i.path[0])]) ? "required" : i.message,
    })),
  };
}

const blankField = (v: unknown) =>
  v === undefined || v === null || (typeof v === "string" && v.trim() === "");

async function* readCsv<T>(
  file: string,
  columns: FileColumns,
  text: AsyncIterable<string>,
  toItem: (line: number, row: Record<string, unknown>) => T,
  maxBytes: number,
): AsyncGenerator<T | { line: number; issues: RowIssue[] }> {
  const parser = parseCsv({
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
    info: true,
    max_record_size: maxBytes,
  });
  // pipeline, not pipe: a decoding error (not UTF-8) ends the parser with it, so the loop throws it.
  pipeline(Readable.from(text), parser, () => {});
  let header: string[] | null = null;
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const { record, info } = item;
      if (header === null) {
        header = checkHeader(file, columns, record);
        continue;
      }
      if (record.length !== header.length) {
        yield {
          line: info.lines,
          issues: [
            {
              line: info.lines,
              field: null,
              reason: `has ${record.length} fields, the header has ${header.length}`,
            },
          ],
        };
        continue;
      }
      const row: Record<string, unknown> = {};
      header.forEach((column, i) => (row[column] = record[i]));
      yield toItem(info.lines, row);
    }
  } catch (e) {
    if (e instanceof CsvError) {
      const line = (e as CsvError & { lines?: number }).lines ?? null;
      if (e.code === "CSV_MAX_RECORD_SIZE") throw new InputFileError(file, tooLong(maxBytes), line);
      throw new InputFileError(file, `not valid CSV: ${e.message.replace(/^Invalid [^:]+: /, "")}`, line);
    }
    throw e;
  }
  if (header === null)
    throw new InputFileError(file, `empty file: expected a header row (${columns.required.join(",")},...)`);
}

function checkHeader(file: string, spec: FileColumns, header: string[]): string[] {
  const columns = header.map((h) => h.trim());
  const known = new Set<string>([...spec.required, ...spec.optional]);
  const problems: string[] = [];
  const missing = spec.required.filter((c) => !columns.includes(c));
  if (missing.length > 0)
    problems.push(`missing column${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`);
  const unknown = columns.filter((c) => !known.has(c));
  if (unknown.length > 0)
    problems.push(
      `unknown column${unknown.length > 1 ? "s" : ""} ${unknown.map((c) => JSON.stringify(c.slice(0, 40))).join(", ")}`,
    );
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) problems.push(`column ${c} appears twice`);
    seen.add(c);
  }
  if (problems.length > 0) {
    throw new InputFileError(
      file,
      `bad ${spec.label} header: ${problems.join("; ")} (columns: ${[...known].join(",")})`,
      1,
    );
  }
  return columns;
}

async function* readJsonLines<T>(
  columns: FileColumns,
  chunks: AsyncIterable<string>,
  toItem: (line: number, row: Record<string, unknown>) => T,
  maxBytes: number,
): AsyncGenerator<T | { line: number; issues: RowIssue[] }> {
  const known = new Set<string>([...columns.required, ...columns.optional]);
  for await (const { line, text } of linesOf(chunks, maxBytes)) {
    if (text === null) {
      yield { line, issues: [{ line, field: null, reason: tooLong(maxBytes) }] };
      continue;
    }
    if (text.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      yield { line, issues: [{ line, field: null, reason: `not valid JSON (${(e as Error).message})` }] };
      continue;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      yield { line, issues: [{ line, field: null, reason: "each line must be a JSON object" }] };
      continue;
    }
    const unknown = Object.keys(value).filter((k) => !known.has(k));
    if (unknown.length > 0) {
      yield {
        line,
        issues: unknown.map((k) => ({
          line,
          field: showControlChars(k.slice(0, 40)),
          reason: "unknown field",
        })),
      };
      continue;
    }
    yield toItem(line, value as Record<string, unknown>);
  }
}

const tooLong = (maxBytes: number) =>
  `record longer than ${maxBytes} bytes, the limit per record (docs/data.md, "File formats")`;

/**
 * The lines of a text, numbered from 1, without their line break; a line longer than `maxBytes`
 * comes out as null, and is dropped as it is read rather than held.
 */
async function* linesOf(
  text: AsyncIterable<string>,
  maxBytes: number,
): AsyncGenerator<{ line: number; text: string | null }> {
  let line = 1;
  let parts: string[] = [];
  // The line's UTF-8 bytes, or while that is within the limit a bound: at most 3 per UTF-16 unit.
  // Counting exactly only past a third of the limit keeps Buffer.byteLength off every line.
  let size = 0;
  let exact = false;
  let long = false;
  const end = () => {
    const whole = long ? null : parts.join("");
    parts = [];
    size = 0;
    exact = false;
    long = false;
    return whole !== null && whole.endsWith("\r") ? whole.slice(0, -1) : whole;
  };
  for await (const chunk of text) {
    let start = 0;
    for (;;) {
      const lf = chunk.indexOf("\n", start);
      const piece = lf < 0 ? chunk.slice(start) : chunk.slice(start, lf);
      if (!long) {
        parts.push(piece);
        if (exact) size += Buffer.byteLength(piece);
        else if ((size += piece.length * 3) > maxBytes) {
          size = Buffer.byteLength(parts.join(""));
          exact = true;
        }
        long = size > maxBytes;
        if (long) parts = [];
      }
      if (lf < 0) break;
      yield { line: line++, text: end() };
      start = lf + 1;
    }
  }
  if (long || parts.length > 0) yield { line, text: end() };
}

/** `metrics.csv:12 value: not a number ("abc")` */
export function formatIssue(file: string, issue: RowIssue): string {
  return `${file}:${issue.line}${issue.field ? ` ${issue.field}` : ""}: ${issue.reason}`;
}
