// Reads a portfolio from files (accounts, and optionally metrics and responses) for the commands
// that work without a database: score, kpis, backtest. Metrics and responses stream to the caller,
// which keeps only what it needs; every bad row is reported.
import type { AccountRecord, MetricRecord, ResponseRecord } from "../domain/records.ts";
import { readRecords, type ReadItem } from "../ingest/read-records.ts";
import type { RecordKind } from "../ingest/record-schemas.ts";
import { InvalidRowsError, IssueReport } from "../ingest/row-issues.ts";
import { silentProgress, type Progress } from "./progress.ts";

export interface PortfolioFiles {
  accounts: string;
  metrics?: string | undefined;
  responses?: string | undefined;
}

export interface PortfolioSinks {
  metric?: (m: MetricRecord) => void;
  response?: (r: ResponseRecord) => void;
}

export interface ReadFilesOptions {
  skipInvalid?: boolean;
  progress?: Progress;
}

export interface PortfolioRead {
  accounts: AccountRecord[];
  report: IssueReport;
}

export async function readPortfolioFiles(
  files: PortfolioFiles,
  sinks: PortfolioSinks,
  options: ReadFilesOptions = {},
): Promise<PortfolioRead> {
  const report = new IssueReport();
  const progress = options.progress ?? silentProgress;
  const accounts: AccountRecord[] = [];
  const firstLine = new Map<string, number>();

  for await (const item of track(files.accounts, "accounts", progress)) {
    if (item.issues) {
      report.add(files.accounts, item.issues);
      continue;
    }
    const seen = firstLine.get(item.record.accountId);
    if (seen !== undefined) {
      report.add(files.accounts, [
        {
          line: item.line,
          field: "account_id",
          reason: `duplicate account id ${JSON.stringify(item.record.accountId)} (first on line ${seen})`,
        },
      ]);
      continue;
    }
    firstLine.set(item.record.accountId, item.line);
    accounts.push(item.record);
  }

  const unknown = (file: string, line: number, id: string) =>
    report.add(file, [
      {
        line,
        field: "account_id",
        reason: `unknown account ${JSON.stringify(id)} (not in ${files.accounts})`,
      },
    ]);

  if (files.metrics) {
    for await (const item of track(files.metrics, "metrics", progress)) {
      if (item.issues) report.add(files.metrics, item.issues);
      else if (!firstLine.has(item.record.accountId))
        unknown(files.metrics, item.line, item.record.accountId);
      else sinks.metric?.(item.record);
    }
  }
  if (files.responses) {
    for await (const item of track(files.responses, "responses", progress)) {
      if (item.issues) report.add(files.responses, item.issues);
      else if (!firstLine.has(item.record.accountId))
        unknown(files.responses, item.line, item.record.accountId);
      else sinks.response?.(item.record);
    }
  }
  if (!report.empty && !options.skipInvalid) throw new InvalidRowsError(report);
  return { accounts, report };
}

async function* track<K extends RecordKind>(
  file: string,
  kind: K,
  progress: Progress,
): AsyncGenerator<ReadItem<K>> {
  let started = false;
  try {
    yield* readRecords(file, kind, {
      onProgress: (done, total) => {
        if (!started) progress.start(`${kind} ${file}`, total);
        started = true;
        progress.update(done);
      },
    });
  } finally {
    if (started) progress.stop();
  }
}
