// Writes a portfolio as the three public CSV files (docs/data.md, "File formats"), streamed row by row so a
// large portfolio never sits in memory as one string.
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { stringify } from "csv-stringify";
import { formatDay, type Day } from "../domain/dates.ts";
import type { AccountRecord, MetricRecord, ResponseRecord } from "../domain/records.ts";
import { COLUMNS } from "../ingest/record-schemas.ts";
import type { Portfolio } from "./generate-portfolio.ts";

export interface PortfolioFiles {
  accounts: string;
  metrics: string;
  responses: string;
}

type Row = Record<string, string | number | null>;

/** The files' columns, in order: the importer's own list, so what the demo writes it reads back. */
export const PORTFOLIO_COLUMNS = {
  accounts: [...COLUMNS.accounts.required, ...COLUMNS.accounts.optional],
  metrics: [...COLUMNS.metrics.required],
  responses: [...COLUMNS.responses.required],
} as const;

/** Writes `accounts.csv`, `metrics.csv` and `responses.csv` into `dir` (created if missing). */
export async function writePortfolio(
  portfolio: Pick<Portfolio, "accounts" | "metrics" | "responses">,
  dir: string,
): Promise<PortfolioFiles> {
  await mkdir(dir, { recursive: true });
  const files: PortfolioFiles = {
    accounts: join(dir, "accounts.csv"),
    metrics: join(dir, "metrics.csv"),
    responses: join(dir, "responses.csv"),
  };
  await Promise.all([
    writeCsv(files.accounts, PORTFOLIO_COLUMNS.accounts, mapRows(portfolio.accounts, accountRow)),
    writeCsv(files.metrics, PORTFOLIO_COLUMNS.metrics, mapRows(portfolio.metrics, metricRow)),
    writeCsv(files.responses, PORTFOLIO_COLUMNS.responses, mapRows(portfolio.responses, responseRow)),
  ]);
  return files;
}

async function writeCsv(path: string, columns: readonly string[], rows: Iterable<Row>): Promise<void> {
  // csv-stringify quotes what needs quoting and writes null as an empty cell; pipeline handles
  // backpressure and closes (or destroys, on error) the file.
  await pipeline(Readable.from(rows), stringify({ header: true, columns }), createWriteStream(path));
}

function* mapRows<T>(records: Iterable<T>, toRow: (record: T) => Row): Generator<Row> {
  for (const record of records) yield toRow(record);
}

const day = (value: Day | null): string | null => (value === null ? null : formatDay(value));

function accountRow(a: AccountRecord): Row {
  return {
    account_id: a.accountId,
    name: a.name,
    segment: a.segment,
    owner: a.owner,
    mrr: a.mrr,
    seats: a.seats,
    renewal_date: day(a.renewalDate),
    created_at: day(a.createdAt),
    status: a.status,
    churned_at: day(a.churnedAt),
    domain: a.domain,
  };
}

function metricRow(m: MetricRecord): Row {
  return { account_id: m.accountId, metric: m.metric, value: m.value, observed_at: formatDay(m.observedOn) };
}

function responseRow(r: ResponseRecord): Row {
  return {
    account_id: r.accountId,
    survey: r.survey,
    score: r.score,
    responded_at: formatDay(r.respondedOn),
  };
}
