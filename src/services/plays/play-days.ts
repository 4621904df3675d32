// What the plays of a run are evaluated on (domain/plays/facts.ts), read from the database for the
// accounts a run may have made news of. Candidates are chosen per trigger by a cheap statement that
// finds every account the trigger could fire for (a superset); the pure trigger then decides, so the
// live run and `plays test` share one definition.
import { dateToDay, formatDay, type Day } from "../../domain/dates.ts";
import {
  answerIsNew,
  CATCH_UP_DAYS,
  type ComponentState,
  type PlayDay,
  type SurveyAnswer,
} from "../../domain/plays/facts.ts";
import type { Play } from "../../domain/plays/schema.ts";
import type { SurveyKind } from "../../domain/records.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";

/** The accounts each play could fire for on `day` (the run's band changes, drops, answers...). */
export async function candidateAccounts(
  prisma: PrismaClient,
  workspaceId: number,
  runId: bigint,
  day: Day,
  plays: readonly Play[],
): Promise<Map<string, Set<number>>> {
  const out = new Map<string, Set<number>>();
  const asOf = formatDay(day);
  let changed: number[] | null = null;
  for (const play of plays) {
    const t = play.trigger;
    let ids: number[] = [];
    if ("band_entered" in t || "band_left" in t) {
      changed ??= (
        await prisma.$queryRawUnsafe<{ account_id: number }[]>(
          `SELECT account_id FROM band_changes WHERE workspace_id = $1 AND run_id = $2`,
          workspaceId,
          runId,
        )
      ).map((r) => r.account_id);
      ids = changed;
    } else if ("score_drop" in t) {
      ids = await column(
        prisma,
        `SELECT s.account_id FROM score_snapshots s
         WHERE s.workspace_id = $1 AND s.as_of = $2::date AND s.score IS NOT NULL
           AND s.score <= (SELECT max(p.score) FROM score_snapshots p
                           WHERE p.account_id = s.account_id AND p.as_of < $2::date
                             AND p.as_of > $2::date - $3::int) - $4`,
        workspaceId,
        asOf,
        t.score_drop.within_days,
        t.score_drop.points,
      );
    } else if ("component" in t) {
      // Every account whose component is in the bound today; the trigger keeps those that crossed.
      const c = t.component;
      const field = c.value === "raw" ? "raw" : "score";
      const tests = [
        c.below !== undefined ? `v < ${Number(c.below)}` : null,
        c.above !== undefined ? `v > ${Number(c.above)}` : null,
        c.at_most !== undefined ? `v <= ${Number(c.at_most)}` : null,
        c.at_least !== undefined ? `v >= ${Number(c.at_least)}` : null,
      ].filter((x) => x !== null);
      ids = await column(
        prisma,
        `SELECT account_id FROM (
           SELECT s.account_id, (e->>'${field}')::float8 AS v
           FROM score_snapshots s, json_array_elements(s.components) e
           WHERE s.workspace_id = $1 AND s.as_of = $2::date AND e->>'key' = $3) x
         WHERE v IS NOT NULL AND ${tests.join(" AND ")}`,
        workspaceId,
        asOf,
        c.key,
      );
    } else if ("no_data" in t) {
      ids = await column(
        prisma,
        `SELECT account_id FROM metric_observations
         WHERE workspace_id = $1 AND metric = $2 AND observed_on > $3::date - $4::int - ${CATCH_UP_DAYS + 1}
           AND observed_on <= $3::date
         GROUP BY account_id HAVING max(observed_on) <= $3::date - $4::int`,
        workspaceId,
        t.no_data.metric,
        asOf,
        t.no_data.days,
      );
    } else if ("renewal" in t) {
      ids = await column(
        prisma,
        `SELECT id AS account_id FROM accounts
         WHERE workspace_id = $1 AND status = 'active'
           AND renewal_date BETWEEN $2::date AND $2::date + $3::int`,
        workspaceId,
        asOf,
        t.renewal.within_days,
      );
    } else if ("survey_answer" in t) {
      ids = await column(
        prisma,
        `SELECT DISTINCT account_id FROM survey_responses
         WHERE workspace_id = $1 AND survey = $2::"Survey"
           AND responded_at >= ($3::date - ${CATCH_UP_DAYS})::timestamptz
           AND responded_at < ($3::date + 1)::timestamptz`,
        workspaceId,
        t.survey_answer.survey,
        asOf,
      );
    }
    out.set(play.key, new Set(ids));
  }
  return out;
}

async function column(prisma: PrismaClient, sql: string, ...params: unknown[]): Promise<number[]> {
  const rows = await prisma.$queryRawUnsafe<{ account_id: number }[]>(sql, ...params);
  return rows.map((r) => r.account_id);
}

interface SnapshotRow {
  account_id: number;
  as_of: Date;
  score: number | null;
  band: string;
  components: { key: string; raw: number | null; score: number | null }[] | null;
}

/**
 * Each account's day as of `day`: its snapshot and the one before, its scores over `scoreDays`, the
 * day's band change, the last observation of each of `metrics`, and the answers since the snapshot
 * before.
 */
export async function readPlayDays(
  prisma: PrismaClient,
  workspaceId: number,
  accountIds: readonly number[],
  day: Day,
  options: { scoreDays: number; metrics: readonly string[] },
): Promise<Map<number, PlayDay>> {
  const out = new Map<number, PlayDay>();
  if (accountIds.length === 0) return out;
  const ids = [...accountIds];
  const asOf = formatDay(day);
  const history = Math.max(options.scoreDays, 1) + 1;
  const snapshots = await prisma.$queryRawUnsafe<SnapshotRow[]>(
    `SELECT account_id, as_of, score, band,
            CASE WHEN as_of = $3::date OR as_of = (SELECT max(p.as_of) FROM score_snapshots p
                   WHERE p.account_id = s.account_id AND p.as_of < $3::date)
                 THEN components END AS components
     FROM score_snapshots s
     WHERE workspace_id = $1 AND account_id = ANY($2::int[])
       AND as_of <= $3::date
       AND (as_of > $3::date - $4::int
            OR as_of = (SELECT max(p.as_of) FROM score_snapshots p
                        WHERE p.account_id = s.account_id AND p.as_of < $3::date))
     ORDER BY account_id, as_of`,
    workspaceId,
    ids,
    asOf,
    history,
  );
  const changes = await prisma.$queryRawUnsafe<
    {
      account_id: number;
      from_band: string | null;
      to_band: string;
      from_score: number | null;
      to_score: number | null;
    }[]
  >(
    `SELECT account_id, from_band, to_band, from_score, to_score FROM band_changes
     WHERE workspace_id = $1 AND account_id = ANY($2::int[]) AND as_of = $3::date`,
    workspaceId,
    ids,
    asOf,
  );
  const changeOf = new Map(changes.map((c) => [c.account_id, c]));
  const bySnapshot = new Map<number, SnapshotRow[]>();
  for (const s of snapshots) {
    const list = bySnapshot.get(s.account_id) ?? [];
    list.push(s);
    bySnapshot.set(s.account_id, list);
  }
  const lastObserved = await readLastObserved(prisma, workspaceId, ids, day, options.metrics);
  for (const id of ids) {
    const list = bySnapshot.get(id) ?? [];
    const today = list.at(-1);
    if (!today || dateToDay(today.as_of) !== day) continue;
    const previous = list.length > 1 ? list[list.length - 2]! : null;
    const change = changeOf.get(id);
    out.set(id, {
      day,
      previousDay: previous ? dateToDay(previous.as_of) : null,
      bandChange: change
        ? {
            from: change.from_band,
            to: change.to_band,
            fromScore: change.from_score,
            toScore: change.to_score,
          }
        : null,
      previousBand: previous?.band ?? null,
      scores: list.map((s) => ({ day: dateToDay(s.as_of), score: s.score })),
      components: components(today.components),
      previousComponents: previous ? components(previous.components) : null,
      lastObserved: lastObserved.get(id) ?? Object.fromEntries(options.metrics.map((m) => [m, null])),
      answers: [],
    });
  }
  await attachAnswers(prisma, workspaceId, out, day);
  return out;
}

const components = (list: SnapshotRow["components"]): ComponentState[] =>
  (list ?? []).map((c) => ({ key: c.key, raw: c.raw ?? null, score: c.score ?? null }));

async function readLastObserved(
  prisma: PrismaClient,
  workspaceId: number,
  ids: number[],
  day: Day,
  metrics: readonly string[],
): Promise<Map<number, Record<string, Day | null>>> {
  const out = new Map<number, Record<string, Day | null>>();
  if (metrics.length === 0) return out;
  const rows = await prisma.$queryRawUnsafe<{ account_id: number; metric: string; last: Date }[]>(
    `SELECT account_id, metric, max(observed_on) AS last FROM metric_observations
     WHERE workspace_id = $1 AND account_id = ANY($2::int[]) AND metric = ANY($3::text[])
       AND observed_on <= $4::date
     GROUP BY account_id, metric`,
    workspaceId,
    ids,
    [...metrics],
    formatDay(day),
  );
  for (const id of ids) out.set(id, Object.fromEntries(metrics.map((m) => [m, null])));
  for (const r of rows) out.get(r.account_id)![r.metric] = dateToDay(r.last);
  return out;
}

/** Each account's answers after its snapshot before (at most a week back), up to the day. */
async function attachAnswers(
  prisma: PrismaClient,
  workspaceId: number,
  days: Map<number, PlayDay>,
  day: Day,
): Promise<void> {
  if (days.size === 0) return;
  for (const a of await readAnswers(prisma, workspaceId, [...days.keys()], day, day)) {
    const d = days.get(a.accountId)!;
    if (answerIsNew(a.respondedOn, day, d.previousDay)) d.answers.push(a);
  }
}

/**
 * The survey answers of `ids` that a play evaluated on a day from `from` to `to` may see: from a week
 * before `from` (CATCH_UP_DAYS) to the end of `to`, oldest first. The live run and `plays test` both
 * read them here, then keep each day's with answerIsNew.
 */
export async function readAnswers(
  prisma: PrismaClient,
  workspaceId: number,
  ids: readonly number[],
  from: Day,
  to: Day,
): Promise<(SurveyAnswer & { accountId: number })[]> {
  const rows = await prisma.$queryRawUnsafe<
    {
      id: bigint;
      account_id: number;
      survey: SurveyKind;
      score: number;
      comment: string | null;
      responded_at: Date;
    }[]
  >(
    `SELECT id, account_id, survey::text AS survey, score, comment, responded_at FROM survey_responses
     WHERE workspace_id = $1 AND account_id = ANY($2::int[])
       AND responded_at >= ($3::date - ${CATCH_UP_DAYS})::timestamptz
       AND responded_at < ($4::date + 1)::timestamptz
     ORDER BY responded_at, id`,
    workspaceId,
    [...ids],
    formatDay(from),
    formatDay(to),
  );
  return rows.map((r) => ({
    accountId: r.account_id,
    id: String(r.id),
    survey: r.survey,
    score: r.score,
    comment: r.comment,
    respondedOn: dateToDay(r.responded_at),
  }));
}
