// Converts the two public churn tables in ../shared/datasets/ (see its README) into css-bot's
// ordinary file formats, so `css-bot backtest` and `css-bot calibrate` read them like any export.
// How to run it, what it writes and what the data sets mean: docs/backtesting.md, "Real churn data".
import { createReadStream } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "csv-parse";
import { stringify } from "csv-stringify/sync";

export const DATASETS = ["iranian", "telco"] as const;
export type Dataset = (typeof DATASETS)[number];

export interface ConvertOptions {
  /** The back-test's as-of date, YYYY-MM-DD; observations are dated the day before. */
  asOf?: string;
  /** Convert only the first N rows (tests use a small slice). */
  limit?: number;
}

export interface ConvertedFiles {
  accounts: string;
  metrics: string;
  outcomes: string;
  rows: number;
  churned: number;
}

interface Converted {
  id: string;
  name: string;
  mrr: number | null;
  metrics: Record<string, number>;
  churned: boolean;
}

/** Iranian telecom: the published columns (double spaces included) and their metric names. */
const IRANIAN_METRICS: Record<string, string> = {
  "Call  Failure": "call_failures",
  Complains: "complaints",
  "Subscription  Length": "subscription_months",
  "Charge  Amount": "charge_amount",
  "Seconds of Use": "seconds_of_use",
  "Frequency of use": "calls",
  "Frequency of SMS": "sms",
  "Distinct Called Numbers": "distinct_called_numbers",
  "Tariff Plan": "tariff_plan",
  "Customer Value": "customer_value",
};

function iranian(row: Record<string, string>, index: number): Converted {
  const metrics: Record<string, number> = {};
  for (const [column, metric] of Object.entries(IRANIAN_METRICS)) metrics[metric] = number(row, column);
  const id = `IR-${String(index + 1).padStart(5, "0")}`;
  return { id, name: `Subscriber ${index + 1}`, mrr: null, metrics, churned: row.Churn === "1" };
}

const CONTRACT_MONTHS: Record<string, number> = { "Month-to-month": 1, "One year": 12, "Two year": 24 };
const ADD_ONS = [
  "OnlineSecurity",
  "OnlineBackup",
  "DeviceProtection",
  "TechSupport",
  "StreamingTV",
  "StreamingMovies",
];

function telco(row: Record<string, string>): Converted {
  const yes = (column: string) => (row[column] === "Yes" ? 1 : 0);
  const metrics: Record<string, number> = {
    tenure_months: number(row, "tenure"),
    monthly_charges: number(row, "MonthlyCharges"),
    contract_months: CONTRACT_MONTHS[row.Contract ?? ""] ?? fail(`unknown Contract ${row.Contract}`),
    add_on_services: ADD_ONS.reduce((n, c) => n + yes(c), 0),
    tech_support: yes("TechSupport"),
    auto_pay: /automatic/i.test(row.PaymentMethod ?? "") ? 1 : 0,
    paperless_billing: yes("PaperlessBilling"),
    fiber_optic: row.InternetService === "Fiber optic" ? 1 : 0,
    senior_citizen: number(row, "SeniorCitizen"),
    has_partner: yes("Partner"),
    has_dependents: yes("Dependents"),
  };
  // TotalCharges is blank for customers in their first month.
  if ((row.TotalCharges ?? "").trim() !== "") metrics.total_charges = number(row, "TotalCharges");
  const id = row.customerID ?? fail("no customerID");
  return { id, name: id, mrr: metrics.monthly_charges!, metrics, churned: row.Churn === "Yes" };
}

function number(row: Record<string, string>, column: string): number {
  const value = Number((row[column] ?? "").trim());
  if ((row[column] ?? "").trim() === "" || !Number.isFinite(value))
    fail(`column ${JSON.stringify(column)}: not a number: ${JSON.stringify(row[column])}`);
  return value;
}

function fail(message: string): never {
  throw new Error(message);
}

function dayBefore(date: string): string {
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(ms)) fail(`not a date YYYY-MM-DD: ${JSON.stringify(date)}`);
  return new Date(ms - 86_400_000).toISOString().slice(0, 10);
}

export async function convertDataset(
  dataset: Dataset,
  input: string,
  outDir: string,
  options: ConvertOptions = {},
): Promise<ConvertedFiles> {
  const observedAt = dayBefore(options.asOf ?? "2026-01-01");
  const accounts: unknown[][] = [["account_id", "name", "mrr"]];
  const metrics: unknown[][] = [["account_id", "metric", "value", "observed_at"]];
  const outcomes: unknown[][] = [["account_id", "churned"]];
  let rows = 0;
  let churned = 0;
  const parser = createReadStream(input).pipe(parse({ columns: true, bom: true, skip_empty_lines: true }));
  for await (const row of parser as AsyncIterable<Record<string, string>>) {
    if (options.limit !== undefined && rows >= options.limit) break;
    const c = dataset === "iranian" ? iranian(row, rows) : telco(row);
    accounts.push([c.id, c.name, c.mrr ?? ""]);
    for (const [metric, value] of Object.entries(c.metrics)) metrics.push([c.id, metric, value, observedAt]);
    outcomes.push([c.id, c.churned ? 1 : 0]);
    rows++;
    if (c.churned) churned++;
  }
  await mkdir(outDir, { recursive: true });
  const files = {
    accounts: join(outDir, "accounts.csv"),
    metrics: join(outDir, "metrics.csv"),
    outcomes: join(outDir, "outcomes.csv"),
  };
  await writeFile(files.accounts, stringify(accounts));
  await writeFile(files.metrics, stringify(metrics));
  await writeFile(files.outcomes, stringify(outcomes));
  return { ...files, rows, churned };
}

async function cli(args: string[]): Promise<void> {
  const [dataset, input, outDir, ...rest] = args;
  const flag = (name: string) => {
    const i = rest.indexOf(`--${name}`);
    return i < 0 ? undefined : rest[i + 1];
  };
  if (!DATASETS.includes(dataset as Dataset) || !input || !outDir) {
    process.stderr.write(
      "usage: npx tsx examples/datasets-to-files.ts iranian|telco INPUT.csv OUT_DIR [--as-of YYYY-MM-DD] [--limit N]\n",
    );
    process.exitCode = 2;
    return;
  }
  const limit = flag("limit");
  const files = await convertDataset(dataset as Dataset, input, outDir, {
    asOf: flag("as-of"),
    limit: limit === undefined ? undefined : Number(limit),
  });
  process.stdout.write(
    `${files.rows} accounts (${files.churned} churned): ${files.accounts}, ${files.metrics}, ${files.outcomes}\n`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await cli(process.argv.slice(2));
