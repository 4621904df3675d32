// One validation pass over a batch with the file formats' schemas (src/ingest/record-schemas.ts):
// a record means the same in a request as on a line of a JSON Lines file. Pure; whether the
// accounts exist is checked when the batch is written (services/ingest-batch.ts).
import type { z } from "zod";
import { COLUMNS, RECORD_SCHEMAS, type RecordKind, type RecordTypes } from "../ingest/record-schemas.ts";
import type { IndexedRecord, RecordIssue } from "../services/ingest-batch.ts";

export interface ValidatedBatch<K extends RecordKind> {
  records: IndexedRecord<K>[];
  issues: RecordIssue[];
  /** How many records had at least one issue. */
  invalid: number;
}

export function validateRecords<K extends RecordKind>(kind: K, items: readonly unknown[]): ValidatedBatch<K> {
  // TypeScript cannot index the table by a generic key; the table's own type ties each kind to its record.
  const schema = RECORD_SCHEMAS[kind] as z.ZodType<RecordTypes[K], unknown>;
  const known = new Set<string>([...COLUMNS[kind].required, ...COLUMNS[kind].optional]);
  const firstIndexOf = new Map<string, number>();
  const records: IndexedRecord<K>[] = [];
  const issues: RecordIssue[] = [];
  let invalid = 0;
  items.forEach((item, index) => {
    const found = check(item, index);
    if (found.length > 0) {
      invalid++;
      issues.push(...found);
    }
  });
  return { records, issues, invalid };

  function check(item: unknown, index: number): RecordIssue[] {
    if (item === null || typeof item !== "object" || Array.isArray(item))
      return [{ index, field: null, reason: "each record must be a JSON object" }];
    const row = item as Record<string, unknown>;
    const unknown = Object.keys(row).filter((k) => !known.has(k));
    if (unknown.length > 0)
      return unknown.map((k) => ({ index, field: k.slice(0, 40), reason: "unknown field" }));
    const result = schema.safeParse(row);
    if (!result.success) {
      return result.error.issues.map((i) => {
        const field = i.path.length > 0 ? String(i.path[0]) : null;
        // Optional fields turn blank into null, so any problem with a blank field is a missing value.
        return { index, field, reason: field !== null && blank(row[field]) ? "required" : i.message };
      });
    }
    if (kind === "accounts") {
      const id = result.data.accountId;
      const first = firstIndexOf.get(id);
      if (first !== undefined)
        return [
          {
            index,
            field: "account_id",
            reason: `duplicate account id ${JSON.stringify(id)} (first at index ${first})`,
          },
        ];
      firstIndexOf.set(id, index);
    }
    records.push({ index, record: result.data });
    return [];
  }
}

const blank = (v: unknown) => v === undefined || v === null || (typeof v === "string" && v.trim() === "");
