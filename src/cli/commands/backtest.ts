// css-bot backtest: how well the score would have warned of churn, from files (a model, the
// accounts' data and their outcomes) or from the workspace's stored snapshots (--from-history).
import type { Command } from "commander";
import type { HeldOutProbability } from "../../domain/backtest/held-out-probability.ts";
import type { BacktestReport } from "../../domain/backtest/report.ts";
import { churnByScoreBins } from "../../domain/backtest/metrics.ts";
import { scoreSamples } from "../../domain/backtest/samples.ts";
import type { LeadTimeSummary } from "../../domain/backtest/lead-time.ts";
import { DEFAULT_HORIZON_DAYS } from "../../domain/backtest/fit-churn-map.ts";
import { formatDay } from "../../domain/dates.ts";
import { INSUFFICIENT_DATA } from "../../domain/model/schema.ts";
import { backtestFiles } from "../../services/backtest-files.ts";
import { backtestHistory, recordBacktest, type HistoryBacktest } from "../../services/backtest-history.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { asOfOption, flag, foldOptions, numberOption } from "../options.ts";
import { fmtNumber, fmtPercent, table } from "../output/format.ts";
import { probabilityJson } from "../output/probability-json.ts";
import { revenueForecastJson, revenueForecastText } from "../output/revenue-forecast.ts";
import { readModelFile } from "../read-model-file.ts";
import { withWorkspace } from "../workspace.ts";

interface BacktestOptions {
  model?: string;
  accounts?: string;
  metrics?: string;
  responses?: string;
  outcomes?: string;
  asOf?: string;
  horizonDays?: string;
  fromHistory?: boolean;
  leadDays: string;
  folds: string;
  seed: string;
  json?: boolean;
  skipInvalid?: boolean;
}

export function registerBacktest(program: Command, ctx: CliContext): void {
  program
    .command("backtest")
    .description("does the score predict churn? AUC, churn per band, at-risk precision and recall")
    .option("--model <file>", "scoring model (YAML or JSON)")
    .option("--accounts <file>", "accounts file (.csv or .jsonl)")
    .option("--metrics <file>", "metric observations file")
    .option("--responses <file>", "survey responses file")
    .option("--outcomes <file>", "outcomes file: account_id,churned (1/0, true/false)[,churned_at]")
    .option("--as-of <date>", "score as of this date, YYYY-MM-DD, with the data observed before it")
    .option(
      "--horizon-days <days>",
      "the outcomes mean churn within this many days of --as-of: the forecast's horizon (default 90)",
    )
    .option("--from-history", "back-test the workspace's stored snapshots instead of files")
    .option("--lead-days <days>", "with --from-history: the snapshots this many days before churn", "90")
    .option("--folds <k>", "held-out folds of the churn probability (each fitted on the others)", "5")
    .option("--seed <n>", "seed of the folds' shuffle", "1")
    .option("--json", "print a JSON object")
    .option("--skip-invalid", "back-test the valid rows and report the invalid ones")
    .action(async (opts: BacktestOptions, command: Command) => {
      const folds = foldOptions(opts);
      if (opts.fromHistory) {
        const given = (
          ["model", "accounts", "metrics", "responses", "outcomes", "asOf", "horizonDays"] as const
        ).filter((k) => opts[k] !== undefined);
        if (given.length > 0)
          throw new UsageError(`--from-history reads the database: leave out ${given.map(flag).join(", ")}`);
        const lead = numberOption("--lead-days", opts.leadDays, 1, 3650);
        if (!Number.isInteger(lead)) throw new UsageError(`--lead-days must be a whole number of days`);
        const result = await withWorkspace(ctx, command, { create: false }, async (db, workspace) => {
          const h = await backtestHistory(db.prisma, workspace.id, lead, folds);
          if (h.report.accounts > 0) await recordBacktest(db.prisma, workspace.id, historyJson(h), "cli");
          return h;
        });
        ctx.io.stdout.write(
          opts.json ? `${JSON.stringify(historyJson(result), null, 2)}\n` : historyText(result),
        );
        return;
      }
      const missing = (["model", "accounts", "outcomes", "asOf"] as const).filter(
        (k) => opts[k] === undefined,
      );
      if (missing.length > 0)
        throw new UsageError(`missing ${missing.map(flag).join(", ")} (or use --from-history)`);
      const asOf = asOfOption(opts.asOf);
      const horizonDays =
        opts.horizonDays === undefined
          ? DEFAULT_HORIZON_DAYS
          : numberOption("--horizon-days", opts.horizonDays, 1, 3650);
      if (!Number.isInteger(horizonDays))
        throw new UsageError("--horizon-days must be a whole number of days");
      const { model } = await readModelFile(opts.model!);
      const result = await backtestFiles(
        model,
        {
          accounts: opts.accounts!,
          metrics: opts.metrics,
          responses: opts.responses,
          outcomes: opts.outcomes!,
        },
        asOf,
        { skipInvalid: opts.skipInvalid ?? false, progress: ctx.progress(), ...folds, horizonDays },
      );
      if (!result.data.report.empty)
        ctx.io.stderr.write(
          `${result.data.report.lines().join("\n")}\nskipped ${result.data.report.rows} invalid row(s)\n`,
        );
      const json = {
        as_of: formatDay(asOf),
        data_through: formatDay(result.data.dataThrough),
        model: model.name,
        ...reportJson(result.report),
        without_outcome: result.data.withoutOutcome.length,
        churned_before_as_of: result.data.churnedBefore.length,
        revenue_forecast: revenueForecastJson(result.revenue, result.horizonDays),
        notes: result.notes,
      };
      if (opts.json) {
        ctx.io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
        return;
      }
      const scored = scoreSamples(model, result.data.samples).flatMap((s) =>
        s.score === null ? [] : [{ score: s.score, churned: s.churned }],
      );
      ctx.io.stdout.write(
        [
          `Back-test of model "${model.name}" as of ${json.as_of} (data through ${json.data_through})`,
          reportText(result.report),
          revenueForecastText(
            result.revenue,
            `spread evenly over the ${result.horizonDays} days from ${json.as_of}`,
          ),
          plot(scored),
          ...result.notes.map((n) => `note: ${n}`),
          "",
        ].join("\n"),
      );
    });
}

/** The public JSON of a back-test (docs/backtesting.md): fields are only added. */
export function reportJson(r: BacktestReport) {
  return {
    accounts: r.accounts,
    churned: r.churned,
    churn_rate: r.accounts === 0 ? null : r.churned / r.accounts,
    insufficient_data: r.insufficientData,
    auc: r.auc,
    auc_reason: r.aucReason,
    bands: r.bands.map((b) => ({
      band: b.band,
      accounts: b.accounts,
      churned: b.churned,
      churn_rate: b.churnRate,
    })),
    at_risk: {
      precision: r.atRisk.precision,
      recall: r.atRisk.recall,
      lift: r.atRisk.lift,
      accounts: r.atRisk.flagged,
      churned: r.atRisk.flaggedChurned,
      bands: r.atRisk.bands,
    },
    components: r.components.map((c) => ({
      key: c.key,
      accounts: c.accounts,
      churned: c.churned,
      auc: c.auc,
      auc_reason: c.aucReason,
    })),
    ...probabilityJson(r.probability),
    probability_folds: r.probability.folds,
  };
}

export function historyJson(h: HistoryBacktest) {
  return {
    source: "history",
    lead_days: h.leadDays,
    model_version: h.modelVersion,
    retained_reference_day: h.retainedReferenceDay === null ? null : formatDay(h.retainedReferenceDay),
    last_snapshot: h.lastSnapshotDay === null ? null : formatDay(h.lastSnapshotDay),
    ...reportJson(h.report),
    lead_time: leadTimeJson(h.leadTime),
    revenue_forecast: revenueForecastJson(h.revenue, h.leadDays),
    churned_without_date: h.churnedWithoutDate,
    churned_without_snapshot: h.churnedWithoutSnapshot,
    retained_without_snapshot: h.retainedWithoutSnapshot,
    notes: h.notes,
  };
}

const leadTimeJson = (l: LeadTimeSummary) => ({
  accounts: l.accounts,
  warned: l.warned,
  not_warned: l.notWarned,
  min: l.min,
  p25: l.p25,
  median: l.median,
  p75: l.p75,
  max: l.max,
  mean: l.mean,
});

const fmtAuc = (auc: number | null, reason: string | null) =>
  auc === null ? `undefined (${reason ?? "no data"})` : auc.toFixed(3);

export function reportText(r: BacktestReport): string {
  const bands = table(
    ["band", "accounts", "churned", "churn rate"],
    [
      ...r.bands.map((b) => [
        r.atRisk.bands.includes(b.band) ? `${b.band} (at risk)` : b.band,
        b.accounts,
        b.churned,
        fmtPercent(b.churnRate, 1),
      ]),
      [INSUFFICIENT_DATA, r.insufficientData, "–", "left out"],
    ],
    ["left", "right", "right", "right"],
  );
  const components = table(
    ["component", "accounts with data", "churned", "AUC alone"],
    r.components.map((c) => [c.key, c.accounts, c.churned, c.auc === null ? "–" : c.auc.toFixed(3)]),
    ["left", "right", "right", "right"],
  );
  return [
    `${r.accounts} accounts scored, ${r.churned} churned (${fmtPercent(r.accounts === 0 ? null : r.churned / r.accounts, 1)})`,
    `AUC ${fmtAuc(r.auc, r.aucReason)}  (the chance a churned account scored lower than a retained one; 0.5 = no better than chance)`,
    `At risk as a churn warning: precision ${fmtPercent(r.atRisk.precision, 1)} (${r.atRisk.flaggedChurned} of ${r.atRisk.flagged} flagged churned), ` +
      `recall ${fmtPercent(r.atRisk.recall, 1)}, lift ${r.atRisk.lift === null ? "–" : `${fmtNumber(r.atRisk.lift)}x`}`,
    bands,
    components,
    reliabilityText(r.probability),
  ].join("\n");
}

/** The reliability table: per bin of held-out probability, the churn predicted and the churn seen. */
export function reliabilityText(p: HeldOutProbability): string {
  if (p.reason !== null) return `Churn probability: not evaluated (${p.reason})`;
  const fmt = (x: number | null) => (x === null ? "–" : x.toFixed(3));
  return [
    `Churn probability on ${p.folds} held-out folds (each from a map fitted on the other folds): ` +
      `Brier ${fmt(p.brier)}, log loss ${fmt(p.logLoss)}, expected calibration error ${fmt(p.ece)}`,
    table(
      ["probability", "accounts", "predicted churn", "observed churn"],
      p.calibration.map((b) => [b.bin, b.accounts, fmtPercent(b.predicted, 1), fmtPercent(b.observed, 1)]),
      ["left", "right", "right", "right"],
    ),
  ].join("\n");
}

/** Churn rate by score decile, as bars: a score that predicts churn slopes down from left to right. */
function plot(scored: { score: number; churned: boolean }[]): string {
  const bins = churnByScoreBins(scored, 10);
  if (bins.length === 0) return "";
  const top = Math.max(...bins.map((b) => b.churnRate), 0.0001);
  const width = 40;
  const lines = bins.map((b) => {
    const range = `${b.from.toFixed(0).padStart(3)}-${b.to.toFixed(0).padEnd(3)}`;
    const bar = "█".repeat(Math.round((b.churnRate / top) * width));
    return `  ${range} ${bar.padEnd(width)} ${fmtPercent(b.churnRate, 1).padStart(6)} of ${b.accounts}`;
  });
  return [`Churn rate by score decile (lowest scores first):`, ...lines].join("\n");
}

function historyText(h: HistoryBacktest): string {
  const l = h.leadTime;
  const days = (x: number | null) => (x === null ? "–" : `${Math.round(x)}`);
  return [
    `Back-test of the stored scores ${h.leadDays} days before each churn` +
      (h.modelVersion === null ? "" : ` (active model v${h.modelVersion})`) +
      (h.retainedReferenceDay === null
        ? ""
        : `; retained accounts as of ${formatDay(h.retainedReferenceDay)}`),
    reportText(h.report),
    `Lead time (days from entering the risk band, for good, to churning): ${l.warned} of ${l.accounts} churned accounts warned; ` +
      `min ${days(l.min)}, p25 ${days(l.p25)}, median ${days(l.median)}, p75 ${days(l.p75)}, max ${days(l.max)}`,
    revenueForecastText(h.revenue, `in the month ${h.leadDays} days after the snapshot it was read from`),
    ...h.notes.map((n) => `note: ${n}`),
    "",
  ].join("\n");
}
