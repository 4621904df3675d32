// One validation pass over a batch with the file formats' schemas (src/ingest/record-schemas.ts):
// a record means the same in a request as on a line of a JSON Lines file. Pure; whether the
// accounts exist is checked when the batch is written (services/ingest-batch.ts).
import { showControlChars } from "../ingest/control-chars.ts";
import { checkRecord } from "../ingest/read-records.ts";
import { COLUMNS, type RecordKind, type RecordTypes } from "../ingest/record-schemas.ts";
import type { IndexedRecord, RecordIssue } from "../services/ingest-batch.ts";

export interface ValidatedBatch<K extends RecordKind> {
  records: IndexedRecord<K>[];
  issues: RecordIssue[];
  /** How many records had at least one issue. */
  invalid: number;
}

export function validateRecords<K extends RecordKind>(kind: K, items: readonly unknown[]): ValidatedBatch<K> {
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
      // Shown escaped: the reply is stored for the Idempotency-Key, and PostgreSQL cannot hold NUL.
      return unknown.map((k) => ({
        index,
        field: showControlChars(k.slice(0, 40)),
        reason: "unknown field",
      }));
    const checked = checkRecord(kind, row);
    if ("issues" in checked) return checked.issues.map((i) => ({ index, ...i }));
    if (kind === "accounts") {
      const id = (checked.record as RecordTypes["accounts"]).accountId;
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
    records.push({ index, record: checked.record });
    return [];
  }
}
