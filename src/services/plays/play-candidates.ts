// Which accounts each play could fire for after a run: a superset per trigger, chosen in SQL, that
// the pure trigger (domain/plays/triggers.ts) then decides on. The narrower the superset, the fewer
// accounts' days are read (play-days.ts): each statement keeps out what the trigger would refuse
// when that is cheap to tell in SQL (an account that sat in a component's bound yesterday too, a
// renewal already inside its window in the same band). The triggers that look at every account
// (score_drop, component: its snapshot; no_data: its observations; renewal: its snapshot before) take
// what the run's shards recorded of them (run-candidates.ts); when the shards did not, they are read
// in SQL: the snapshots' in one
// statement for all their plays, so a playbook with several pays for one pass over the day's
// snapshots, not one each (BENCHMARKS.md, Plays); no_data's by two probes per account and play.
import { CATCH_UP_DAYS, type AnswerArrival } from "../../domain/plays/facts.ts";
import { formatDay, type Day } from "../../domain/dates.ts";
import type { Play } from "../../domain/plays/schema.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import { readRunCandidates } from "../../db/repositories/play-candidates.ts";
import { runCandidatePlays } from "../../domain/plays/run-candidates.ts";

type PlayOf<K extends string> = Play & { trigger: Extract<Play["trigger"], Record<K, unknown>> };
const isKind =
  <K extends string>(kind: K) =>
  (play: Play): play is PlayOf<K> =>
    kind in play.trigger;

/** The accounts each play could fire for on `day` (the run's band changes, drops, answers...). */
export async function candidateAccounts(
  prisma: PrismaClient,
  workspaceId: number,
  run: { runId: bigint; playbookId: number | null; arrived?: AnswerArrival },
  day: Day,
  plays: readonly Play[],
): Promise<Map<string, Set<number>>> {
  const { runId } = run;
  const out = new Map<string, Set<number>>(plays.map((p) => [p.key, new Set<number>()]));
  const add = (rows: { play_key: string; account_id: number }[]) => {
    for (const r of rows) out.get(r.play_key)?.add(r.account_id);
  };
  const asOf = formatDay(day);
  // What the run's shards recorded, when they did for this playbook; otherwise the same from the
  // snapshots (a playbook set during the run, a run evaluated late, a preview of the default).
  const recordedKeys = new Set(runCandidatePlays(plays).map((p) => p.key));
  // Read while the other plays' statements run: only the plays the shards record wait for it.
  const reading = readRunCandidates(prisma, workspaceId, run, [...recordedKeys]);
  await Promise.all([reading.then(fromShards), others()]);
  return out;

  async function fromShards(recorded: Awaited<typeof reading>): Promise<void> {
    for (const r of recorded ?? []) {
      const set = out.get(r.play_key);
      if (set) for (const id of r.account_ids) set.add(id);
    }
    if (recorded) return;
    // Otherwise the component pass is the longest statement (it parses every snapshot's components):
    // it runs on one of the pool's connections while the others run on the others.
    const lists = await Promise.all([
      componentCrossings(prisma, workspaceId, asOf, plays.filter(isKind("component"))),
      scoreDrops(prisma, workspaceId, asOf, plays.filter(isKind("score_drop"))),
    ]);
    add(lists.flat());
  }

  // One statement per play, at once on the pool's connections: each is an index probe per account or
  // a small scan, waiting on the database more than on the machine.
  async function others(): Promise<void> {
    await Promise.all([bands(), ...plays.map(onePlay)]);
  }

  async function bands(): Promise<void> {
    const bandPlays = plays.filter((p) => "band_entered" in p.trigger || "band_left" in p.trigger);
    if (bandPlays.length > 0) {
      const changed = await column(
        prisma,
        `SELECT account_id FROM band_changes WHERE workspace_id = $1 AND run_id = $2`,
        workspaceId,
        runId,
      );
      for (const p of bandPlays) out.set(p.key, new Set(changed));
    }
  }

  async function onePlay(play: Play): Promise<void> {
    const t = play.trigger;
    if ("no_data" in t) {
      if (recordedKeys.has(play.key) && (await reading)) return;
      // Observed in the catch-up window before the gap began, and not since: its last observation
      // is `days` or more ago (at most CATCH_UP_DAYS more). Two probes of the observations' key per
      // account, rather than every observation of the window grouped.
      const ids = await column(
        prisma,
        `SELECT a.id AS account_id FROM accounts a
       WHERE a.workspace_id = $1
         AND EXISTS (SELECT 1 FROM metric_observations o
                     WHERE o.account_id = a.id AND o.metric = $2
                       AND o.observed_on > $3::date - $4::int - ${CATCH_UP_DAYS + 1}
                       AND o.observed_on <= $3::date - $4::int)
         AND NOT EXISTS (SELECT 1 FROM metric_observations o
                         WHERE o.account_id = a.id AND o.metric = $2
                           AND o.observed_on > $3::date - $4::int AND o.observed_on <= $3::date)`,
        workspaceId,
        t.no_data.metric,
        asOf,
        t.no_data.days,
      );
      out.set(play.key, new Set(ids));
    } else if ("renewal" in t) {
      if (recordedKeys.has(play.key) && (await reading)) return;
      // Within the window today, and not already at the snapshot before in the same band (then the
      // trigger held then too, and was told then): those whose window just began or band changed.
      const ids = await column(
        prisma,
        `SELECT a.id AS account_id FROM accounts a
       LEFT JOIN LATERAL (SELECT p.as_of, p.band FROM score_snapshots p
                          WHERE p.account_id = a.id AND p.as_of < $2::date
                          ORDER BY p.as_of DESC LIMIT 1) p ON true
       WHERE a.workspace_id = $1 AND a.status = 'active'
         AND a.renewal_date BETWEEN $2::date AND $2::date + $3::int
         AND (p.as_of IS NULL OR a.renewal_date > p.as_of + $3::int
              OR p.band IS DISTINCT FROM a.current_band)`,
        workspaceId,
        asOf,
        t.renewal.within_days,
      );
      out.set(play.key, new Set(ids));
    } else if ("survey_answer" in t) {
      const b = t.survey_answer;
      const ids = await column(
        prisma,
        `SELECT DISTINCT account_id FROM survey_responses
       WHERE workspace_id = $1 AND survey = $2::"Survey"
         AND responded_at >= ($3::date - ${CATCH_UP_DAYS})::timestamptz
         AND responded_at < ($3::date + 1)::timestamptz
         AND ($8::timestamptz IS NULL OR created_at > $8::timestamptz)
         AND ($9::timestamptz IS NULL OR created_at <= $9::timestamptz)
         AND ${inBound("score", "$4", "$5", "$6", "$7")}`,
        workspaceId,
        b.survey,
        asOf,
        b.below ?? null,
        b.above ?? null,
        b.at_most ?? null,
        b.at_least ?? null,
        run.arrived?.after ?? null,
        run.arrived?.until ?? null,
      );
      out.set(play.key, new Set(ids));
    }
  }
}

/**
 * Each score_drop play's accounts whose score today is at least its points below the highest of its
 * window (today excluded): one pass over the day's snapshots, the history of each read once for the
 * longest window, each play's high a filtered max of it.
 */
async function scoreDrops(
  prisma: PrismaClient,
  workspaceId: number,
  asOf: string,
  plays: PlayOf<"score_drop">[],
): Promise<{ play_key: string; account_id: number }[]> {
  if (plays.length === 0) return [];
  const longest = Math.max(...plays.map((p) => p.trigger.score_drop.within_days));
  // Parameters from $4: each play's key, window and points.
  const at = (i: number, n: number) => `$${4 + 3 * i + n}`;
  const highs = plays.map(
    (_, i) => `max(h.score) FILTER (WHERE h.as_of >= $2::date - ${at(i, 1)}::int) AS h${i}`,
  );
  const hits = plays.map(
    (_, i) =>
      `SELECT ${at(i, 0)}::text AS play_key, account_id FROM drops WHERE score <= h${i} - ${at(i, 2)}::float8`,
  );
  return prisma.$queryRawUnsafe(
    `WITH drops AS MATERIALIZED (
       SELECT s.account_id, s.score, m.* FROM score_snapshots s
       CROSS JOIN LATERAL (SELECT ${highs.join(", ")} FROM score_snapshots h
                           WHERE h.account_id = s.account_id AND h.as_of < $2::date
                             AND h.as_of >= $2::date - $3::int) m
       WHERE s.workspace_id = $1 AND s.as_of = $2::date AND s.score IS NOT NULL)
     ${hits.join(" UNION ALL ")}`,
    workspaceId,
    asOf,
    longest,
    ...plays.flatMap((p) => [p.key, p.trigger.score_drop.within_days, p.trigger.score_drop.points]),
  );
}

/**
 * Each component play's accounts whose component is in the bound today and was not at the snapshot
 * before (or had none): those that crossed, as the trigger decides. The day's components are parsed
 * once for all the plays (a JSON array per snapshot: the costly part); the snapshot before is read
 * only for the accounts in a bound today, and one that sat in it then too is left out (a fifth of
 * the accounts, for a bound such as "below 20", whose days would otherwise be read for nothing).
 */
async function componentCrossings(
  prisma: PrismaClient,
  workspaceId: number,
  asOf: string,
  plays: PlayOf<"component">[],
): Promise<{ play_key: string; account_id: number }[]> {
  if (plays.length === 0) return [];
  const c = plays.map((p) => p.trigger.component);
  const value = (e: string) => `CASE WHEN p.raw THEN ${e}.raw ELSE ${e}.score END`;
  const bound = (v: string) => inBound(v, "p.below", "p.above", "p.at_most", "p.at_least");
  const record = "(key text, raw float8, score float8)";
  return prisma.$queryRawUnsafe(
    `WITH p AS (
       SELECT * FROM unnest($3::text[], $4::text[], $5::bool[], $6::float8[], $7::float8[], $8::float8[], $9::float8[])
         AS p(play_key, key, raw, below, above, at_most, at_least)),
     today AS MATERIALIZED (
       SELECT p.*, s.account_id FROM score_snapshots s, json_to_recordset(s.components) AS e${record}, p
       WHERE s.workspace_id = $1 AND s.as_of = $2::date AND e.key = p.key AND ${bound(value("e"))}),
     before AS MATERIALIZED (
       SELECT a.account_id, e.key, e.raw, e.score FROM (SELECT DISTINCT account_id FROM today) a
       CROSS JOIN LATERAL (SELECT b.components FROM score_snapshots b
                           WHERE b.account_id = a.account_id AND b.as_of < $2::date
                           ORDER BY b.as_of DESC LIMIT 1) b
       CROSS JOIN LATERAL json_to_recordset(b.components) AS e${record}
       WHERE e.key = ANY($4::text[]))
     SELECT p.play_key, p.account_id FROM today p
     LEFT JOIN before e ON e.account_id = p.account_id AND e.key = p.key
     WHERE NOT coalesce(${bound(value("e"))}, false)`,
    workspaceId,
    asOf,
    plays.map((p) => p.key),
    c.map((x) => x.key),
    c.map((x) => x.value === "raw"),
    c.map((x) => x.below ?? null),
    c.map((x) => x.above ?? null),
    c.map((x) => x.at_most ?? null),
    c.map((x) => x.at_least ?? null),
  );
}

/**
 * SQL: `value` within the bound whose ends are the SQL expressions given (NULL: no such end), as
 * plain-text.ts inBound; NULL (not true) when `value` is NULL.
 */
function inBound(value: string, below: string, above: string, atMost: string, atLeast: string): string {
  return `((${below}::float8 IS NULL OR ${value} < ${below}::float8)
           AND (${above}::float8 IS NULL OR ${value} > ${above}::float8)
           AND (${atMost}::float8 IS NULL OR ${value} <= ${atMost}::float8)
           AND (${atLeast}::float8 IS NULL OR ${value} >= ${atLeast}::float8))`;
}

async function column(prisma: PrismaClient, sql: string, ...params: unknown[]): Promise<number[]> {
  const rows = await prisma.$queryRawUnsafe<{ account_id: number }[]>(sql, ...params);
  return rows.map((r) => r.account_id);
}
