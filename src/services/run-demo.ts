// The demo: a seeded sample portfolio written as the public file formats, imported into a fresh
// `demo` workspace through the same import path users take, recomputed day by day, and reported.
import { join } from "node:path";
import { formatDay, parsePeriod, type Day } from "../domain/dates.ts";
import { computePortfolioKpis, type PortfolioKpis } from "../domain/kpi/portfolio.ts";
import { generatePortfolio } from "../demo/generate-portfolio.ts";
import { writePortfolio } from "../demo/write-portfolio.ts";
import {
  averageScoreOn,
  accountsInBand,
  bandChangesOn,
  bandCounts,
  type AtRiskView,
  type BandChangeView,
  type BandCount,
} from "../db/repositories/portfolio.ts";
import { ensureWorkspace } from "../db/repositories/workspaces.ts";
import type { Clients } from "../db/handle.ts";
import { importFile } from "./import-records.ts";
import type { Progress } from "./progress.ts";
import { recomputeWorkspace } from "./recompute.ts";

export const DEMO_WORKSPACE = "demo";

export interface DemoOptions {
  seed: number;
  accounts: number;
  /** Days of generated history, ending on endDay. */
  days: number;
  /** Days recomputed one by one, ending on endDay (the windows need the history before them). */
  recomputeDays: number;
  endDay: Day;
  /**
   * Days of data generated past endDay (not scored): what the sandbox's "Next day" scores, as if the
   * day's data had just arrived. Default 0.
   */
  daysAhead?: number;
  dataDir: string;
  progress: () => Progress;
  log: (message: string) => void;
}

export interface DemoReport {
  endDay: Day;
  files: { accounts: string; metrics: string; responses: string };
  bands: BandCount[];
  averageScore: number | null;
  averageScoreWeekAgo: number | null;
  kpiPeriod: string;
  kpis: PortfolioKpis;
  bandChanges: BandChangeView[];
  bandChangesTotal: number;
  atRisk: AtRiskView[];
}

export async function runDemo(db: Clients, o: DemoOptions): Promise<DemoReport> {
  const { prisma } = db;
  const ahead = o.daysAhead ?? 0;
  const portfolio = generatePortfolio({
    seed: o.seed,
    accounts: o.accounts,
    days: o.days + ahead,
    endDay: o.endDay + ahead,
  });
  const files = await writePortfolio(portfolio, join(o.dataDir, "demo"));
  o.log(
    `wrote ${portfolio.accounts.length} accounts, ${portfolio.metrics.length} metric observations and ${portfolio.responses.length} survey responses to ${join(o.dataDir, "demo")}/`,
  );

  // A fresh workspace each time, so the demo shows the same story on every run.
  await prisma.workspace.deleteMany({ where: { slug: DEMO_WORKSPACE } });
  const workspace = await ensureWorkspace(prisma, DEMO_WORKSPACE);
  for (const kind of ["accounts", "metrics", "responses"] as const) {
    const result = await importFile(prisma, workspace.id, kind, files[kind], {
      progress: o.progress(),
      actor: "demo",
    });
    o.log(`imported ${result.imported} ${kind}`);
  }

  const first = o.endDay - o.recomputeDays + 1;
  const progress = o.progress();
  progress.start("recompute day by day", o.recomputeDays);
  let bandChangesTotal = 0;
  for (let day = first; day <= o.endDay; day++) {
    bandChangesTotal += (await recomputeWorkspace(db, workspace.id, day, { trigger: "demo" })).band_changes;
    progress.update(day - first + 1);
  }
  progress.stop();
  o.log(
    `recomputed ${o.recomputeDays} days (${formatDay(first)} to ${formatDay(o.endDay)}): ${bandChangesTotal} band changes`,
  );

  // KPIs of the last complete month, from the same records that were imported.
  const end = formatDay(o.endDay);
  const month = parsePeriod(end.slice(0, 7))!;
  const previousMonth = parsePeriod(formatDay(month.first - 1).slice(0, 7))!;
  const kpis = computePortfolioKpis({
    accounts: portfolio.accounts,
    metrics: portfolio.metrics,
    responses: portfolio.responses,
    period: previousMonth,
  });

  return {
    endDay: o.endDay,
    files,
    bands: await bandCounts(prisma, workspace.id),
    averageScore: await averageScoreOn(prisma, workspace.id, o.endDay),
    averageScoreWeekAgo: await averageScoreOn(prisma, workspace.id, o.endDay - 7),
    kpiPeriod: previousMonth.label,
    kpis,
    bandChanges: await bandChangesOn(prisma, workspace.id, o.endDay),
    bandChangesTotal,
    atRisk: await accountsInBand(prisma, workspace.id, "at_risk", 25),
  };
}
