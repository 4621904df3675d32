// After a run: which plays fire, for which accounts, and what the noise guards make of each fire.
// Decided here and recorded in play_fires (one row per play, subject and local day, so a run repeated
// or a job retried fires nothing twice); delivered by deliver-fires.ts.
//
//   candidates (play-days.ts, a superset per trigger) -> conditions -> trigger (domain/plays)
//   -> cooldown (the play's last fire for the account) -> daily cap (the rest: one row per play and
//   day, subject "capped", told in one summary) -> quiet hours (status held, until the morning)
//   -> play_fires
import { readSettings } from "../../config/workspace-settings.ts";
import { activePlaybook } from "../../db/repositories/playbooks.ts";
import { findActiveModel } from "../../db/repositories/models.ts";
import { dateToDay, formatDay, type Day } from "../../domain/dates.ts";
import { DEFAULT_MODEL } from "../../domain/model/default-model.ts";
import { conditionsHold } from "../../domain/plays/conditions.ts";
import type { AnswerArrival, TriggerHit } from "../../domain/plays/facts.ts";
import { capFires, cooldownAllows, quietUntil } from "../../domain/plays/guards.ts";
import { triggerKind, type Play, type Playbook, type TriggerKind } from "../../domain/plays/schema.ts";
import { evaluateTrigger } from "../../domain/plays/triggers.ts";
import { localDay } from "../../domain/schedule/slots.ts";
import type { Clients, SqlClient } from "../../db/handle.ts";
import { pruneRunCandidates } from "../../db/repositories/play-candidates.ts";
import { candidateAccounts } from "./play-candidates.ts";
import { readPlayDays } from "./play-days.ts";
import { readPlayAccounts } from "./play-accounts.ts";

export interface FireSummary {
  /** Accounts any play looked at. */
  evaluated: number;
  /** Fires recorded now, by status. */
  planned: number;
  held: number;
  capped: number;
  /** Fires the cooldown kept back. */
  cooled: number;
}

const EMPTY: FireSummary = { evaluated: 0, planned: 0, held: 0, capped: 0, cooled: 0 };

/** A fire decided for one account. */
export interface DecidedFire {
  play: Play;
  accountId: number;
  /** The account's MRR (PlayAccount's), which orders the fires a daily cap lets through. */
  mrr: number | null;
  hit: TriggerHit;
}

/**
 * Evaluates the active playbook's account plays for a finished run and records their fires. A run as
 * of a day before yesterday (a backfill) fires nothing: its news is old.
 */
export async function firePlays(
  db: Clients,
  workspaceId: number,
  runId: bigint,
  now: Date = new Date(),
): Promise<FireSummary> {
  const { prisma } = db;
  const [run, workspace, active] = await Promise.all([
    prisma.recomputeRun.findFirst({ where: { id: runId, workspaceId } }),
    prisma.workspace.findUniqueOrThrow({ where: { id: workspaceId } }),
    activePlaybook(prisma, workspaceId),
  ]);
  if (!run || run.status !== "succeeded") return EMPTY;
  const settings = readSettings(workspace.settings);
  const day = dateToDay(run.asOf);
  if (day < localDay(now, settings.timezone) - 1) return EMPTY;
  const arrived = await answerArrival(db.sql, workspaceId, run);
  const { decided, evaluated } = await decideFires(db, workspaceId, active, runId, day, arrived);
  const summary = await recordFires(db.sql, workspaceId, active.playbook, decided, {
    day,
    runId,
    now,
    timezone: settings.timezone,
  });
  await pruneRunCandidates(prisma, workspaceId, runId);
  // The next run's survey plays start from this run (answerArrival). Stamped again by a retry.
  await prisma.recomputeRun.update({ where: { id: runId }, data: { playsEvaluatedAt: new Date() } });
  return { ...summary, evaluated };
}

/**
 * The survey answers a run's plays are told of (AnswerArrival): those stored since the workspace's
 * last run before it whose plays were evaluated started (not a backfill, which fires nothing, nor a run
 * whose notification never ran: the answers before them are not lost), up to this run's start.
 */
export async function answerArrival(
  sql: SqlClient,
  workspaceId: number,
  run: { id: bigint; startedAt: Date },
): Promise<AnswerArrival> {
  const [before] = await sql.query<{ started_at: Date | null }>(
    `SELECT max(started_at) AS started_at FROM recompute_runs
     WHERE workspace_id = $1 AND id <> $2 AND plays_evaluated_at IS NOT NULL AND started_at < $3`,
    [workspaceId, run.id, run.startedAt],
  );
  return { after: before?.started_at ?? null, until: run.startedAt };
}

/** answerArrival of the run `runId`; of none (a preview before any run): every answer stored so far. */
async function runArrival(db: Clients, workspaceId: number, runId: bigint): Promise<AnswerArrival> {
  const run = await db.prisma.recomputeRun.findFirst({ where: { id: runId, workspaceId } });
  if (!run) return { after: null, until: new Date() };
  return answerArrival(db.sql, workspaceId, run);
}

/**
 * Which of the playbook's account plays fire for which accounts after the run (as of `day`), before the
 * guards: conditions and triggers only. Also what an admin's preview shows. `arrived`: the run's
 * (answerArrival), read here when not given.
 */
export async function decideFires(
  db: Clients,
  workspaceId: number,
  active: { id: number | null; playbook: Playbook },
  runId: bigint,
  day: Day,
  given?: AnswerArrival,
): Promise<{ decided: DecidedFire[]; evaluated: number }> {
  const arrived = given ?? (await runArrival(db, workspaceId, runId));
  const plays = active.playbook.plays.filter((p) => triggerKind(p.trigger) !== "connector_failed");
  if (plays.length === 0) return { decided: [], evaluated: 0 };
  const { prisma } = db;
  const [stored, candidates] = await Promise.all([
    findActiveModel(prisma, workspaceId),
    candidateAccounts(prisma, workspaceId, { runId, playbookId: active.id, arrived }, day, plays),
  ]);
  const model = stored?.model ?? DEFAULT_MODEL;
  const ids = [...new Set([...candidates.values()].flatMap((s) => [...s]))];
  // The accounts and their days are read at once, on the pool's connections, through the driver.
  const [accountList, days] = await Promise.all([
    readPlayAccounts(db.sql.query, workspaceId, { ids }, model),
    readPlayDays(db.sql.query, workspaceId, ids, day, {
      scoreDays: Math.max(
        0,
        ...plays.map((p) => ("score_drop" in p.trigger ? p.trigger.score_drop.within_days : 0)),
      ),
      metrics: [...new Set(plays.flatMap((p) => ("no_data" in p.trigger ? [p.trigger.no_data.metric] : [])))],
      scoresOf: candidatesOf(candidates, plays, "score_drop"),
      componentsOf: candidatesOf(candidates, plays, "component"),
      observedOf: candidatesOf(candidates, plays, "no_data"),
      answersOf: candidatesOf(candidates, plays, "survey_answer"),
      arrived,
    }),
  ]);
  const accounts = new Map(accountList.map((a) => [a.id, a]));
  const decided: DecidedFire[] = [];
  for (const play of plays) {
    for (const accountId of candidates.get(play.key) ?? []) {
      const account = accounts.get(accountId);
      const playDay = days.get(accountId);
      if (!account || !playDay || !conditionsHold(play.when, account)) continue;
      const hit = evaluateTrigger(play.trigger, account, playDay);
      if (hit) decided.push({ play, accountId, mrr: account.mrr, hit });
    }
  }
  return { decided, evaluated: ids.length };
}

/** The candidates of the plays of one trigger kind, together. */
function candidatesOf(
  candidates: Map<string, Set<number>>,
  plays: readonly Play[],
  kind: TriggerKind,
): Set<number> {
  return new Set(
    plays.filter((p) => triggerKind(p.trigger) === kind).flatMap((p) => [...(candidates.get(p.key) ?? [])]),
  );
}

/**
 * Applies the guards to the decided fires, in the play's order and, within a play, highest MRR first
 * (the accounts a cap lets through are the ones worth most), and records them.
 */
export async function recordFires(
  sql: SqlClient,
  workspaceId: number,
  playbook: Playbook,
  decided: readonly DecidedFire[],
  at: { day: Day; runId: bigint | null; now: Date; timezone: string },
): Promise<Omit<FireSummary, "evaluated">> {
  const summary = { planned: 0, held: 0, capped: 0, cooled: 0 };
  if (decided.length === 0) return summary;
  const accountIds = [...new Set(decided.map((d) => d.accountId))];
  const [last, today] = await Promise.all([
    lastFires(sql, workspaceId, at.day, accountIds),
    dayOfPlays(sql, workspaceId, at.day),
  ]);
  const held = quietUntil(at.now, at.timezone, playbook.quiet_hours);
  const rows: { play: Play; fire: DecidedFire; status: string }[] = [];
  const capped: { play: Play; fires: DecidedFire[] }[] = [];
  const byPlay = new Map<string, DecidedFire[]>();
  for (const d of decided) {
    const list = byPlay.get(d.play.key);
    if (list) list.push(d);
    else byPlay.set(d.play.key, [d]);
  }
  for (const play of playbook.plays) {
    const sofar = today.get(play.key);
    const fires = (byPlay.get(play.key) ?? []).sort(
      (a, b) => (b.mrr ?? -1) - (a.mrr ?? -1) || a.accountId - b.accountId,
    );
    const allowed = fires.filter((f) => {
      const previous = last.get(`${play.key}\u0000${f.accountId}`) ?? null;
      // Fired or capped today already (an hourly run again): the same fire, recorded once, and not
      // counted twice against the cap; a capped account stays capped for the day, as the summary says.
      if (previous === at.day || sofar?.capped.has(f.accountId)) return false;
      const ok = cooldownAllows(previous, at.day, play.cooldown_days);
      if (!ok) summary.cooled++;
      return ok;
    });
    const { fire, capped: over } = capFires(allowed, sofar?.fired ?? 0, play.max_per_day);
    const status = play.respect_quiet_hours && held ? "held" : "planned";
    for (const f of fire) rows.push({ play, fire: f, status });
    if (over.length > 0) capped.push({ play, fires: over });
    summary.capped += over.length;
  }
  for (const { status, n } of await insertFires(sql, workspaceId, rows, capped, { ...at, held })) {
    if (status === "held") summary.held += n;
    else summary.planned += n;
  }
  return summary;
}

/**
 * Each play's day so far (an earlier run of the day): its fires, capped ones aside, which the day's
 * cap counts, and the accounts its cap held back (the day's capped row).
 */
async function dayOfPlays(
  sql: SqlClient,
  workspaceId: number,
  day: Day,
): Promise<Map<string, { fired: number; capped: Set<number> }>> {
  const rows = await sql.query<{ play_key: string; fired: number; capped: number[] | null }>(
    `SELECT play_key,
            count(*) FILTER (WHERE status <> 'capped' AND account_id IS NOT NULL)::int AS fired,
            (array_agg(trigger->'accounts') FILTER (WHERE subject = 'capped'))[1] AS capped
     FROM play_fires
     WHERE workspace_id = $1 AND local_date = $2::date
     GROUP BY play_key`,
    [workspaceId, formatDay(day)],
  );
  return new Map(rows.map((r) => [r.play_key, { fired: r.fired, capped: new Set(r.capped ?? []) }]));
}

/** What a fire's row keeps of its trigger: the kind, the summary and the facts. */
const fireTrigger = (hit: TriggerHit) => ({ kind: hit.kind, summary: hit.summary, ...hit.facts });

/** Statements the fires are written in at once, on as many of the pool's connections. */
const INSERT_STATEMENTS = 2;

/**
 * Writes the fires (in order: the ids say which was decided first), each skipped when the play
 * already fired for the account on the day; how many were inserted, by status. A statement a fire
 * took 9.8 s for 4,170 fires; one statement for all, 1 s for 20,200 (BENCHMARKS.md, Plays). The ids
 * are taken from the sequence first, in the fires' order, so the fires go in INSERT_STATEMENTS
 * statements at once and keep their order. A statement that fails leaves the others' fires
 * recorded: the job's retry finds them fired already, as a later run of the day does.
 *
 * Beside them, each play's capped accounts go to its one capped row of the day (see PlayFire in
 * prisma/schema.prisma), a later run's appended to it: a row per capped account was half the rows
 * and a third of the time of the plays after a run at 100,000 accounts, for accounts that only the
 * day's summary names.
 */
async function insertFires(
  sql: SqlClient,
  workspaceId: number,
  rows: readonly { play: Play; fire: DecidedFire; status: string }[],
  capped: readonly { play: Play; fires: readonly DecidedFire[] }[],
  at: { day: Day; runId: bigint | null; held: Date | null },
): Promise<{ status: string; n: number }[]> {
  const day = formatDay(at.day);
  const ids =
    rows.length === 0
      ? []
      : await sql.query<{ id: string }>(
          `SELECT id::text FROM (SELECT nextval(pg_get_serial_sequence('play_fires', 'id')) AS id
                                 FROM generate_series(1, $1::int)) AS x ORDER BY x.id`,
          [rows.length],
        );
  const size = Math.max(1, Math.ceil(rows.length / INSERT_STATEMENTS));
  const chunks: number[] = [];
  for (let from = 0; from < rows.length; from += size) chunks.push(from);
  // Through the driver: Prisma's raw query turned the 10,000 fires' parameters into JSON and back.
  const written = await Promise.all([
    ...chunks.map((from) => {
      const part = rows.slice(from, from + size);
      // The part's fires as one JSON document ([id, play, account, trigger, status] each), which the
      // database parses, and back only a count per status: as five arrays, the driver's escaping of
      // each element and its reading of a row per fire took this process 150-180 ms for 10,000
      // fires, 105-135 ms this way (BENCHMARKS.md, Plays).
      const fires = part.map((r, i) => [
        ids[from + i]!.id,
        r.play.key,
        r.fire.accountId,
        fireTrigger(r.fire.hit),
        r.status,
      ]);
      return sql.query<{ status: string; n: number }>(
        `WITH written AS (
           INSERT INTO play_fires (id, workspace_id, play_key, subject, account_id, local_date, run_id, trigger, status, held_until)
           SELECT (f->>0)::bigint, $1, f->>1, 'account:' || (f->>2), (f->>2)::int, $2::date, $3, f->3, f->>4,
                  CASE WHEN f->>4 = 'held' THEN $4::timestamptz END
           FROM jsonb_array_elements($5::jsonb) WITH ORDINALITY AS x(f, n)
           ORDER BY x.n
           ON CONFLICT (workspace_id, play_key, subject, local_date) DO NOTHING
           RETURNING status)
         SELECT status, count(*)::int AS n FROM written GROUP BY status`,
        [workspaceId, day, at.runId, at.held, JSON.stringify(fires)],
      );
    }),
    capped.length === 0
      ? []
      : sql.query<{ status: string; n: number }>(
          `INSERT INTO play_fires (workspace_id, play_key, subject, local_date, run_id, trigger, status)
           SELECT $1, c.play_key, 'capped', $2::date, $3, c.trigger, 'capped'
           FROM unnest($4::text[], $5::jsonb[]) AS c(play_key, trigger)
           ON CONFLICT (workspace_id, play_key, subject, local_date) DO UPDATE SET trigger = jsonb_build_object(
             'kind', 'capped',
             'accounts', play_fires.trigger->'accounts' || coalesce(
               (SELECT jsonb_agg(a.id ORDER BY a.n)
                FROM jsonb_array_elements(EXCLUDED.trigger->'accounts') WITH ORDINALITY AS a(id, n)
                WHERE NOT play_fires.trigger->'triggers' ? (a.id #>> '{}')),
               '[]'::jsonb),
             'triggers', (EXCLUDED.trigger->'triggers') || (play_fires.trigger->'triggers'))`,
          [
            workspaceId,
            day,
            at.runId,
            capped.map((c) => c.play.key),
            capped.map((c) =>
              JSON.stringify({
                kind: "capped",
                accounts: c.fires.map((f) => f.accountId),
                triggers: Object.fromEntries(c.fires.map((f) => [f.accountId, fireTrigger(f.hit)])),
              }),
            ),
          ],
        ),
  ]);
  // The capped rows' statement returns none: the summary counts their accounts.
  return written.flat();
}

/** Each play's last fire day per account ("key\0accountId" -> day), within the longest cooldown. */
async function lastFires(
  sql: SqlClient,
  workspaceId: number,
  day: Day,
  accountIds: readonly number[],
): Promise<Map<string, Day>> {
  const rows = await sql.query<{ play_key: string; account_id: number; last: Day }>(
    `SELECT play_key, account_id, max(local_date) - DATE '1970-01-01' AS last FROM play_fires
     WHERE workspace_id = $1 AND account_id = ANY($3::int[]) AND local_date > $2::date - 366
       AND status <> 'capped'
     GROUP BY play_key, account_id`,
    [workspaceId, formatDay(day), [...accountIds]],
  );
  return new Map(rows.map((r) => [`${r.play_key}\u0000${r.account_id}`, r.last]));
}
