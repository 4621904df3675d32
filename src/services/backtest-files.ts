// The back-test on files: scores every account with the model as of the back-test's date, using only
// the data observed before that date, and compares the scores with the accounts' outcomes.
import { formatDay, type Day } from "../domain/dates.ts";
import type { ScoringModel } from "../domain/model/schema.ts";
import { DEFAULT_HORIZON_DAYS } from "../domain/backtest/fit-churn-map.ts";
import type { HeldOutProbabilityOptions } from "../domain/backtest/held-out-probability.ts";
import { backtestReport, type BacktestReport, type ReportOptions } from "../domain/backtest/report.ts";
import {
  MrrOnDay,
  revenueForecast,
  type ForecastAccount,
  type RevenueForecast,
} from "../domain/backtest/revenue-forecast.ts";
import { bandOrder, scoreSamples, type OutcomeSample } from "../domain/backtest/samples.ts";
import { PortfolioInputs } from "../domain/scoring/portfolio-inputs.ts";
import { KnownError } from "../errors.ts";
import { InvalidRowsError, type IssueReport } from "../ingest/row-issues.ts";
import { riskBands } from "./account-lists.ts";
import { readOutcomes } from "./backtest-outcomes.ts";
import { readPortfolioFiles, type PortfolioFiles, type ReadFilesOptions } from "./read-portfolio-files.ts";
import { scorePortfolio } from "./score-files.ts";

export class BacktestError extends KnownError {
  readonly code = "BACKTEST";
}

export interface BacktestFiles extends PortfolioFiles {
  outcomes: string;
}

export interface OutcomeData {
  asOf: Day;
  /** The last day whose data counts: the day before the as-of date. */
  dataThrough: Day;
  samples: OutcomeSample[];
  /** Accounts of the accounts file without an outcome, and churned before the as-of date: left out. */
  withoutOutcome: string[];
  churnedBefore: string[];
  /** The latest day of any observation or response in the files (null: none). */
  latestData: Day | null;
  report: IssueReport;
}

/**
 * Reads the files and computes every account's raw inputs as of the day before `asOf` (so an
 * observation dated on the as-of day or later never counts: the prediction is made at the start of
 * that day). Accounts without an outcome, or that churned before `asOf`, are left out and counted.
 */
export async function readOutcomeData(
  model: ScoringModel,
  files: BacktestFiles,
  asOf: Day,
  options: ReadFilesOptions = {},
): Promise<OutcomeData> {
  const dataThrough = asOf - 1;
  const inputs = new PortfolioInputs(model, dataThrough);
  const mrr = new MrrOnDay(dataThrough);
  let latestData: Day | null = null;
  const seen = (day: Day) => (latestData = latestData === null || day > latestData ? day : latestData);
  // Read every file before failing, so one report lists the bad rows of all of them.
  const { accounts, report } = await readPortfolioFiles(
    files,
    {
      metric: (m) => (seen(m.observedOn), mrr.add(m), inputs.addMetric(m)),
      response: (r) => (seen(r.respondedOn), inputs.addResponse(r)),
    },
    { ...options, skipInvalid: true },
  );
  const known = new Set(accounts.map((a) => a.accountId));
  const outcomes = await readOutcomes(files.outcomes, known, files.accounts, report);
  if (!report.empty && !options.skipInvalid) throw new InvalidRowsError(report);

  const samples: OutcomeSample[] = [];
  const withoutOutcome: string[] = [];
  const churnedBefore: string[] = [];
  for (const { account, result } of scorePortfolio(model, accounts, inputs)) {
    const outcome = outcomes.get(account.accountId);
    if (!outcome) withoutOutcome.push(account.accountId);
    else if (outcome.churned && outcome.churnedAt !== null && outcome.churnedAt < asOf)
      churnedBefore.push(account.accountId);
    else
      samples.push({
        accountId: account.accountId,
        segment: account.segment,
        raws: Object.fromEntries(result.components.map((c) => [c.key, c.raw])),
        churned: outcome.churned,
        churnedAt: outcome.churnedAt,
        mrr: mrr.of(account),
      });
  }
  if (samples.length === 0)
    throw new BacktestError(
      `no account to back-test: ${accounts.length} account(s) in ${files.accounts}, ${outcomes.size} with an outcome` +
        (churnedBefore.length > 0 ? `, ${churnedBefore.length} churned before ${formatDay(asOf)}` : ""),
    );
  return { asOf, dataThrough, samples, withoutOutcome, churnedBefore, latestData, report };
}

export interface BacktestFilesOptions extends ReadFilesOptions {
  /** The held-out folds of the churn probability (5 folds, seed 1 unless given). */
  folds?: number;
  seed?: number;
  horizonDays?: number;
}

export interface FileBacktest {
  data: OutcomeData;
  report: BacktestReport;
  /** Predicted (held-out) against actual churned MRR per month, over the horizon from the as-of date. */
  revenue: RevenueForecast;
  horizonDays: number;
  notes: string[];
}

export async function backtestFiles(
  model: ScoringModel,
  files: BacktestFiles,
  asOf: Day,
  options: BacktestFilesOptions = {},
): Promise<FileBacktest> {
  const data = await readOutcomeData(model, files, asOf, options);
  const horizonDays = options.horizonDays ?? DEFAULT_HORIZON_DAYS;
  const report = backtestReport(
    scoreSamples(model, data.samples),
    backtestOptions(model, {
      folds: options.folds ?? DEFAULT_FOLDS,
      seed: options.seed ?? DEFAULT_SEED,
      horizonDays,
    }),
  );
  if (report.accounts === 0) throw new BacktestError(nothingScored(data));
  // Every account was forecast on the as-of date for the horizon that follows it.
  const window = { from: asOf, days: horizonDays };
  const revenue = revenueForecast(
    forecastAccounts(report, data.samples, (s) => ({
      mrr: s.mrr ?? null,
      churned: s.churned,
      churnedAt: s.churnedAt ?? null,
      window,
    })),
  );
  return {
    data,
    report,
    revenue,
    horizonDays,
    notes: [...outcomeNotes(data), ...reportNotes(report), ...revenueNotes(revenue)],
  };
}

/** The report's held-out probabilities joined, by account, to what the revenue forecast needs of each. */
export function forecastAccounts<S extends { accountId: string }>(
  report: BacktestReport,
  samples: readonly S[],
  of: (sample: S) => Omit<ForecastAccount, "accountId" | "probability">,
): ForecastAccount[] {
  const byId = new Map(samples.map((s) => [s.accountId, s]));
  const { accountIds, probabilities } = report.probability;
  return accountIds.map((accountId, i) => ({
    accountId,
    probability: probabilities[i] ?? null,
    ...of(byId.get(accountId)!),
  }));
}

export function revenueNotes(r: RevenueForecast): string[] {
  if (r.reason !== null) return [`revenue forecast not made: ${r.reason}`];
  const notes: string[] = [];
  if (r.withoutMrr > 0)
    notes.push(`${r.withoutMrr} account(s) have no MRR and are left out of the revenue forecast`);
  if (r.churnedWithoutDate > 0)
    notes.push(
      `${r.churnedWithoutDate} churned account(s) have no churned_at: their MRR counts in the actual total, in no month`,
    );
  return notes;
}

/** The folds and seed of the held-out figures unless given: calibrate's defaults. */
export const DEFAULT_FOLDS = 5;
export const DEFAULT_SEED = 1;

export function backtestOptions(model: ScoringModel, probability: HeldOutProbabilityOptions): ReportOptions {
  return {
    bandOrder: bandOrder(model),
    riskBands: riskBands(model),
    componentKeys: model.components.map((c) => c.key),
    probability,
  };
}

function nothingScored(data: OutcomeData): string {
  const through = formatDay(data.dataThrough);
  const latest = data.latestData === null ? null : formatDay(data.latestData);
  if (latest === null)
    return `no account could be scored: the metrics and responses files hold no data (give --metrics or --responses)`;
  if (data.latestData! <= data.dataThrough)
    return `no account could be scored as of ${formatDay(data.asOf)}: the latest data is from ${latest}, too long before it for the model's windows (is --as-of after all the data?)`;
  return `no account had enough data before ${formatDay(data.asOf)} to be scored (data counted through ${through}; the files hold data up to ${latest})`;
}

const sample = (ids: readonly string[]) =>
  ids.length === 0 ? "" : ` (${ids.slice(0, 5).join(", ")}${ids.length > 5 ? ", ..." : ""})`;

export function outcomeNotes(data: OutcomeData): string[] {
  const notes: string[] = [];
  if (data.withoutOutcome.length > 0)
    notes.push(
      `${data.withoutOutcome.length} account(s) have no outcome and are left out${sample(data.withoutOutcome)}`,
    );
  if (data.churnedBefore.length > 0)
    notes.push(
      `${data.churnedBefore.length} account(s) churned before ${formatDay(data.asOf)} (already known then) and are left out${sample(data.churnedBefore)}`,
    );
  return notes;
}

export function reportNotes(report: BacktestReport): string[] {
  const notes: string[] = [];
  if (report.insufficientData > 0)
    notes.push(
      `${report.insufficientData} account(s) had too little data to score (insufficient_data) and are left out`,
    );
  if (report.aucReason) notes.push(`AUC undefined: ${report.aucReason}`);
  if (report.probability.reason) notes.push(`churn probability not evaluated: ${report.probability.reason}`);
  if (report.atRisk.flagged === 0)
    notes.push("no account was at risk: at-risk precision and lift are undefined");
  return notes;
}
