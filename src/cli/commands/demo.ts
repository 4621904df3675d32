// css-bot demo (npm run demo): a sample portfolio, scored day by day, in the embedded database.
import type { Command } from "commander";
import { formatDay, todayUtc } from "../../domain/dates.ts";
import { summariseChange } from "../../domain/scoring/explain.ts";
import { DEMO_WORKSPACE, runDemo, type DemoReport } from "../../services/run-demo.ts";
import type { CliContext } from "../context.ts";
import { asOfOption, numberOption } from "../options.ts";
import { fmtNumber, fmtPercent, fmtScore, fmtSigned, table } from "../output/format.ts";
import { withDatabase } from "../workspace.ts";
import { createLogger } from "../../log.ts";
import { runSandbox } from "../../sandbox/run-sandbox.ts";

interface DemoCliOptions {
  seed: string;
  accounts: string;
  days: string;
  recomputeDays: string;
  end?: string;
  serve?: boolean;
}

/** Days of data the sandbox's "Next day" can move through. */
const SANDBOX_DAYS_AHEAD = 14;

export function registerDemo(program: Command, ctx: CliContext): void {
  program
    .command("demo")
    .description(
      `generate a sample portfolio, import it into the "${DEMO_WORKSPACE}" workspace, score it day by day and report`,
    )
    .option("--seed <n>", "random seed", "42")
    .option("--accounts <n>", "number of accounts", "300")
    .option("--days <n>", "days of history", "90")
    .option("--recompute-days <n>", "days to recompute one by one, up to the end date", "30")
    .option("--end <date>", "last day of the history, YYYY-MM-DD (default: today, UTC)")
    .option("--serve", "run the bot in the sandbox afterwards (the default where stdout is a terminal)")
    .option("--no-serve", "print the report and exit (the default where stdout is not a terminal)")
    .action(async (opts: DemoCliOptions) => {
      const serve = opts.serve ?? (ctx.io.stdout as { isTTY?: boolean }).isTTY === true;
      const days = numberOption("--days", opts.days, 31, 3650);
      const options = {
        seed: numberOption("--seed", opts.seed, 0, 2 ** 31 - 1),
        accounts: numberOption("--accounts", opts.accounts, 1, 100_000),
        days,
        recomputeDays: numberOption("--recompute-days", opts.recomputeDays, 1, days),
        endDay: opts.end === undefined ? todayUtc() : asOfOption(opts.end),
        daysAhead: serve ? SANDBOX_DAYS_AHEAD : 0,
        dataDir: ctx.config.dataDir,
        progress: () => ctx.progress(),
        log: (m: string) => ctx.io.stderr.write(`${m}\n`),
      };
      const report = await withDatabase(ctx, (db) => runDemo(db, options));
      if (!serve) {
        ctx.io.stdout.write(renderReport(report));
        return;
      }
      const running = await runSandbox({
        config: { ...ctx.config, defaultWorkspace: DEMO_WORKSPACE },
        log: createLogger(ctx.io.stderr),
        port: ctx.config.sandboxPort,
        demoDay: report.endDay,
      });
      ctx.io.stdout.write(`Sandbox: ${running.url}\n`);
      await running.stopped;
    });
}

const BAND_ORDER = ["healthy", "caution", "at_risk", "insufficient_data"];

function renderReport(r: DemoReport): string {
  const total = r.bands.reduce((s, b) => s + b.accounts, 0);
  const bands = [...r.bands].sort((a, b) => BAND_ORDER.indexOf(a.band) - BAND_ORDER.indexOf(b.band));
  const out: string[] = [];
  out.push("", `Portfolio as of ${formatDay(r.endDay)} — ${total} active accounts`);
  out.push(
    table(
      ["band", "accounts", "share", "avg score"],
      bands.map((b) => [b.band, b.accounts, fmtPercent(b.accounts / total), fmtScore(b.averageScore)]),
      ["left", "right", "right", "right"],
    ),
  );
  if (r.averageScore !== null) {
    const change =
      r.averageScoreWeekAgo === null
        ? ""
        : ` (${fmtSigned(r.averageScore - r.averageScoreWeekAgo)} in 7 days)`;
    out.push(`Average score ${r.averageScore.toFixed(1)}${change}`);
  }
  const k = r.kpis;
  out.push(
    `KPIs for ${r.kpiPeriod}: NPS ${fmtNumber(k.nps, 0)} · CSAT ${k.csat === null ? "–" : `${k.csat.toFixed(0)}%`} · CES ${fmtNumber(k.ces)} · ` +
      `churn ${fmtPercent(k.customer_churn_rate, 1)} · net MRR churn ${fmtPercent(k.net_mrr_churn_rate, 1)} · adoption ${fmtPercent(k.adoption_rate)}`,
  );

  out.push("", `Band changes on ${formatDay(r.endDay)} (${r.bandChangesTotal} over the recomputed days)`);
  if (r.bandChanges.length === 0) out.push("  no band changes");
  else
    out.push(
      table(
        ["account", "change", "what moved it", "owner"],
        r.bandChanges.map((c) => [
          c.name,
          `${c.fromBand ?? "–"} → ${c.toBand}`,
          summariseChange(
            { score: c.fromScore, band: c.fromBand ?? "", components: [] },
            { score: c.toScore, band: c.toBand, components: [] },
            c.drivers,
          ),
          c.owner ?? "–",
        ]),
      ),
    );

  out.push("", `At risk (${r.atRisk.length === 25 ? "lowest 25" : r.atRisk.length})`);
  out.push(
    table(
      ["account", "segment", "score", "owner", "MRR", "renewal"],
      r.atRisk.map((a) => [
        a.name,
        a.segment ?? "–",
        fmtScore(a.score),
        a.owner ?? "–",
        fmtNumber(a.mrr, 0),
        a.renewalDate ?? "–",
      ]),
      ["left", "left", "right", "left", "right", "left"],
    ),
  );
  const example = r.bandChanges[0]?.externalId ?? r.atRisk[0]?.externalId;
  out.push("", `Sample files: ${r.files.accounts}, ${r.files.metrics}, ${r.files.responses}`);
  if (example)
    out.push(`Explain a score line by line: npx css-bot explain ${example} --workspace ${DEMO_WORKSPACE}`);
  return `${out.join("\n")}\n`;
}
