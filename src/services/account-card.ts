// What `/css <account>` shows about one account: its score and band, the 30-day trend, each
// component's points, the drivers since last week, coverage, the account's facts and its open
// follow-up. One statement of indexed lookups, scoped by workspace; the model is parsed once per version.
import { dateToDay, parseDay, type Day } from "../domain/dates.ts";
import { segmentBands } from "../domain/model/resolve-segment.ts";
import { INSUFFICIENT_DATA, type Band, type ScoringModel } from "../domain/model/schema.ts";
import { driversBetween, summariseChange, type Driver } from "../domain/scoring/explain.ts";
import type { ComponentResult } from "../domain/scoring/score.ts";
import { PREPARED } from "../db/client.ts";
import { EXACT_MATCH } from "../db/repositories/accounts.ts";
import { modelVersion } from "../db/repositories/models.ts";
import { storedChurn } from "../domain/model/churn-map.ts";
import type { Clients } from "../db/handle.ts";
import type { Account } from "../generated/prisma/client.ts";
import { readTimeline, type TimelineEntry } from "./timeline.ts";

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
    /** The bands of the account's segment, highest first, when they are not the model's. */
    segmentBands: { segment: string; bands: Band[] } | null;
    /** The chance of churning within the model's horizon; null when the model has no churn map. */
    churn: { probability: number; horizonDays: number; phrase: string } | null;
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
  /** The account's latest timeline entries (services/timeline.ts), newest first. */
  timeline: TimelineEntry[];
}

const TREND_DAYS = 30;
/** How many timeline entries the card shows; the Timeline button shows more. */
export const CARD_TIMELINE_ENTRIES = 3;
const WEEK = 7;

interface CardRow {
  id: number;
  external_id: string;
  name: string;
  domain: string | null;
  segment: string | null;
  owner: string | null;
  owner_slack_user_id: string | null;
  mrr: number | null;
  renewal_date: string | null;
  status: string;
  snapshots: SnapshotRow[] | null;
  follow_up: {
    id: string;
    status: "open" | "snoozed" | "resolved";
    owner_slack_user_id: string | null;
    due_date: string | null;
    snoozed_until: string | null;
    channel_id: string | null;
    thread_ts: string | null;
  } | null;
}

interface SnapshotRow {
  as_of: string;
  score: number | null;
  band: string;
  coverage: number;
  components: ComponentResult[] | null;
  model_id: number;
  churn_probability: number | null;
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

// The card's columns for the account row `a`, with its snapshots and its open follow-up.
const CARD_COLUMNS = `a.id, a.external_id, a.name, a.domain, a.segment, a.owner, a.owner_slack_user_id,
    a.mrr::float8 AS mrr, to_char(a.renewal_date, 'YYYY-MM-DD') AS renewal_date, a.status::text AS status,
    (SELECT json_agg(json_build_object(
              'as_of', to_char(s.as_of, 'YYYY-MM-DD'), 'score', s.score, 'band', s.band,
              'coverage', s.coverage, 'model_id', s.model_id, 'churn_probability', s.churn_probability,
              'components', CASE WHEN s.as_of = latest.day OR s.as_of <= latest.day - ${WEEK}
                                 THEN s.components END)
            ORDER BY s.as_of)
     FROM score_snapshots s,
          (SELECT max(as_of) AS day FROM score_snapshots WHERE workspace_id = $1 AND account_id = a.id) latest
     WHERE s.workspace_id = $1 AND s.account_id = a.id AND s.as_of >= latest.day - ${TREND_DAYS + WEEK}
    ) AS snapshots,
    (SELECT json_build_object(
              'id', f.id::text, 'status', f.status::text, 'owner_slack_user_id', f.owner_slack_user_id,
              'due_date', to_char(f.due_date, 'YYYY-MM-DD'),
              'snoozed_until', to_char(f.snoozed_until, 'YYYY-MM-DD'),
              'channel_id', f.channel_id, 'thread_ts', f.thread_ts)
     FROM follow_ups f
     WHERE f.workspace_id = $1 AND f.account_id = a.id AND f.status IN ('open', 'snoozed')
     ORDER BY f.opened_at DESC LIMIT 1) AS follow_up`;

/** The card of one account of the workspace; null when the workspace has no such account. */
export async function loadAccountCard(
  db: Clients,
  workspaceId: number,
  accountId: number,
): Promise<AccountCard | null> {
  // One statement, one round trip (a lookup answers within Slack's 3 seconds, in tens of ms): the
  // account, its latest snapshot and the 37 days before it (the trend and "a week before" both come
  // from them; components only where they are used), and its open follow-up.
  const [row] = await db.sql.query<CardRow>(
    `${PREPARED} SELECT ${CARD_COLUMNS} FROM accounts a WHERE a.id = $2 AND a.workspace_id = $1`,
    [workspaceId, accountId],
  );
  return row ? cardFromRow(db, workspaceId, row) : null;
}

/**
 * The card of the account a query names exactly, found and read in one statement: the account
 * whose external id the query is, or else the only one whose whole name (any case) or domain it
 * is. `exactMatches` says how many accounts the query names so (0: none, so a search need not look
 * for them again); the card is null when none or several do.
 */
export async function loadExactCard(
  db: Clients,
  workspaceId: number,
  query: string,
): Promise<{ exactMatches: number; card: AccountCard | null }> {
  // The search's first rule (findAccounts' EXACT_MATCH), and the card of its answer:
  // a lookup by id, name or domain, the most common, is one round trip instead of two.
  const [row] = await db.sql.query<Omit<CardRow, "id"> & { exact_matches: number; id: number | null }>(
    `${PREPARED} SELECT exact.n::int AS exact_matches, card.*
     FROM (SELECT count(*) AS n,
                  coalesce(min(id) FILTER (WHERE external_id = $2), CASE WHEN count(*) = 1 THEN min(id) END) AS id
           FROM accounts WHERE workspace_id = $1 AND ${EXACT_MATCH}) exact
     LEFT JOIN LATERAL (SELECT ${CARD_COLUMNS} FROM accounts a WHERE a.id = exact.id AND a.workspace_id = $1) card
       ON true`,
    [workspaceId, query],
  );
  if (!row || row.id === null) return { exactMatches: row?.exact_matches ?? 0, card: null };
  return {
    exactMatches: row.exact_matches,
    card: await cardFromRow(db, workspaceId, { ...row, id: row.id }),
  };
}

async function cardFromRow({ prisma }: Clients, workspaceId: number, row: CardRow): Promise<AccountCard> {
  // The timeline's reads run while the card is put together (and its model read, if any).
  const timeline = readTimeline(prisma, workspaceId, row.id, { limit: CARD_TIMELINE_ENTRIES });
  const snapshots = row.snapshots ?? [];
  const followUp = row.follow_up;
  const account: AccountCard["account"] = {
    id: row.id,
    externalId: row.external_id,
    name: row.name,
    domain: row.domain,
    segment: row.segment,
    owner: row.owner,
    ownerSlackUserId: row.owner_slack_user_id,
    mrr: row.mrr,
    renewalDate: row.renewal_date === null ? null : parseDay(row.renewal_date),
    status: row.status,
  };
  const card: AccountCard = {
    account,
    current: null,
    trend: [],
    sinceLastWeek: null,
    followUp: followUp && {
      id: BigInt(followUp.id),
      status: followUp.status,
      ownerSlackUserId: followUp.owner_slack_user_id,
      dueDate: followUp.due_date === null ? null : parseDay(followUp.due_date),
      snoozedUntil: followUp.snoozed_until === null ? null : parseDay(followUp.snoozed_until),
      channelId: followUp.channel_id,
      threadTs: followUp.thread_ts,
    },
    timeline: [],
  };
  const latest = snapshots.at(-1);
  if (!latest) {
    card.timeline = await timeline;
    return card;
  }
  const asOf = parseDay(latest.as_of)!;
  const [model, entries] = await Promise.all([modelVersion(prisma, workspaceId, latest.model_id), timeline]);
  card.timeline = entries;
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
    segmentBands: null,
    churn: storedChurn(latest.churn_probability, model),
  };
  const bands = segmentBands(model, account.segment);
  if (bands && account.segment !== null) card.current.segmentBands = { segment: account.segment, bands };
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
