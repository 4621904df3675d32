// A warehouse row as a connector record: the row holds the columns of a public file format, so it
// is validated by the same zod schemas as a file or an API record (src/ingest/record-schemas.ts),
// and a bad row is rejected with the same reasons. Empty values keep what is stored, as in a file.
import { createHash } from "node:crypto";
import type { z } from "zod";
import { showControlChars } from "../ingest/control-chars.ts";
import { RECORD_SCHEMAS, type RecordKind, type RecordTypes } from "../ingest/record-schemas.ts";
import type { RejectedRecord, SourceAccount, SourceMetric, SourceResponse } from "./contract.ts";

export interface SqlRecords {
  read: number;
  accounts: SourceAccount[];
  metrics: SourceMetric[];
  responses: SourceResponse[];
  rejected: RejectedRecord[];
}

/** Validates one row of a `kind` mapping and adds it to `out` (or its rejection, as `label`). */
export function toSourceRecord(
  kind: RecordKind,
  row: Record<string, unknown>,
  label: string,
  out: SqlRecords,
): void {
  const parsed = (RECORD_SCHEMAS[kind] as z.ZodType<RecordTypes[typeof kind], unknown>).safeParse(
    plainValues(row),
  );
  if (!parsed.success) {
    const reason = parsed.error.issues.map((i) => `${i.path.join(".") || "row"}: ${i.message}`).join("; ");
    out.rejected.push({ record: showControlChars(label), reason });
    return;
  }
  switch (kind) {
    case "accounts": {
      const a = parsed.data as RecordTypes["accounts"];
      out.accounts.push({
        sourceId: a.accountId,
        externalId: a.accountId,
        name: a.name,
        ...keep("domain", a.domain),
        ...keep("segment", a.segment),
        ...keep("owner", a.owner),
        ...keep("mrr", a.mrr),
        ...keep("seats", a.seats),
        ...keep("renewalDate", a.renewalDate),
        ...keep("createdAt", a.createdAt),
        ...(a.statusGiven ? { status: a.status, churnedAt: a.churnedAt } : {}),
      });
      return;
    }
    case "metrics": {
      const m = parsed.data as RecordTypes["metrics"];
      out.metrics.push({
        sourceAccountId: m.accountId,
        metric: m.metric,
        value: m.value,
        observedOn: m.observedOn,
      });
      return;
    }
    case "responses": {
      const r = parsed.data as RecordTypes["responses"];
      out.responses.push({
        sourceAccountId: r.accountId,
        survey: r.survey,
        score: r.score,
        respondedAt: r.respondedAt,
        responseId: r.responseId ?? rowResponseId(r),
        respondent: r.respondent,
        comment: r.comment,
      });
      return;
    }
  }
}

/** A column left empty is "no value": the stored value stays (undefined), as in a file import. */
function keep<K extends string, V>(key: K, value: V | null): { [P in K]?: V } {
  return (value === null ? {} : { [key]: value }) as { [P in K]?: V };
}

/**
 * The id of a response row without a response_id: `row:<digest>:1`, the key the file import gives
 * the first of identical rows, so the same answer read by SQL and imported from a file is stored
 * once. Identical rows of one query are one response.
 */
export function rowResponseId(r: RecordTypes["responses"]): string {
  const digest = createHash("sha256")
    .update(JSON.stringify([r.accountId, r.survey, r.respondedAt.toISOString(), r.score, r.respondent]))
    .digest("base64url");
  return `row:${digest}:1`;
}

/** Values as a file would carry them: numbers and text as they are, anything else as text. */
function plainValues(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    out[key] =
      value === null || typeof value === "string" || typeof value === "number"
        ? value
        : value instanceof Date
          ? value.toISOString()
          : typeof value === "bigint" || typeof value === "boolean"
            ? String(value)
            : value;
  }
  return out;
}
