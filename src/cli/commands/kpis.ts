// css-bot kpis: the portfolio KPIs of one month, from files; with --model, revenue at risk too.
import type { Command } from "commander";
import { computePortfolioKpis, DEFAULT_GROSS_MARGIN } from "../../domain/kpi/portfolio.ts";
import type { MetricRecord, ResponseRecord } from "../../domain/records.ts";
import { PortfolioInputs } from "../../domain/scoring/portfolio-inputs.ts";
import { readPortfolioFiles } from "../../services/read-portfolio-files.ts";
import { revenueAtRiskOfFiles } from "../../services/revenue-at-risk.ts";
import type { CliContext } from "../context.ts";
import { numberOption, periodOption } from "../options.ts";
import { fmtNumber, fmtPercent, table } from "../output/format.ts";
import { NO_CHURN_MAP, revenueAtRiskJson, revenueAtRiskText } from "../output/revenue-at-risk.ts";
import { readModelFile } from "../read-model-file.ts";

/** The metrics the KPI library reads (see docs/scoring.md, "KPIs"); the rest of a metrics file is skipped. */
const KPI_METRICS = new Set(["mrr", "active_users"]);

interface KpisOptions {
  accounts: string;
  metrics?: string;
  responses?: string;
  period: string;
  json?: boolean;
  grossMargin?: string;
  model?: string;
  skipInvalid?: boolean;
}

export function registerKpis(program: Command, ctx: CliContext): void {
  program
    .command("kpis")
    .description(
      "portfolio KPIs for one month, from files: NPS, CSAT, CES, churn, retention, net MRR churn, CLV, adoption",
    )
    .requiredOption("--accounts <file>", "accounts file (.csv or .jsonl)")
    .option("--metrics <file>", "metric observations (reads `mrr` and `active_users`)")
    .option("--responses <file>", "survey responses")
    .requiredOption("--period <YYYY-MM>", "the month")
    .option("--gross-margin <fraction>", `gross margin for CLV (default ${DEFAULT_GROSS_MARGIN})`)
    .option(
      "--model <file>",
      "a model with a churn map (css-bot calibrate): adds revenue at risk, the accounts scored as of the month's last day",
    )
    .option("--json", "print a JSON object")
    .option("--skip-invalid", "compute from the valid rows and report the invalid ones")
    .action(async (opts: KpisOptions) => {
      const period = periodOption(opts.period);
      const grossMargin =
        opts.grossMargin === undefined
          ? DEFAULT_GROSS_MARGIN
          : numberOption("--gross-margin", opts.grossMargin, 0, 1);
      const model = opts.model === undefined ? null : (await readModelFile(opts.model)).model;
      // Scored as of the month's last day, in the same pass over the files; only with a churn map.
      const inputs = model?.churn_probability ? new PortfolioInputs(model, period.last) : null;
      const metrics: MetricRecord[] = [];
      const responses: ResponseRecord[] = [];
      const { accounts, report } = await readPortfolioFiles(
        opts,
        {
          // Only what a KPI of this month (or the score) can read, so a large file costs little memory.
          metric: (m) => {
            if (KPI_METRICS.has(m.metric) && m.observedOn <= period.last) metrics.push(m);
            inputs?.addMetric(m);
          },
          response: (r) => {
            if (r.respondedOn >= period.first && r.respondedOn <= period.last) responses.push(r);
            inputs?.addResponse(r);
          },
        },
        { skipInvalid: opts.skipInvalid ?? false, progress: ctx.progress() },
      );
      if (!report.empty)
        ctx.io.stderr.write(`${report.lines().join("\n")}\nskipped ${report.rows} invalid row(s)\n`);
      const kpis = computePortfolioKpis({ accounts, metrics, responses, period, grossMargin });
      const risk =
        model && inputs ? revenueAtRiskOfFiles(model, { accounts, metrics, inputs }, period) : null;
      if (opts.json) {
        const json = { ...kpis, revenue_at_risk: risk === null ? null : revenueAtRiskJson(risk) };
        ctx.io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
        return;
      }
      const rows: [string, string][] = [
        ["NPS", fmtNumber(kpis.nps, 0)],
        ["CSAT", kpis.csat === null ? "–" : `${kpis.csat.toFixed(1)}%`],
        ["CES (lower is easier)", fmtNumber(kpis.ces)],
        ["Customer churn rate", fmtPercent(kpis.customer_churn_rate, 1)],
        ["Customer retention rate", fmtPercent(kpis.customer_retention_rate, 1)],
        ["Net MRR churn rate", fmtPercent(kpis.net_mrr_churn_rate, 1)],
        [`Customer lifetime value (margin ${grossMargin})`, fmtNumber(kpis.clv, 0)],
        ["Product adoption (active users / seats)", fmtPercent(kpis.adoption_rate, 1)],
      ];
      ctx.io.stdout.write(
        `Portfolio KPIs for ${period.label}\n${table(["KPI", "value"], rows, ["left", "right"])}\n`,
      );
      if (model && risk) ctx.io.stdout.write(`\n${revenueAtRiskText(risk, model.name)}`);
      else if (model) ctx.io.stdout.write(`\n${NO_CHURN_MAP}`);
    });
}
