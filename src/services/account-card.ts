// What `/css <account>` shows about one account: its score and band, the 30-day trend, each
// component's points, the drivers since last week, coverage, the account's facts and its open
// follow-up. Three indexed queries, all scoped by workspace; the model is parsed once per version.
import { dateToDay, parseDay, type Day } from "../domain/dates.ts";
import { INSUFFICIENT_DATA, type ScoringModel } from "../domain/model/schema.ts";
import { driversBetween, summariseChange, type Driver } from "../domain/scoring/explain.ts";
import type { ComponentResult } from "../domain/scoring/score.ts";
import { modelVersion } from "../db/repositories/models.ts";
import type { Account, PrismaClient } from "../generated/prisma/client.ts";

/** Where a band sits: the top band is good, the lowest bad, the ones between a warning. */
export type BandTone = "good" | "warn" | "bad" | "none";

export interface CardComponent extends ComponentResult {
  label: string;
}

export interface AccountCard {
  account: {
    id: number;
    externalId: string;
    name: string;
    domain: string | null;
    segment: string | null;
    owner: string | null;
    ownerSlackUserId: string | null;
    mrr: number | null;
    renewalDate: Day | null;
    status: string;
  };
  /** Null when the account has never been scored. */
  current: {
    asOf: Day;
    score: number | null;
    band: string;
    bandLabel: string;
    tone: BandTone;
    coverage: number;
    components: CardComponent[];
  } | null;
  /** One point per day over the 30 days up to the current snapshot (null: no snapshot that day). */
  trend: { day: Day; score: number | null }[];
  /** The change since the snapshot a week (or more) before the current one. */
  sinceLastWeek: { asOf: Day; score: number | null; band: string; drivers: Driver[]; summary: string } | null;
  followUp: {
    id: bigint;
    status: "open" | "snoozed" | "resolved";
    ownerSlackUserId: string | null;
    dueDate: Day | null;
    snoozedUntil: Day | null;
    channelId: string | null;
    threadTs: string | null;
  } | null;
}

const TREND_DAYS = 30;
const WEEK = 7;

interface SnapshotRow {
  as_of: string;
  score: number | null;
  band: string;
  coverage: number;
  components: ComponentResult[] | null;
  model_id: number;
}

/** An account's facts as the card and the case messages show them. */
export function accountFacts(account: Account): AccountCard["account"] {
  return {
    id: account.id,
    externalId: account.externalId,
    name: account.name,
    domain: account.domain,
    segment: account.segment,
    owner: account.owner,
    ownerSlackUserId: account.ownerSlackUserId,
    mrr: account.mrr === null ? null : Number(account.mrr),
    renewalDate: account.renewalDate ? dateToDay(account.renewalDate) : null,
    status: account.status,
  };
}

/** The tone of a band among the model's bands (segments may override bands: theirs count). */
export function bandTone(model: ScoringModel, segment: string | null, band: string): BandTone {
  if (band === INSUFFICIENT_DATA) return "none";
  const bands = (segment !== null ? model.segments?.[segment]?.bands : undefined) ?? model.bands;
  const sorted = [...bands].sort((a, b) => b.min - a.min);
  const index = sorted.findIndex((b) => b.key === band);
  if (index < 0) return "none";
  if (index === 0) return "good";
  return index === sorted.length - 1 ? "bad" : "warn";
}

export function bandLabel(model: ScoringModel, segment: string | null, band: string): string {
  if (band === INSUFFICIENT_DATA) return "insufficient data";
  const bands = (segment !== null ? model.segments?.[segment]?.bands : undefined) ?? model.bands;
  return bands.find((b) => b.key === band)?.label ?? band.replaceAll("_", " ");
}

/** The card of one account of the workspace; null when the workspace has no such account. */
export async function loadAccountCard(
  prisma: PrismaClient,
  workspaceId: number,
  accountId: number,
): Promise<AccountCard | null> {
  const account = await prisma.account.findFirst({ where: { id: accountId, workspaceId } });
  if (!account) return null;
  const [snapshots, followUp] = await Promise.all([
    // The latest snapshot and the 37 days before it: the trend and "a week before" both come from it.
    prisma.$queryRawUnsafe<SnapshotRow[]>(
      `SELECT to_char(as_of, 'YYYY-MM-DD') AS as_of, score, band, coverage,
              CASE WHEN as_of = latest.day OR as_of <= latest.day - ${WEEK} THEN components END AS components,
              model_id
       FROM score_snapshots,
            (SELECT max(as_of) AS day FROM score_snapshots WHERE workspace_id = $1 AND account_id = $2) latest
       WHERE workspace_id = $1 AND account_id = $2 AND as_of >= latest.day - ${TREND_DAYS + WEEK}
       ORDER BY as_of`,
      workspaceId,
      accountId,
    ),
    prisma.followUp.findFirst({
      where: { workspaceId, accountId, status: { in: ["open", "snoozed"] } },
      orderBy: { openedAt: "desc" },
    }),
  ]);
  const card: AccountCard = {
    account: accountFacts(account),
    current: null,
    trend: [],
    sinceLastWeek: null,
    followUp: followUp && {
      id: followUp.id,
      status: followUp.status,
      ownerSlackUserId: followUp.ownerSlackUserId,
      dueDate: followUp.dueDate ? dateToDay(followUp.dueDate) : null,
      snoozedUntil: followUp.snoozedUntil ? dateToDay(followUp.snoozedUntil) : null,
      channelId: followUp.channelId,
      threadTs: followUp.threadTs,
    },
  };
  const latest = snapshots.at(-1);
  if (!latest) return card;
  const asOf = parseDay(latest.as_of)!;
  const model = await modelVersion(prisma, workspaceId, latest.model_id);
  const labels = new Map(model.components.map((c) => [c.key, c.label ?? c.key]));
  const components = latest.components ?? [];
  card.current = {
    asOf,
    score: latest.score,
    band: latest.band,
    bandLabel: bandLabel(model, account.segment, latest.band),
    tone: bandTone(model, account.segment, latest.band),
    coverage: latest.coverage,
    components: components.map((c) => ({
      ...c,
      label: segmentLabel(model, account.segment, c.key) ?? labels.get(c.key) ?? c.key,
    })),
  };
  const byDay = new Map(snapshots.map((s) => [parseDay(s.as_of)!, s.score]));
  for (let day = asOf - (TREND_DAYS - 1); day <= asOf; day++) {
    card.trend.push({ day, score: byDay.get(day) ?? null });
  }
  const weekBefore = [...snapshots].reverse().find((s) => parseDay(s.as_of)! <= asOf - WEEK);
  if (weekBefore?.components) {
    const previous = { score: weekBefore.score, band: weekBefore.band, components: weekBefore.components };
    const now = { score: latest.score, band: latest.band, components };
    const drivers = driversBetween(previous, now);
    card.sinceLastWeek = {
      asOf: parseDay(weekBefore.as_of)!,
      score: weekBefore.score,
      band: weekBefore.band,
      drivers,
      summary: summariseChange(previous, now, drivers),
    };
  }
  return card;
}

function segmentLabel(model: ScoringModel, segment: string | null, key: string): string | undefined {
  return segment !== null ? model.segments?.[segment]?.components?.[key]?.label : undefined;
}
