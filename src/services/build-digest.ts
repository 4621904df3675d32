// What a workspace's daily digest says: the portfolio (accounts per band, average score and its
// change, last month's NPS, churn and net MRR churn from the KPI library; the share of MRR at risk
// and next quarter's GRR forecast when the model has a churn map), then each account whose
// band moved since the last digest, once, by its net move (its band and score before its first
// unreported change to its latest), grouped (newly at risk, dropped to caution, recovered; other
// moves counted), highest MRR first and at most GROUP_LINES a group, the week's biggest movers and
// the at-risk renewals due within 60 days.
//
// The first digest of a channel lists only the band changes of its day and the day before
// (FIRST_DIGEST_DAYS): a bot installed after ten days of recomputes, or a digest channel just set,
// starts with today's news. Every unreported change up to the digest's day is settled by the digest
// (listed, netted away, beyond a group's cap, or older than the first digest's days), so none of
// them floods a later one.
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
import { driversBetween, type Driver } from "../domain/scoring/explain.ts";
import type { ComponentResult } from "../domain/scoring/score.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { riskBands } from "./account-lists.ts";
import { activePlaybook } from "../db/repositories/playbooks.ts";
import { bandLabel, bandTone, type BandTone } from "./account-card.ts";
import { sharesOf, workspaceRevenueAtRisk, type RevenueAtRiskShares } from "./revenue-at-risk.ts";

/** One account's net move since the last digest. */
export interface DigestChange {
  accountId: number;
  name: string;
  /** The owner as the account data names them (a name or an email), shown without a mention. */
  owner: string | null;
  /** The owner's Slack user, when matched: mentioned for an account newly at risk. */
  ownerSlackUserId: string | null;
  /** Orders a group (highest first); never shown, the digest is posted in a channel. */
  mrr: number | null;
  fromBand: string | null;
  toBand: string;
  toLabel: string;
  fromScore: number | null;
  toScore: number | null;
  drivers: Driver[];
  thread: { channelId: string; threadTs: string } | null;
}

/** A group's first GROUP_LINES accounts by MRR, and how many it has in all. */
export interface DigestGroup {
  shown: DigestChange[];
  total: number;
}

export interface DigestView {
  localDate: Day;
  /** The day of the previous digest in the channel, when there was one. */
  since: Day | null;
  /** The first day whose band changes are listed: null when every unreported one is (not the first digest). */
  listedFrom: Day | null;
  portfolio: {
    bands: { band: string; label: string; tone: BandTone; accounts: number }[];
    average: number | null;
    /** Against the average of the scores a week before. */
    averageChange: number | null;
    month: string;
    nps: number | null;
    churn: number | null;
    netMrrChurn: number | null;
    /**
     * Shares of MRR only (the digest is posted in a channel); null when no current snapshot has a
     * churn probability (the model has no churn map: no invented numbers).
     */
    revenueAtRisk: RevenueAtRiskShares | null;
  };
  changes: {
    atRisk: DigestGroup;
    caution: DigestGroup;
    recovered: DigestGroup;
    /** Accounts whose band moved otherwise (newly scored, too little data...): counted, not listed. */
    other: number;
  };
  /**
   * The band changes the digest settles, marked digested once it is posted: those it read (by id:
   * one a recompute adds meanwhile waits for the next digest), and for a channel's first digest
   * every unreported one before `before` too, never read (a workspace that set its digest channel
   * after a year of recomputes has a year of them).
   */
  settles: { ids: bigint[]; before: Day | null };
  movers: { down: ListedAccount[]; up: ListedAccount[] };
  renewals: ListedAccount[];
}

export const RENEWAL_DAYS = 60;
/** The most accounts a group lists; the rest are counted ("and N more"). */
export const GROUP_LINES = 15;
/** The days a channel's first digest lists: its own and the one before. */
export const FIRST_DIGEST_DAYS = 2;

/** The previous calendar month of a day. */
export function previousMonth(day: Day): Period {
  const firstOfMonth = parseDay(`${formatDay(day).slice(0, 7)}-01`)!;
  return parsePeriod(formatDay(firstOfMonth - 1).slice(0, 7))!;
}

/** A band change not yet reported, as build-digest reads it. */
export interface PendingChange {
  id: bigint;
  accountId: number;
  asOf: Day;
  fromBand: string | null;
  toBand: string;
  fromScore: number | null;
  toScore: number | null;
  drivers: Driver[];
}

/** An account's unreported band changes netted into one move; `changes` of them. */
export interface NetChange {
  accountId: number;
  fromBand: string | null;
  fromScore: number | null;
  /** The day of its first change in the window: the score before it is the snapshot before this day. */
  firstAsOf: Day;
  toBand: string;
  toScore: number | null;
  lastAsOf: Day;
  /** The last change's drivers (against the snapshot before it). */
  drivers: Driver[];
  changes: number;
}

/**
 * Each account's changes netted into one move, from the band and score before its first to those
 * after its last; an account back in the band it started from is left out. Pure.
 */
export function netChanges(pending: readonly PendingChange[]): NetChange[] {
  const byAccount = new Map<number, PendingChange[]>();
  for (const c of pending) {
    const list = byAccount.get(c.accountId);
    if (list) list.push(c);
    else byAccount.set(c.accountId, [c]);
  }
  const nets: NetChange[] = [];
  for (const [accountId, list] of byAccount) {
    list.sort((a, b) => a.asOf - b.asOf);
    const first = list[0]!;
    const last = list.at(-1)!;
    if (first.fromBand === last.toBand) continue;
    nets.push({
      accountId,
      fromBand: first.fromBand,
      fromScore: first.fromScore,
      firstAsOf: first.asOf,
      toBand: last.toBand,
      toScore: last.toScore,
      lastAsOf: last.asOf,
      drivers: last.drivers,
      changes: list.length,
    });
  }
  return nets;
}

type Group = "atRisk" | "caution" | "recovered" | "other";

/** Which group a net move belongs to, by the tones of its bands in the account's segment. */
export function groupOf(
  model: ScoringModel,
  segment: string | null,
  risk: ReadonlySet<string>,
  fromBand: string | null,
  toBand: string,
): Group {
  const toTone = bandTone(model, segment, toBand);
  const fromTone = fromBand ? bandTone(model, segment, fromBand) : "none";
  const fromRisk = fromBand !== null && risk.has(fromBand);
  if (risk.has(toBand) && !fromRisk) return "atRisk";
  if (toTone === "warn" && fromTone === "good") return "caution";
  if ((fromRisk && !risk.has(toBand) && toTone !== "none") || (fromTone === "warn" && toTone === "good")) {
    return "recovered";
  }
  return "other";
}

/**
 * The digest of `localDate` for `channel` (null: any channel of the workspace, as the preview does
 * when no digest channel is set).
 */
export async function buildDigest(
  prisma: PrismaClient,
  workspaceId: number,
  localDate: Day,
  channel: string | null = null,
): Promise<DigestView> {
  const model: ScoringModel = (await findActiveModel(prisma, workspaceId))?.model ?? DEFAULT_MODEL;
  const previous = await prisma.digest.findFirst({
    where: {
      workspaceId,
      status: "posted",
      localDate: { lt: dayToDate(localDate) },
      ...(channel === null ? {} : { channelId: channel }),
    },
    orderBy: { localDate: "desc" },
  });
  const listedFrom = previous ? null : localDate - (FIRST_DIGEST_DAYS - 1);
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
  const revenueAtRisk = sharesOf(await workspaceRevenueAtRisk(prisma, workspaceId, model, localDate));
  const risk = new Set(riskBands(model));
  const pending = await pendingChanges(prisma, workspaceId, localDate, listedFrom);
  // A play with `digest: exclude` that fired for a move keeps it out (it is settled all the same).
  const shown = await withoutExcluded(prisma, workspaceId, pending);
  const changes = await groupChanges(prisma, workspaceId, model, localDate, netChanges(shown));
  // An account listed above is not listed again among the movers.
  const listed = new Set(
    [changes.atRisk, changes.caution, changes.recovered].flatMap((g) => g.shown.map((c) => c.accountId)),
  );
  const weekly = await weeklyMovers(prisma, workspaceId, MOVERS + listed.size);
  const unlisted = (list: ListedAccount[]) => list.filter((a) => !listed.has(a.id)).slice(0, MOVERS);
  const movers = { down: unlisted(weekly.down), up: unlisted(weekly.up) };
  const renewals = await renewalsInBands(prisma, workspaceId, [...risk], {
    from: localDate,
    to: localDate + RENEWAL_DAYS,
    limit: 10,
  });
  return {
    localDate,
    since: previous ? dateToDay(previous.localDate) : null,
    listedFrom,
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
      revenueAtRisk,
    },
    changes,
    settles: { ids: pending.map((c) => c.id), before: listedFrom },
    movers,
    renewals,
  };
}

/** How many accounts' bands moved, listed or counted. */
export function changeCount(view: DigestView): number {
  const c = view.changes;
  return c.atRisk.total + c.caution.total + c.recovered.total + c.other;
}

/** The movers of the week a digest lists, each way. */
const MOVERS = 3;

/** The changes no fire of a `digest: exclude` play on the change's day keeps out of the digest. */
async function withoutExcluded(
  prisma: PrismaClient,
  workspaceId: number,
  pending: PendingChange[],
): Promise<PendingChange[]> {
  const { playbook } = await activePlaybook(prisma, workspaceId);
  const excluding = playbook.plays
    .filter((p) => p.actions.some((a) => "digest" in a && a.digest === "exclude"))
    .map((p) => p.key);
  if (excluding.length === 0 || pending.length === 0) return pending;
  const fired = await prisma.$queryRawUnsafe<{ account_id: number; day: string }[]>(
    `SELECT account_id, to_char(local_date, 'YYYY-MM-DD') AS day FROM play_fires
     WHERE workspace_id = $1 AND play_key = ANY($2::text[]) AND account_id = ANY($3::int[])
       AND status <> 'capped'`,
    workspaceId,
    excluding,
    [...new Set(pending.map((c) => c.accountId))],
  );
  const out = new Set(fired.map((f) => `${f.account_id} ${f.day}`));
  return pending.filter((c) => !out.has(`${c.accountId} ${formatDay(c.asOf)}`));
}

/** The workspace's unreported band changes from `listedFrom` (null: the first) to `localDate`. */
async function pendingChanges(
  prisma: PrismaClient,
  workspaceId: number,
  localDate: Day,
  listedFrom: Day | null,
): Promise<PendingChange[]> {
  const rows = await prisma.$queryRawUnsafe<
    {
      id: bigint;
      account_id: number;
      as_of: string;
      from_band: string | null;
      to_band: string;
      from_score: number | null;
      to_score: number | null;
      drivers: Driver[];
    }[]
  >(
    `SELECT id, account_id, to_char(as_of, 'YYYY-MM-DD') AS as_of, from_band, to_band, from_score, to_score, drivers
     FROM band_changes
     WHERE workspace_id = $1 AND digested_at IS NULL AND as_of <= $2::date AND ($3::date IS NULL OR as_of >= $3::date)`,
    workspaceId,
    formatDay(localDate),
    listedFrom === null ? null : formatDay(listedFrom),
  );
  return rows.map((r) => ({
    id: r.id,
    accountId: r.account_id,
    asOf: parseDay(r.as_of)!,
    fromBand: r.from_band,
    toBand: r.to_band,
    fromScore: r.from_score,
    toScore: r.to_score,
    drivers: r.drivers,
  }));
}

/**
 * The net moves in their groups, highest MRR first, each group cut at GROUP_LINES. The accounts
 * listed get their latest score on or before the digest's day and the drivers of the whole move
 * (from the snapshot before its first change to that one).
 */
async function groupChanges(
  prisma: PrismaClient,
  workspaceId: number,
  model: ScoringModel,
  localDate: Day,
  nets: NetChange[],
): Promise<DigestView["changes"]> {
  const facts = await prisma.$queryRawUnsafe<
    {
      account_id: number;
      name: string;
      segment: string | null;
      owner: string | null;
      owner_slack_user_id: string | null;
      mrr: number | null;
      channel_id: string | null;
      thread_ts: string | null;
    }[]
  >(
    `SELECT a.id AS account_id, a.name, a.segment, a.owner, a.owner_slack_user_id, a.mrr::float8 AS mrr,
            f.channel_id, f.thread_ts
     FROM accounts a
     LEFT JOIN LATERAL (SELECT channel_id, thread_ts FROM follow_ups f
                        WHERE f.workspace_id = a.workspace_id AND f.account_id = a.id AND f.status IN ('open', 'snoozed')
                        ORDER BY f.opened_at DESC LIMIT 1) f ON true
     WHERE a.workspace_id = $1 AND a.id = ANY($2::int[])`,
    workspaceId,
    nets.map((n) => n.accountId),
  );
  const byId = new Map(facts.map((f) => [f.account_id, f]));
  const risk = new Set(riskBands(model));
  const groups: Record<Group, { net: NetChange; item: DigestChange }[]> = {
    atRisk: [],
    caution: [],
    recovered: [],
    other: [],
  };
  for (const net of nets) {
    const f = byId.get(net.accountId);
    if (!f) continue;
    groups[groupOf(model, f.segment, risk, net.fromBand, net.toBand)].push({
      net,
      item: {
        accountId: net.accountId,
        name: f.name,
        owner: f.owner,
        ownerSlackUserId: f.owner_slack_user_id,
        mrr: f.mrr,
        fromBand: net.fromBand,
        toBand: net.toBand,
        toLabel: bandLabel(model, f.segment, net.toBand),
        fromScore: net.fromScore,
        toScore: net.toScore,
        drivers: net.drivers,
        thread: f.channel_id && f.thread_ts ? { channelId: f.channel_id, threadTs: f.thread_ts } : null,
      },
    });
  }
  const byMrr = (a: { item: DigestChange }, b: { item: DigestChange }) =>
    (b.item.mrr ?? -1) - (a.item.mrr ?? -1) ||
    (a.item.toScore ?? 0) - (b.item.toScore ?? 0) ||
    a.item.name.localeCompare(b.item.name);
  const cut = (list: { net: NetChange; item: DigestChange }[]) => list.sort(byMrr).slice(0, GROUP_LINES);
  const shown = {
    atRisk: cut(groups.atRisk),
    caution: cut(groups.caution),
    recovered: cut(groups.recovered),
  };
  await wholeMoves(prisma, workspaceId, localDate, [...shown.atRisk, ...shown.caution, ...shown.recovered]);
  const group = (key: Exclude<Group, "other">): DigestGroup => ({
    shown: shown[key].map((x) => x.item),
    total: groups[key].length,
  });
  return {
    atRisk: group("atRisk"),
    caution: group("caution"),
    recovered: group("recovered"),
    other: groups.other.length,
  };
}

/**
 * Sets each listed move's score to the account's latest on or before `localDate` (a band change on
 * Saturday, a lower score on Sunday: Sunday's), and its drivers to those between the snapshot before
 * its first change and that one, so a move over three days is explained as one.
 */
async function wholeMoves(
  prisma: PrismaClient,
  workspaceId: number,
  localDate: Day,
  listed: { net: NetChange; item: DigestChange }[],
): Promise<void> {
  if (listed.length === 0) return;
  const rows = await prisma.$queryRawUnsafe<
    {
      account_id: number;
      score: number | null;
      band: string | null;
      components: ComponentResult[] | null;
      before_score: number | null;
      before_band: string | null;
      before_components: ComponentResult[] | null;
    }[]
  >(
    `SELECT x.account_id, now.score, now.band, now.components,
            before.score AS before_score, before.band AS before_band, before.components AS before_components
     FROM unnest($2::int[], $3::date[]) AS x(account_id, first_as_of)
     LEFT JOIN LATERAL (SELECT score, band, components FROM score_snapshots s
                        WHERE s.workspace_id = $1 AND s.account_id = x.account_id AND s.as_of <= $4::date
                        ORDER BY s.as_of DESC LIMIT 1) now ON true
     LEFT JOIN LATERAL (SELECT score, band, components FROM score_snapshots s
                        WHERE s.workspace_id = $1 AND s.account_id = x.account_id AND s.as_of < x.first_as_of
                        ORDER BY s.as_of DESC LIMIT 1) before ON true`,
    workspaceId,
    listed.map((l) => l.net.accountId),
    listed.map((l) => formatDay(l.net.firstAsOf)),
    formatDay(localDate),
  );
  const byId = new Map(rows.map((r) => [r.account_id, r]));
  for (const { net, item } of listed) {
    const r = byId.get(net.accountId);
    // A snapshot in another band than the last change's belongs to a day the digest does not cover.
    if (!r?.components || r.band === null || r.band !== net.toBand) continue;
    item.toScore = r.score;
    if (r.before_components && r.before_band !== null && r.before_band === net.fromBand) {
      item.drivers = driversBetween(
        { score: r.before_score, band: r.before_band, components: r.before_components },
        { score: r.score, band: r.band, components: r.components },
      );
    }
  }
}

function rank(order: string[], band: string): number {
  const i = order.indexOf(band);
  return i < 0 ? order.length : i;
}
