// What a workspace's daily digest says: the portfolio (accounts per band, average score and its
// change, last month's NPS, churn and net MRR churn from the KPI library), then the band changes not
// yet reported, grouped (newly at risk, dropped to caution, recovered, other), the week's biggest
// movers and the at-risk renewals due within 60 days.
import { renewalsInBands, weeklyMovers, type ListedAccount } from "../db/repositories/account-lists.ts";
import { findActiveModel } from "../db/repositories/models.ts";
import { portfolioKpiInput } from "../db/repositories/portfolio-kpi-input.ts";
import {
  dateToDay,
  dayToDate,
  formatDay,
  parseDay,
  parsePeriod,
  type Day,
  type Period,
} from "../domain/dates.ts";
import { computePortfolioKpis } from "../domain/kpi/portfolio.ts";
import { DEFAULT_MODEL } from "../domain/model/default-model.ts";
import type { ScoringModel } from "../domain/model/schema.ts";
import type { Driver } from "../domain/scoring/explain.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { riskBands } from "./account-lists.ts";
import { bandLabel, bandTone, type BandTone } from "./account-card.ts";

export interface DigestChange {
  changeId: bigint;
  accountId: number;
  name: string;
  owner: string | null;
  fromBand: string | null;
  toBand: string;
  toLabel: string;
  fromScore: number | null;
  toScore: number | null;
  drivers: Driver[];
  thread: { channelId: string; threadTs: string } | null;
}

export interface DigestView {
  localDate: Day;
  /** The day of the previous digest, when there was one. */
  since: Day | null;
  portfolio: {
    bands: { band: string; label: string; tone: BandTone; accounts: number }[];
    average: number | null;
    /** Against the average of the scores a week before. */
    averageChange: number | null;
    month: string;
    nps: number | null;
    churn: number | null;
    netMrrChurn: number | null;
  };
  changes: {
    atRisk: DigestChange[];
    caution: DigestChange[];
    recovered: DigestChange[];
    other: DigestChange[];
  };
  movers: { down: ListedAccount[]; up: ListedAccount[] };
  renewals: ListedAccount[];
}

export const RENEWAL_DAYS = 60;

/** The previous calendar month of a day. */
export function previousMonth(day: Day): Period {
  const firstOfMonth = parseDay(`${formatDay(day).slice(0, 7)}-01`)!;
  return parsePeriod(formatDay(firstOfMonth - 1).slice(0, 7))!;
}

export async function buildDigest(
  prisma: PrismaClient,
  workspaceId: number,
  localDate: Day,
): Promise<DigestView> {
  const model: ScoringModel = (await findActiveModel(prisma, workspaceId))?.model ?? DEFAULT_MODEL;
  const previous = await prisma.digest.findFirst({
    where: { workspaceId, status: "posted", localDate: { lt: dayToDate(localDate) } },
    orderBy: { localDate: "desc" },
  });
  const bands = await prisma.$queryRawUnsafe<{ band: string; accounts: number }[]>(
    `SELECT current_band AS band, count(*)::int AS accounts FROM accounts
     WHERE workspace_id = $1 AND status = 'active' AND current_band IS NOT NULL GROUP BY current_band`,
    workspaceId,
  );
  const order = [...model.bands].sort((a, b) => b.min - a.min).map((b) => b.key);
  bands.sort((a, b) => rank(order, a.band) - rank(order, b.band));
  const [avg] = await prisma.$queryRawUnsafe<{ now: number | null; before: number | null }[]>(
    `SELECT (SELECT avg(current_score) FROM accounts WHERE workspace_id = $1 AND status = 'active')::float8 AS now,
            (SELECT avg(score) FROM score_snapshots WHERE workspace_id = $1
               AND as_of = (SELECT max(as_of) FROM score_snapshots WHERE workspace_id = $1 AND as_of <= $2::date))::float8 AS before`,
    workspaceId,
    formatDay(localDate - 7),
  );
  const month = previousMonth(localDate);
  const kpis = computePortfolioKpis(await portfolioKpiInput(prisma, workspaceId, month));
  const risk = new Set(riskBands(model));
  const changeRows = await prisma.$queryRawUnsafe<
    {
      id: bigint;
      account_id: number;
      name: string;
      segment: string | null;
      owner: string | null;
      from_band: string | null;
      to_band: string;
      from_score: number | null;
      to_score: number | null;
      drivers: Driver[];
      channel_id: string | null;
      thread_ts: string | null;
    }[]
  >(
    `SELECT DISTINCT ON (c.account_id) c.id, c.account_id, a.name, a.segment,
            coalesce(a.owner_slack_user_id, a.owner) AS owner, c.from_band, c.to_band, c.from_score, c.to_score,
            c.drivers, f.channel_id, f.thread_ts
     FROM band_changes c JOIN accounts a ON a.id = c.account_id AND a.workspace_id = c.workspace_id
     LEFT JOIN LATERAL (SELECT channel_id, thread_ts FROM follow_ups f
                        WHERE f.account_id = c.account_id AND f.status IN ('open', 'snoozed')
                        ORDER BY f.opened_at DESC LIMIT 1) f ON true
     WHERE c.workspace_id = $1 AND c.digested_at IS NULL AND c.as_of <= $2::date
     ORDER BY c.account_id, c.as_of DESC`,
    workspaceId,
    formatDay(localDate),
  );
  const changes: DigestView["changes"] = { atRisk: [], caution: [], recovered: [], other: [] };
  for (const r of changeRows.sort((a, b) => (a.to_score ?? 0) - (b.to_score ?? 0))) {
    const item: DigestChange = {
      changeId: r.id,
      accountId: r.account_id,
      name: r.name,
      owner: r.owner,
      fromBand: r.from_band,
      toBand: r.to_band,
      toLabel: bandLabel(model, r.segment, r.to_band),
      fromScore: r.from_score,
      toScore: r.to_score,
      drivers: r.drivers,
      thread: r.channel_id && r.thread_ts ? { channelId: r.channel_id, threadTs: r.thread_ts } : null,
    };
    const toTone = bandTone(model, r.segment, r.to_band);
    const fromTone = r.from_band ? bandTone(model, r.segment, r.from_band) : "none";
    if (risk.has(r.to_band)) changes.atRisk.push(item);
    else if (toTone === "warn" && fromTone === "good") changes.caution.push(item);
    else if (r.from_band && (risk.has(r.from_band) || (fromTone === "warn" && toTone === "good"))) {
      changes.recovered.push(item);
    } else changes.other.push(item);
  }
  const movers = await weeklyMovers(prisma, workspaceId, 3);
  const renewals = await renewalsInBands(prisma, workspaceId, [...risk], {
    from: localDate,
    to: localDate + RENEWAL_DAYS,
    limit: 10,
  });
  return {
    localDate,
    since: previous ? dateToDay(previous.localDate) : null,
    portfolio: {
      bands: bands.map((b) => ({
        band: b.band,
        label: bandLabel(model, null, b.band),
        tone: bandTone(model, null, b.band),
        accounts: b.accounts,
      })),
      average: avg?.now ?? null,
      averageChange: avg?.now != null && avg.before != null ? avg.now - avg.before : null,
      month: month.label,
      nps: kpis.nps,
      churn: kpis.customer_churn_rate,
      netMrrChurn: kpis.net_mrr_churn_rate,
    },
    changes,
    movers,
    renewals,
  };
}

export function changeCount(view: DigestView): number {
  const c = view.changes;
  return c.atRisk.length + c.caution.length + c.recovered.length + c.other.length;
}

function rank(order: string[], band: string): number {
  const i = order.indexOf(band);
  return i < 0 ? order.length : i;
}
