// The back-test from a workspace's history: the snapshots its live score stored `leadDays` before
// each churn (and, for the accounts still active, at about the same time), and how long before
// churning each account had been in the risk band. The last run is kept in the audit log, where
// `/css settings` finds it.
import { median } from "simple-statistics";
import { audit } from "../db/repositories/audit-log.ts";
import { findActiveModel } from "../db/repositories/models.ts";
import { backtestReport, type BacktestReport, type BacktestSample } from "../domain/backtest/report.ts";
import { leadDays, summariseLeadTimes, type LeadTimeSummary } from "../domain/backtest/lead-time.ts";
import { formatDay, parseDay, type Day } from "../domain/dates.ts";
import { DEFAULT_MODEL } from "../domain/model/default-model.ts";
import { INSUFFICIENT_DATA } from "../domain/model/schema.ts";
import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";
import type { HeldOutProbabilityOptions } from "../domain/backtest/held-out-probability.ts";
import { revenueForecast, type RevenueForecast } from "../domain/backtest/revenue-forecast.ts";
import {
  backtestOptions,
  DEFAULT_FOLDS,
  DEFAULT_SEED,
  forecastAccounts,
  reportNotes,
  revenueNotes,
} from "./backtest-files.ts";

/** A reference snapshot may be this many days older than its reference day (snapshots need not be daily). */
export const SNAPSHOT_TOLERANCE_DAYS = 31;
/** Lead times are looked for in the snapshots of the last two years before a churn. */
const LEAD_TIME_HORIZON_DAYS = 730;

export const BACKTEST_ACTION = "backtest.ran";

export interface HistoryBacktest {
  leadDays: number;
  modelVersion: number | null;
  /** The day whose snapshots stand for the retained accounts; null when there are no snapshots. */
  retainedReferenceDay: Day | null;
  lastSnapshotDay: Day | null;
  report: BacktestReport;
  /** The accounts the report was made of: churners lead days before their churn, the retained. */
  samples: BacktestSample[];
  leadTime: LeadTimeSummary;
  /**
   * Predicted (held-out) against actual churned MRR per month: each account's expected loss in the
   * month `leadDays` after the snapshot it was read from, when its outcome was judged.
   */
  revenue: RevenueForecast;
  /** Churned accounts without a churn date, or without a snapshot near their reference day. */
  churnedWithoutDate: number;
  churnedWithoutSnapshot: number;
  retainedWithoutSnapshot: number;
  notes: string[];
}

interface RefRow {
  account_id: number;
  external_id: string;
  segment: string | null;
  as_of: string;
  score: number | null;
  band: string;
  components: { key: string; score: number | null }[];
}

const REF_COLUMNS = `DISTINCT ON (s.account_id) s.account_id, a.external_id, a.segment, to_char(s.as_of, 'YYYY-MM-DD') AS as_of,
                     s.score, s.band, s.components`;

export async function backtestHistory(
  prisma: PrismaClient,
  workspaceId: number,
  lead: number,
  folds: Pick<HeldOutProbabilityOptions, "folds" | "seed"> = { folds: DEFAULT_FOLDS, seed: DEFAULT_SEED },
): Promise<HistoryBacktest> {
  const active = await findActiveModel(prisma, workspaceId);
  const model = active?.model ?? DEFAULT_MODEL;
  // The churners are read lead days before their churn: the probability is of churning within that.
  const options = backtestOptions(model, { ...folds, horizonDays: lead });
  const [{ last }] = (await prisma.$queryRawUnsafe<{ last: string | null }[]>(
    `SELECT to_char(max(as_of), 'YYYY-MM-DD') AS last FROM score_snapshots WHERE workspace_id = $1`,
    workspaceId,
  )) as [{ last: string | null }];
  const lastSnapshotDay = last === null ? null : parseDay(last);

  const churners = await prisma.$queryRawUnsafe<{ id: number; churned_at: string | null }[]>(
    `SELECT id, to_char(churned_at, 'YYYY-MM-DD') AS churned_at FROM accounts
      WHERE workspace_id = $1 AND status = 'churned'`,
    workspaceId,
  );
  const churnDay = new Map(churners.flatMap((c) => (c.churned_at ? [[c.id, parseDay(c.churned_at)!]] : [])));
  const churnedRefs = await prisma.$queryRawUnsafe<RefRow[]>(
    `SELECT ${REF_COLUMNS} FROM score_snapshots s JOIN accounts a ON a.id = s.account_id
      WHERE s.workspace_id = $1 AND a.workspace_id = $1 AND a.status = 'churned' AND a.churned_at IS NOT NULL
        AND s.as_of <= a.churned_at - $2::int AND s.as_of > a.churned_at - $2::int - $3::int
      ORDER BY s.account_id, s.as_of DESC`,
    workspaceId,
    lead,
    SNAPSHOT_TOLERANCE_DAYS,
  );
  const history = await prisma.$queryRawUnsafe<{ account_id: number; as_of: string; band: string }[]>(
    `SELECT s.account_id, to_char(s.as_of, 'YYYY-MM-DD') AS as_of, s.band
       FROM score_snapshots s JOIN accounts a ON a.id = s.account_id
      WHERE s.workspace_id = $1 AND a.workspace_id = $1 AND a.status = 'churned' AND a.churned_at IS NOT NULL
        AND s.as_of < a.churned_at AND s.as_of >= a.churned_at - $2::int`,
    workspaceId,
    LEAD_TIME_HORIZON_DAYS,
  );

  // Retained accounts are read when the churners were (the median of their reference days), and no
  // later than `lead` days before the last snapshot, so "retained" means still a customer `lead` days on.
  const churnRefDays = [...churnDay.values()].map((d) => d - lead);
  const retainedReferenceDay =
    lastSnapshotDay === null
      ? null
      : Math.min(
          lastSnapshotDay - lead,
          churnRefDays.length > 0 ? Math.floor(median(churnRefDays)) : Infinity,
        );
  const retainedRefs =
    retainedReferenceDay === null
      ? []
      : await prisma.$queryRawUnsafe<RefRow[]>(
          `SELECT ${REF_COLUMNS} FROM score_snapshots s JOIN accounts a ON a.id = s.account_id
            WHERE s.workspace_id = $1 AND a.workspace_id = $1 AND a.status = 'active'
              AND s.as_of <= $2::date AND s.as_of > $2::date - $3::int
            ORDER BY s.account_id, s.as_of DESC`,
          workspaceId,
          formatDay(retainedReferenceDay),
          SNAPSHOT_TOLERANCE_DAYS,
        );
  const [{ n: activeAccounts }] = (await prisma.$queryRawUnsafe<{ n: number }[]>(
    `SELECT count(*)::int AS n FROM accounts WHERE workspace_id = $1 AND status = 'active'`,
    workspaceId,
  )) as [{ n: number }];

  const sample = (r: RefRow, churned: boolean): BacktestSample => ({
    accountId: r.external_id,
    segment: r.segment,
    churned,
    score: r.band === INSUFFICIENT_DATA ? null : r.score,
    band: r.band,
    components: r.components.map((c) => ({ key: c.key, score: c.score })),
  });
  const samples = [...churnedRefs.map((r) => sample(r, true)), ...retainedRefs.map((r) => sample(r, false))];
  const report = backtestReport(samples, options);

  // Each sample's outcome is judged lead days after its snapshot: a churner's snapshot is the one
  // lead days (up to 31 more) before its churn, so its expected loss lands in or just before the
  // month it churned, and the retained accounts' all land lead days after their reference day.
  const churnedIds = new Set(churnedRefs.map((r) => r.account_id));
  const refs = [...churnedRefs, ...retainedRefs].map((r) => ({
    accountId: r.external_id,
    id: r.account_id,
    day: parseDay(r.as_of)!,
  }));
  const mrr = await mrrOnDays(prisma, workspaceId, refs);
  const revenue = revenueForecast(
    forecastAccounts(report, refs, (r) => ({
      mrr: mrr.get(r.id) ?? null,
      churned: churnedIds.has(r.id),
      churnedAt: churnDay.get(r.id) ?? null,
      window: { from: r.day + lead, days: 1 },
    })),
  );

  const byAccount = new Map<number, { day: Day; band: string }[]>();
  for (const h of history) {
    let list = byAccount.get(h.account_id);
    if (!list) byAccount.set(h.account_id, (list = []));
    list.push({ day: parseDay(h.as_of)!, band: h.band });
  }
  const risk = new Set(options.riskBands);
  const leadTime = summariseLeadTimes(
    [...byAccount].map(([id, snaps]) => leadDays(churnDay.get(id)!, snaps, risk)),
  );

  const result: HistoryBacktest = {
    leadDays: lead,
    modelVersion: active?.version ?? null,
    retainedReferenceDay,
    lastSnapshotDay,
    report,
    samples,
    leadTime,
    revenue,
    churnedWithoutDate: churners.length - churnDay.size,
    churnedWithoutSnapshot: churnDay.size - churnedRefs.length,
    retainedWithoutSnapshot: activeAccounts - retainedRefs.length,
    notes: [],
  };
  result.notes = historyNotes(result);
  return result;
}

function historyNotes(h: HistoryBacktest): string[] {
  const notes: string[] = [];
  if (h.lastSnapshotDay === null)
    notes.push("the workspace has no snapshots yet: run `css-bot recompute` first");
  if (h.churnedWithoutDate > 0)
    notes.push(`${h.churnedWithoutDate} churned account(s) have no churned_at and are left out`);
  if (h.churnedWithoutSnapshot > 0)
    notes.push(
      `${h.churnedWithoutSnapshot} churned account(s) have no snapshot ${h.leadDays} days (up to ${SNAPSHOT_TOLERANCE_DAYS} more) before their churn and are left out`,
    );
  if (h.retainedWithoutSnapshot > 0 && h.retainedReferenceDay !== null)
    notes.push(
      `${h.retainedWithoutSnapshot} active account(s) have no snapshot on or up to ${SNAPSHOT_TOLERANCE_DAYS} days before ${formatDay(h.retainedReferenceDay)} and are left out`,
    );
  return [...notes, ...reportNotes(h.report), ...revenueNotes(h.revenue)];
}

/**
 * Each account's MRR on its day, as the KPI library reads it (domain/kpi/portfolio.ts): its last
 * `mrr` observation on or before the day; with none ever observed, the account's `mrr` field;
 * unknown (absent from the map) when its observations all come later. Negative values are ignored.
 */
async function mrrOnDays(
  prisma: PrismaClient,
  workspaceId: number,
  refs: readonly { id: number; day: Day }[],
): Promise<Map<number, number>> {
  if (refs.length === 0) return new Map();
  const rows = await prisma.$queryRawUnsafe<
    { id: number; seen: number | null; observed: boolean; field: string | null }[]
  >(
    `SELECT x.id,
            (SELECT o.value FROM metric_observations o
              WHERE o.workspace_id = $1 AND o.account_id = x.id AND o.metric = 'mrr' AND o.value >= 0
                AND o.observed_on <= x.day
              ORDER BY o.observed_on DESC LIMIT 1) AS seen,
            EXISTS (SELECT 1 FROM metric_observations o
              WHERE o.workspace_id = $1 AND o.account_id = x.id AND o.metric = 'mrr' AND o.value >= 0) AS observed,
            a.mrr::text AS field
       FROM unnest($2::int[], $3::date[]) AS x(id, day)
       JOIN accounts a ON a.id = x.id AND a.workspace_id = $1`,
    workspaceId,
    refs.map((r) => r.id),
    refs.map((r) => formatDay(r.day)),
  );
  const mrr = new Map<number, number>();
  for (const r of rows) {
    const value = r.observed ? r.seen : r.field === null ? null : Number(r.field);
    if (value !== null && Number.isFinite(value) && value >= 0) mrr.set(r.id, value);
  }
  return mrr;
}

/** Keeps the run in the audit log (action "backtest.ran"): the figures `/css settings` shows. */
export async function recordBacktest(
  prisma: PrismaClient,
  workspaceId: number,
  details: Prisma.InputJsonObject,
  actor: string,
): Promise<void> {
  await audit(prisma, workspaceId, { actor, action: BACKTEST_ACTION, details });
}

export interface RecordedBacktest {
  at: Date;
  details: {
    model_version?: number | null;
    lead_days?: number;
    auc?: number | null;
    at_risk?: { precision?: number | null; recall?: number | null };
    lead_time?: { median?: number | null; warned?: number; accounts?: number };
  };
}

export async function lastBacktest(
  prisma: PrismaClient,
  workspaceId: number,
): Promise<RecordedBacktest | null> {
  const row = await prisma.auditLogEntry.findFirst({
    where: { workspaceId, action: BACKTEST_ACTION },
    orderBy: { at: "desc" },
  });
  return row ? { at: row.at, details: row.details as RecordedBacktest["details"] } : null;
}

/** The line `/css settings` shows: the last back-test's AUC, at-risk precision and recall, lead time. */
export function backtestNote(last: RecordedBacktest | null): string | null {
  if (!last) return null;
  const d = last.details;
  const pct = (x: number | null | undefined) =>
    x === null || x === undefined ? "n/a" : `${Math.round(x * 100)}%`;
  const auc = d.auc === null || d.auc === undefined ? "undefined" : d.auc.toFixed(2);
  const lead =
    d.lead_time?.median === null || d.lead_time?.median === undefined
      ? "no churned account was at risk before churning"
      : `median lead time ${Math.round(d.lead_time.median)} days (${d.lead_time.warned ?? 0} of ${d.lead_time.accounts ?? 0} churned accounts warned)`;
  const model =
    d.model_version === null || d.model_version === undefined ? "default model" : `model v${d.model_version}`;
  return (
    `:bar_chart: Last back-test (${last.at.toISOString().slice(0, 10)}, ${model}, ${d.lead_days ?? "?"} days ahead): ` +
    `AUC ${auc}, at-risk precision ${pct(d.at_risk?.precision)}, recall ${pct(d.at_risk?.recall)}; ${lead}`
  );
}

export async function lastBacktestNote(prisma: PrismaClient, workspaceId: number): Promise<string | null> {
  return backtestNote(await lastBacktest(prisma, workspaceId));
}
