// Reads an outcomes file (`account_id,churned[,churned_at]`, CSV or JSON Lines like the other
// files): which accounts churned. Bad rows are reported by file, line and field, like every input.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import { parse as parseCsv, CsvError } from "csv-parse";
import { z } from "zod";
import { parseDay, type Day } from "../domain/dates.ts";
import { formatOf, InputFileError, type RowIssue } from "../ingest/read-records.ts";
import type { IssueReport } from "../ingest/row-issues.ts";

export interface Outcome {
  accountId: string;
  churned: boolean;
  churnedAt: Day | null;
  line: number;
}

const REQUIRED = ["account_id", "churned"] as const;
const COLUMNS = new Set<string>([...REQUIRED, "churned_at"]);

const blank = (v: unknown) => v === undefined || v === null || (typeof v === "string" && v.trim() === "");

const outcomeSchema = z
  .object({
    account_id: z.preprocess(
      (v) => (typeof v === "number" ? String(v) : typeof v === "string" ? v.trim() : v),
      z.string({ error: "required" }).min(1, "required").max(200, "at most 200 characters"),
    ),
    churned: z.preprocess(
      (v) => {
        const s = typeof v === "string" ? v.trim().toLowerCase() : v;
        if (s === "1" || s === 1 || s === "true" || s === true) return true;
        if (s === "0" || s === 0 || s === "false" || s === false) return false;
        return blank(v) ? undefined : String(v);
      },
      z.boolean({
        error: (i) =>
          i.input === undefined ? "required" : `must be 1, 0, true or false, got ${JSON.stringify(i.input)}`,
      }),
    ),
    churned_at: z.preprocess(
      (v) => (blank(v) ? null : v),
      z
        .string({ error: "a date YYYY-MM-DD is expected" })
        .nullable()
        .transform((s, ctx) => {
          if (s === null) return null;
          const day = parseDay(s);
          if (day === null) {
            ctx.addIssue({
              code: "custom",
              message: `not a date (YYYY-MM-DD or ISO timestamp): ${JSON.stringify(s)}`,
            });
            return z.NEVER;
          }
          return day;
        }),
    ),
  })
  .superRefine((r, ctx) => {
    if (!r.churned && r.churned_at !== null)
      ctx.addIssue({ code: "custom", path: ["churned_at"], message: "set, but churned is 0 (false)" });
  });

/**
 * Every outcome of the file, keyed by account; bad rows, duplicates and accounts not in `known` go
 * to `report` (their outcome is left out).
 */
export async function readOutcomes(
  file: string,
  known: ReadonlySet<string>,
  accountsFile: string,
  report: IssueReport,
): Promise<Map<string, Outcome>> {
  const outcomes = new Map<string, Outcome>();
  for await (const { line, row } of readRows(file)) {
    if ("issues" in row) {
      report.add(file, row.issues);
      continue;
    }
    const result = outcomeSchema.safeParse(row.values);
    if (!result.success) {
      report.add(
        file,
        result.error.issues.map((i) => ({
          line,
          field: i.path.length > 0 ? String(i.path[0]) : null,
          reason: i.message,
        })),
      );
      continue;
    }
    const r = result.data;
    const issue = (reason: string) => report.add(file, [{ line, field: "account_id", reason }]);
    const first = outcomes.get(r.account_id);
    if (first) issue(`duplicate outcome for ${JSON.stringify(r.account_id)} (first on line ${first.line})`);
    else if (!known.has(r.account_id))
      issue(`unknown account ${JSON.stringify(r.account_id)} (not in ${accountsFile})`);
    else
      outcomes.set(r.account_id, {
        accountId: r.account_id,
        churned: r.churned,
        churnedAt: r.churned_at,
        line,
      });
  }
  return outcomes;
}

type Row = { values: Record<string, unknown> } | { issues: RowIssue[] };

async function* readRows(file: string): AsyncGenerator<{ line: number; row: Row }> {
  const format = formatOf(file);
  try {
    if (!(await stat(file)).isFile()) throw new InputFileError(file, "not a file");
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
  try {
    yield* format === "csv" ? csvRows(file, stream) : jsonRows(stream);
  } finally {
    stream.destroy();
  }
}

async function* csvRows(
  file: string,
  stream: NodeJS.ReadableStream,
): AsyncGenerator<{ line: number; row: Row }> {
  const parser = stream.pipe(
    parseCsv({ bom: true, skip_empty_lines: true, relax_column_count: true, info: true }),
  );
  let header: string[] | null = null;
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      const line = info.lines;
      if (header === null) {
        header = record.map((h) => h.trim());
        const missing = REQUIRED.filter((c) => !header!.includes(c));
        const unknown = header.filter((c) => !COLUMNS.has(c));
        if (missing.length > 0 || unknown.length > 0)
          throw new InputFileError(
            file,
            `bad outcomes header: ${[
              ...(missing.length > 0 ? [`missing ${missing.join(", ")}`] : []),
              ...(unknown.length > 0 ? [`unknown ${unknown.map((c) => JSON.stringify(c)).join(", ")}`] : []),
            ].join("; ")} (columns: account_id,churned,churned_at)`,
            1,
          );
        continue;
      }
      if (record.length !== header.length) {
        const reason = `has ${record.length} fields, the header has ${header.length}`;
        yield { line, row: { issues: [{ line, field: null, reason }] } };
        continue;
      }
      yield { line, row: { values: Object.fromEntries(header.map((c, i) => [c, record[i]])) } };
    }
  } catch (e) {
    if (e instanceof CsvError) throw new InputFileError(file, `not valid CSV: ${e.message}`);
    throw e;
  }
  if (header === null)
    throw new InputFileError(file, "empty file: expected a header row (account_id,churned,...)");
}

async function* jsonRows(stream: NodeJS.ReadableStream): AsyncGenerator<{ line: number; row: Row }> {
  let line = 0;
  for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
    line++;
    if (text.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      yield {
        line,
        row: { issues: [{ line, field: null, reason: `not valid JSON (${(e as Error).message})` }] },
      };
      continue;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      yield { line, row: { issues: [{ line, field: null, reason: "each line must be a JSON object" }] } };
      continue;
    }
    const unknown = Object.keys(value).filter((k) => !COLUMNS.has(k));
    if (unknown.length > 0) {
      yield {
        line,
        row: { issues: unknown.map((k) => ({ line, field: k.slice(0, 40), reason: "unknown field" })) },
      };
      continue;
    }
    yield { line, row: { values: value as Record<string, unknown> } };
  }
}
