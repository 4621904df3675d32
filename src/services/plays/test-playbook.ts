// `css-bot plays test`: a playbook replayed over the stored history, posting nothing. Each day of the
// range, every account with a snapshot that day is evaluated as the live run would have (its day's
// band change, score history, components, answers, last observations) with the same pure triggers
// and conditions; the guards then run over the fires (domain/plays/replay.ts). Churned accounts are
// included (they were customers then), which is what makes precision mean something.
//
// What is not historical: an account's attributes (segment, MRR, owner, renewal date) are today's,
// as the database keeps no history of them.
import { dateToDay, formatDay, type Day } from "../../domain/dates.ts";
import { findActiveModel } from "../../db/repositories/models.ts";
import { DEFAULT_MODEL } from "../../domain/model/default-model.ts";
import { conditionsHold } from "../../domain/plays/conditions.ts";
import {
  answerIsNew,
  type ComponentState,
  type PlayAccount,
  type PlayDay,
  type SurveyAnswer,
} from "../../domain/plays/facts.ts";
import {
  replayPlaybook,
  type ReplayAccount,
  type ReplayDetail,
  type ReplayHit,
} from "../../domain/plays/replay.ts";
import { triggerKind, type Playbook } from "../../domain/plays/schema.ts";
import { connectorFailedHit, evaluateTrigger } from "../../domain/plays/triggers.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import { lowestBands, toPlayAccount } from "./play-accounts.ts";
import { readAnswers, toBandChange, toComponents } from "./play-days.ts";
import { prismaRead } from "../../db/handle.ts";

/** Accounts evaluated together: their history is read in a few statements. */
const CHUNK = 2000;

export interface PlaysTestOptions {
  from: Day;
  to: Day;
  churnWithinDays: number;
}

export async function testPlaybook(
  prisma: PrismaClient,
  workspaceId: number,
  playbook: Playbook,
  o: PlaysTestOptions,
): Promise<ReplayDetail> {
  const model = (await findActiveModel(prisma, workspaceId))?.model ?? DEFAULT_MODEL;
  const accountPlays = playbook.plays.filter((p) => triggerKind(p.trigger) !== "connector_failed");
  const scoreDays = Math.max(
    1,
    ...accountPlays.map((p) => ("score_drop" in p.trigger ? p.trigger.score_drop.within_days : 0)),
  );
  const metrics = [
    ...new Set(accountPlays.flatMap((p) => ("no_data" in p.trigger ? [p.trigger.no_data.metric] : []))),
  ];
  const rows = await prisma.$queryRawUnsafe<
    (Parameters<typeof toPlayAccount>[0] & { churned_at: Date | null })[]
  >(
    `SELECT id, external_id, name, domain, segment, owner, owner_slack_user_id, mrr::text AS mrr, seats,
            renewal_date - DATE '1970-01-01' AS renewal_day,
            customer_since - DATE '1970-01-01' AS customer_since_day, current_band, current_score, churned_at
     FROM accounts WHERE workspace_id = $1 ORDER BY id`,
    workspaceId,
  );
  const accounts = new Map<number, ReplayAccount>(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        mrr: r.mrr === null ? null : Number(r.mrr),
        ownerSlackUserId: r.owner_slack_user_id,
        churnedOn: r.churned_at ? dateToDay(r.churned_at) : null,
      },
    ]),
  );
  const hits: ReplayHit[] = [];
  const lowest = lowestBands(model);
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK).map((r) => toPlayAccount(r, lowest));
    const history = await readHistory(
      prisma,
      workspaceId,
      chunk.map((a) => a.id),
      o,
      scoreDays,
      metrics,
    );
    for (const account of chunk) {
      for (const day of history.get(account.id) ?? []) {
        // The account as it stood that day: today's attributes, that day's band and score.
        const then: PlayAccount = { ...account, band: day.band, score: day.score };
        for (const play of accountPlays) {
          if (!conditionsHold(play.when, then)) continue;
          if (evaluateTrigger(play.trigger, then, day.playDay))
            hits.push({
              playKey: play.key,
              accountId: account.id,
              subject: `account:${account.id}`,
              day: day.playDay.day,
            });
        }
      }
    }
  }
  hits.push(...(await connectorHits(prisma, workspaceId, playbook, o)));
  const churnKnown = [...accounts.values()].some((a) => a.churnedOn !== null);
  return replayPlaybook(playbook, hits, accounts, { ...o, churnKnown });
}

interface HistoryDay {
  band: string;
  score: number | null;
  playDay: PlayDay;
}

/** Each account's days in the range, as PlayDays built from its snapshots, changes and answers. */
async function readHistory(
  prisma: PrismaClient,
  workspaceId: number,
  ids: number[],
  o: PlaysTestOptions,
  scoreDays: number,
  metrics: string[],
): Promise<Map<number, HistoryDay[]>> {
  const from = formatDay(o.from);
  const to = formatDay(o.to);
  const snapshots = await prisma.$queryRawUnsafe<
    {
      account_id: number;
      as_of: Date;
      score: number | null;
      band: string;
      components: ComponentState[] | null;
    }[]
  >(
    `SELECT account_id, as_of, score, band, components FROM score_snapshots
     WHERE workspace_id = $1 AND account_id = ANY($2::int[])
       AND as_of <= $4::date
       AND (as_of >= $3::date - $5::int - 1
            OR as_of = (SELECT max(p.as_of) FROM score_snapshots p
                        WHERE p.account_id = score_snapshots.account_id AND p.as_of < $3::date))
     ORDER BY account_id, as_of`,
    workspaceId,
    ids,
    from,
    to,
    scoreDays,
  );
  const changes = await prisma.$queryRawUnsafe<
    {
      account_id: number;
      as_of: Date;
      from_band: string | null;
      to_band: string;
      from_score: number | null;
      to_score: number | null;
    }[]
  >(
    `SELECT account_id, as_of, from_band, to_band, from_score, to_score FROM band_changes
     WHERE workspace_id = $1 AND account_id = ANY($2::int[]) AND as_of BETWEEN $3::date AND $4::date`,
    workspaceId,
    ids,
    from,
    to,
  );
  const answers = (await readAnswers(prismaRead(prisma), workspaceId, ids, o.from, o.to)).map((a) => ({
    ...a,
    account_id: a.accountId,
  }));
  const observed =
    metrics.length === 0
      ? []
      : await prisma.$queryRawUnsafe<{ account_id: number; metric: string; observed_on: Date }[]>(
          `SELECT account_id, metric, observed_on FROM metric_observations
           WHERE workspace_id = $1 AND account_id = ANY($2::int[]) AND metric = ANY($3::text[])
             AND observed_on <= $4::date
           ORDER BY account_id, metric, observed_on`,
          workspaceId,
          ids,
          metrics,
          to,
        );
  const group = <T extends { account_id: number }>(list: T[]) => {
    const m = new Map<number, T[]>();
    for (const x of list) {
      const same = m.get(x.account_id);
      if (same) same.push(x);
      else m.set(x.account_id, [x]);
    }
    return m;
  };
  const snapshotsOf = group(snapshots);
  const changesOf = group(changes);
  const answersOf = group(answers);
  const observedOf = group(observed);
  const out = new Map<number, HistoryDay[]>();
  for (const id of ids) {
    const list = snapshotsOf.get(id) ?? [];
    const days: HistoryDay[] = [];
    for (let i = 0; i < list.length; i++) {
      const today = list[i]!;
      const day = dateToDay(today.as_of);
      if (day < o.from) continue;
      const previous = i > 0 ? list[i - 1]! : null;
      const previousDay = previous ? dateToDay(previous.as_of) : null;
      const change = changesOf.get(id)?.find((c) => dateToDay(c.as_of) === day);
      const dayAnswers: SurveyAnswer[] = (answersOf.get(id) ?? [])
        .filter((a) => answerIsNew(a.respondedOn, day, previousDay))
        .map(({ accountId: _a, account_id: _b, ...answer }) => answer);
      const lastObserved: Record<string, Day | null> = Object.fromEntries(metrics.map((m) => [m, null]));
      for (const obs of observedOf.get(id) ?? []) {
        const on = dateToDay(obs.observed_on);
        if (on <= day) lastObserved[obs.metric] = on;
      }
      days.push({
        band: today.band,
        score: today.score,
        playDay: {
          day,
          previousDay,
          bandChange: change ? toBandChange(change) : null,
          previousBand: previous?.band ?? null,
          scores: list
            .slice(0, i + 1)
            .filter((s) => dateToDay(s.as_of) >= day - scoreDays - 1)
            .map((s) => ({ day: dateToDay(s.as_of), score: s.score })),
          components: toComponents(today.components),
          previousComponents: previous ? toComponents(previous.components) : null,
          lastObserved,
          answers: dayAnswers,
        },
      });
    }
    out.set(id, days);
  }
  return out;
}

/** connector_failed plays: one hit per connector per day a sync of it failed. */
async function connectorHits(
  prisma: PrismaClient,
  workspaceId: number,
  playbook: Playbook,
  o: PlaysTestOptions,
): Promise<ReplayHit[]> {
  const plays = playbook.plays.filter((p) => "connector_failed" in p.trigger);
  if (plays.length === 0) return [];
  const failed = await prisma.$queryRawUnsafe<
    { connector_id: number; name: string; kind: string; day: Date; error: string | null }[]
  >(
    `SELECT DISTINCT ON (r.connector_id, r.started_at::date) r.connector_id, c.name, c.kind,
            r.started_at::date AS day, r.error
     FROM sync_runs r JOIN connector_configs c ON c.id = r.connector_id AND c.workspace_id = r.workspace_id
     WHERE r.workspace_id = $1 AND r.status = 'failed'
       AND r.started_at >= $2::date AND r.started_at < ($3::date + 1)
     ORDER BY r.connector_id, r.started_at::date, r.started_at`,
    workspaceId,
    formatDay(o.from),
    formatDay(o.to),
  );
  return plays.flatMap((play) =>
    failed.flatMap((f): ReplayHit[] =>
      "connector_failed" in play.trigger &&
      connectorFailedHit(play.trigger, {
        id: f.connector_id,
        name: f.name,
        kind: f.kind,
        error: f.error ?? "",
      })
        ? [
            {
              playKey: play.key,
              accountId: null,
              subject: `connector:${f.connector_id}`,
              day: dateToDay(f.day),
            },
          ]
        : [],
    ),
  );
}
