// Imports accounts, metric observations or survey responses from a file into a workspace.
// One transaction: with any bad row (and no skipInvalid) nothing is written. The file is streamed
// and written in batches, so a million rows import with bounded memory.
import { createHash } from "node:crypto";
import { audit } from "../db/repositories/audit-log.ts";
import { resolveAccountIds, upsertAccounts } from "../db/repositories/accounts.ts";
import {
  createResponseStage,
  insertStagedResponses,
  stageResponses,
  upsertObservations,
} from "../db/repositories/observations.ts";
import type { Db } from "../db/handle.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Encoding } from "../ingest/decode-text.ts";
import { readRecords, type ReadItem } from "../ingest/read-records.ts";
import type { AccountRow, RecordKind, RecordTypes, ResponseRow } from "../ingest/record-schemas.ts";
import type { MetricRecord } from "../domain/records.ts";
import { InvalidRowsError, IssueReport } from "../ingest/row-issues.ts";
import { loadSourceGuard } from "../db/repositories/workspaces.ts";
import { silentProgress, type Progress } from "./progress.ts";

export interface ImportOptions {
  skipInvalid?: boolean;
  /** How the file's bytes are text (default utf8, strict). */
  encoding?: Encoding;
  progress?: Progress;
  actor?: string;
  batchSize?: number;
}

export interface ImportResult {
  kind: RecordKind;
  file: string;
  rows: number;
  imported: number;
  invalid: number;
  /** Metrics: imported rows not written, as another source's value for the day ranks above a file's. */
  superseded: number;
  report: IssueReport;
}

/** Long imports must not hit Prisma's 5 s default for interactive transactions. */
const TRANSACTION_TIMEOUT_MS = 6 * 60 * 60 * 1000;

class RollBack extends Error {}

export async function importFile(
  prisma: PrismaClient,
  workspaceId: number,
  kind: RecordKind,
  file: string,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const report = new IssueReport();
  const progress = options.progress ?? silentProgress;
  const batchSize = options.batchSize ?? 2000;
  let rows = 0;
  let imported = 0;
  const written = { superseded: 0 };
  try {
    await prisma.$transaction(
      async (tx) => {
        const writer = await writerFor(kind, tx, workspaceId, file, report, written);
        let batch: ReadItem<typeof kind>[] = [];
        let started = false;
        const flush = async () => {
          // Once a row is bad and the import is all-or-nothing, keep reading (to report every bad
          // row) but stop writing: the transaction will be rolled back.
          if (batch.length > 0)
            imported += await writer.batch(batch, report.empty || options.skipInvalid === true);
          batch = [];
        };
        try {
          for await (const item of readRecords(file, kind, {
            encoding: options.encoding,
            onProgress: (done, total) => {
              if (!started) progress.start(`import ${kind}`, total);
              started = true;
              progress.update(done);
            },
          })) {
            rows++;
            if (item.issues) report.add(file, item.issues);
            else batch.push(item);
            if (batch.length >= batchSize) await flush();
          }
          await flush();
        } finally {
          if (started) progress.stop();
        }
        if (!report.empty && !options.skipInvalid) throw new RollBack();
        await writer.finish();
        await audit(tx, workspaceId, {
          actor: options.actor ?? "cli",
          action: `import.${kind}`,
          target: file,
          details: { rows, imported, invalid: report.rows, superseded: written.superseded },
        });
      },
      { timeout: TRANSACTION_TIMEOUT_MS, maxWait: 60_000 },
    );
  } catch (e) {
    if (e instanceof RollBack) throw new InvalidRowsError(report);
    throw e;
  }
  return { kind, file, rows, imported, invalid: report.rows, superseded: written.superseded, report };
}

/**
 * Checks a batch against the database and the file so far, and writes its good rows when `write`;
 * `finish` completes what a kind writes only once the whole file is read.
 */
interface Writer {
  batch(rows: ReadItem<RecordKind>[], write: boolean): Promise<number>;
  finish(): Promise<void>;
}

async function writerFor(
  kind: RecordKind,
  db: Db,
  workspaceId: number,
  file: string,
  report: IssueReport,
  written: { superseded: number },
): Promise<Writer> {
  const seenAccounts = new Map<string, number>();
  const records = <K extends RecordKind>(batch: ReadItem<RecordKind>[]) =>
    batch as { line: number; record: RecordTypes[K] }[];

  /** Rows whose account exists; the others are reported. */
  const withAccounts = async <T extends { accountId: string }>(items: { line: number; record: T }[]) => {
    const ids = await resolveAccountIds(
      db,
      workspaceId,
      items.map((i) => i.record.accountId),
    );
    return items.flatMap((i) => {
      const id = ids.get(i.record.accountId);
      if (id !== undefined) return [{ ...i, id }];
      report.add(file, [
        {
          line: i.line,
          field: "account_id",
          reason: `unknown account ${JSON.stringify(i.record.accountId)} (import it with \`css-bot import accounts\` first)`,
        },
      ]);
      return [];
    });
  };

  switch (kind) {
    case "accounts":
      return {
        batch: async (batch, write) => {
          const rows: AccountRow[] = [];
          for (const { line, record } of records<"accounts">(batch)) {
            const first = seenAccounts.get(record.accountId);
            if (first !== undefined) {
              report.add(file, [
                {
                  line,
                  field: "account_id",
                  reason: `duplicate account id ${JSON.stringify(record.accountId)} (first on line ${first})`,
                },
              ]);
              continue;
            }
            seenAccounts.set(record.accountId, line);
            rows.push(record);
          }
          if (write) await upsertAccounts(db, workspaceId, rows);
          return rows.length;
        },
        finish: () => Promise.resolve(),
      };
    case "metrics": {
      const guard = await loadSourceGuard(db, workspaceId, "import");
      return {
        batch: async (batch, write) => {
          const rows = await withAccounts(records<"metrics">(batch));
          if (write) {
            const { superseded } = await upsertObservations(
              db,
              workspaceId,
              guard,
              rows.map(({ record, id }: { record: MetricRecord; id: number }) => ({
                ...record,
                accountId: id,
              })),
            );
            written.superseded += superseded;
          }
          return rows.length;
        },
        finish: () => Promise.resolve(),
      };
    }
    case "responses": {
      let staged = false;
      return {
        batch: async (batch, write) => {
          const rows = await withAccounts(records<"responses">(batch));
          if (write) {
            if (!staged) await createResponseStage(db);
            staged = true;
            await stageResponses(
              db,
              rows.map(({ line, record, id }: { line: number; record: ResponseRow; id: number }) => ({
                line,
                accountId: id,
                survey: record.survey,
                score: record.score,
                respondedAt: record.respondedAt,
                respondent: record.respondent,
                comment: record.comment,
                responseId: record.responseId,
                digest: responseDigest(record),
              })),
            );
          }
          return rows.length;
        },
        finish: async () => {
          if (staged) await insertStagedResponses(db, workspaceId);
        },
      };
    }
  }
}

/** A digest of a response's fields: identical rows have the same one. */
/**
 * A response without an id is identified by what it says, so that a re-import stores it once. The
 * comment is left out: a file re-exported with comments added is the same responses, not new ones
 * that would count twice in the scores.
 */
export function responseDigest(r: ResponseRow): string {
  return createHash("sha256")
    .update(JSON.stringify([r.accountId, r.survey, r.respondedAt.toISOString(), r.score, r.respondent]))
    .digest("base64url");
}
