// Writes one batch of the ingest API into a workspace. The records were validated by the shared
// schemas (src/ingest/record-schemas.ts); here their accounts are resolved in one query and the
// batch is written in one transaction with the bulk statements of the file import. All or nothing:
// with any invalid record (an unknown account included) nothing is written.
import { resolveAccountIds, upsertAccounts } from "../db/repositories/accounts.ts";
import {
  createResponseStage,
  insertStagedResponses,
  stageResponses,
  upsertObservations,
} from "../db/repositories/observations.ts";
import type { Db } from "../db/handle.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { responseDigest } from "./import-records.ts";
import { loadSourceGuard } from "../db/repositories/workspaces.ts";
import type { RecordKind, RecordTypes, ResponseRow } from "../ingest/record-schemas.ts";

/** A record and its position in the request's array. */
export interface IndexedRecord<K extends RecordKind> {
  index: number;
  record: RecordTypes[K];
}

export interface RecordIssue {
  index: number;
  field: string | null;
  reason: string;
}

/** What a written batch did; which counts a kind reports depends on what its statements can tell. */
export interface IngestCounts {
  accepted: number;
  /** accounts and responses: rows that did not exist before. */
  created?: number;
  /** accounts: existing accounts updated. */
  updated?: number;
  /** responses: responses already stored (same response_id, or the same fields), left alone. */
  duplicates?: number;
  /** metrics: values not written, as another source's value for the day ranks above the API's. */
  superseded?: number;
}

export type IngestOutcome =
  { written: true; counts: IngestCounts } | { written: false; issues: RecordIssue[] };

export interface IngestOptions {
  /** Issues the records already had (schema validation): the batch is checked, but not written. */
  issues?: readonly RecordIssue[];
  /** Runs inside the write's transaction, after the write (an idempotency record commits with it). */
  onWritten?: (tx: Db, counts: IngestCounts) => Promise<void>;
}

class RollBack extends Error {}

export async function ingestBatch<K extends RecordKind>(
  prisma: PrismaClient,
  workspaceId: number,
  kind: K,
  records: readonly IndexedRecord<K>[],
  options: IngestOptions = {},
): Promise<IngestOutcome> {
  const issues = [...(options.issues ?? [])];
  try {
    const counts = await prisma.$transaction(
      async (tx) => {
        const counts = await writeBatch(tx, workspaceId, kind, records, issues);
        if (issues.length > 0) throw new RollBack();
        await options.onWritten?.(tx, counts);
        return counts;
      },
      { timeout: 60_000, maxWait: 10_000 },
    );
    return { written: true, counts };
  } catch (e) {
    if (!(e instanceof RollBack)) throw e;
    return { written: false, issues: issues.sort((a, b) => a.index - b.index) };
  }
}

/** Checks the accounts of the records (adding to `issues`) and writes them only if there are none. */
async function writeBatch(
  db: Db,
  workspaceId: number,
  kind: RecordKind,
  records: readonly IndexedRecord<RecordKind>[],
  issues: RecordIssue[],
): Promise<IngestCounts> {
  if (kind === "accounts" && issues.length > 0) return { accepted: 0 };
  // Accounts: the ones that exist already (to count them); the other kinds: the accounts they name.
  const ids = await resolveAccountIds(
    db,
    workspaceId,
    records.map((r) => r.record.accountId),
  );
  if (kind === "accounts") {
    const rows = records.map((r) => r.record as RecordTypes["accounts"]).sort(byKey((r) => [r.accountId]));
    await upsertAccounts(db, workspaceId, rows);
    const created = rows.filter((r) => !ids.has(r.accountId)).length;
    return { accepted: rows.length, created, updated: rows.length - created };
  }
  // Plain loops and object literals, not flatMap and spreads: a batch is 10,000 records, and the
  // garbage of each extra object per record showed in the API's profile.
  const known: { index: number; record: IndexedRecord<RecordKind>["record"]; id: number }[] = [];
  for (const r of records) {
    const id = ids.get(r.record.accountId);
    if (id !== undefined) {
      known.push({ index: r.index, record: r.record, id });
      continue;
    }
    issues.push({
      index: r.index,
      field: "account_id",
      reason: `unknown account ${JSON.stringify(r.record.accountId)} (send it to /api/v1/accounts first)`,
    });
  }
  if (issues.length > 0) return { accepted: 0 };
  if (kind === "metrics") {
    const { superseded } = await upsertObservations(
      db,
      workspaceId,
      await loadSourceGuard(db, workspaceId, "api"),
      known
        .map(({ record, id }) => {
          const m = record as RecordTypes["metrics"];
          return { accountId: id, metric: m.metric, observedOn: m.observedOn, value: m.value };
        })
        // Stable: of two values for one key, the later still wins. (No key arrays: this sort
        // compares ~140,000 pairs for a full batch.)
        .sort(
          (a, b) =>
            a.accountId - b.accountId ||
            (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0) ||
            a.observedOn - b.observedOn,
        ),
    );
    return { accepted: known.length, superseded };
  }
  await createResponseStage(db);
  await stageResponses(
    db,
    known.map(({ index, record, id }) => {
      const r = record as ResponseRow;
      return {
        line: index,
        accountId: id,
        survey: r.survey,
        score: r.score,
        respondedAt: r.respondedAt,
        respondent: r.respondent,
        comment: r.comment,
        responseId: r.responseId,
        digest: responseDigest(r),
      };
    }),
  );
  const created = await insertStagedResponses(db, workspaceId);
  return { accepted: known.length, created, duplicates: known.length - created };
}

/**
 * Orders rows by their key. Upserts lock rows in the order they are written: two concurrent
 * batches that share keys in different orders would deadlock (one of them failing), and in one
 * order they only wait for each other. (Responses need not be sorted here: the staged insert
 * numbers them with a window function, which orders them by their key.)
 */
function byKey<T>(key: (row: T) => (string | number)[]): (a: T, b: T) => number {
  return (a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) {
      if (ka[i]! < kb[i]!) return -1;
      if (ka[i]! > kb[i]!) return 1;
    }
    return 0;
  };
}

/**
 * A digest of a response's fields, the same as the file import's (services/import-records.ts), so
 * that a response sent by the API and by a file is one response. A test holds the two together.
 */
