// npm run bench -- plays [--accounts N] [--plays P] [--moved PCT] [--rounds R] [--keep | --reuse URL]
//
// What a playbook adds to a daily run: the plays' evaluation after a recompute (firePlays, which the
// notify job runs after each run) against the run itself, measured in the same database in turn.
// Requirement (issue 20): with 20 plays over 100,000 accounts, at most 10 % of the run's time.
//
// 1. A scratch PostgreSQL database with N synthetic accounts (support/synthetic-portfolio.ts), and
//    what the plays read beside the scores (support/play-portfolio.ts: owners, renewal dates,
//    survey answers with comments, gaps in a metric); the bench model and a playbook of P plays
//    covering every trigger kind, with conditions, cooldowns, caps and realistic actions, stored
//    with storePlaybookVersion. The rollups as the refresh-rollups job keeps them.
// 2. A first run through the real queue (not measured); its snapshots become the day before's,
//    changed for --moved percent of the accounts (10), with 14 days of history before them and earlier fires,
//    so the measured runs find band changes, drops and components crossing, as a daily run does.
//    The day before's snapshots carry the marks of the playbook stored for this benchmark (a real
//    second day finds its first run's), so the shards read those, not the components before.
// 3. R rounds: the state reset to the day before, a run through the real queue on a real worker
//    process (support/queued-run.ts), timed (T_run); the shards' own part of the plays (the
//    candidates they record, run-candidates.ts) done again here on the run's results and timed
//    (shards'); then firePlays for that run in this process, timed (T_plays), with the run's day as
//    "now" at 10:00 UTC (no quiet hours). The medians are compared: (T_plays + shards') / T_run must
//    be at most 0.10, else the benchmark exits 1.
// Everything it made is removed at the end, unless --keep: then --reuse URL runs again on that
// database (the data as generated, nothing generated again).
import pg from "pg";
import { table } from "../src/cli/output/format.ts";
import { storeModelVersion } from "../src/db/repositories/models.ts";
import { storePlaybookVersion } from "../src/db/repositories/playbooks.ts";
import { ensureWorkspace } from "../src/db/repositories/workspaces.ts";
import { dayToDate, formatDay, parseDay } from "../src/domain/dates.ts";
import { parseModel } from "../src/domain/model/parse-model.ts";
import type { ComponentState } from "../src/domain/plays/facts.ts";
import { parsePlaybook } from "../src/domain/plays/parse-playbook.ts";
import { boundMarks, marksReader, markedPlays } from "../src/domain/plays/bound-marks.ts";
import { runCandidatePlays, runCandidates } from "../src/domain/plays/run-candidates.ts";
import type { Playbook } from "../src/domain/plays/schema.ts";
import { writeRunCandidates } from "../src/db/repositories/play-candidates.ts";
import { checkRedis } from "../src/jobs/redis.ts";
import { refreshWorkspaceRollups } from "../src/services/refresh-rollups.ts";
import { firePlays, type FireSummary } from "../src/services/plays/fire-plays.ts";
import { BenchTargetMissed, BenchUsageError, parseFlags, wholeNumber } from "./support/args.ts";
import { runWithCleanups, type Cleanup } from "./support/lifecycle.ts";
import {
  addPlayFacts,
  benchPlaybookSource,
  DEFAULT_MOVED_PERCENT,
  makeDayBefore,
  markDayBefore,
  placeRunInTime,
  resetToDayBefore,
  runMovement,
} from "./support/play-portfolio.ts";
import { benchRedisUrl } from "./support/queue-keys.ts";
import { quantile, runOnWorkers } from "./support/queued-run.ts";
import { createScratchDatabase, reuseDatabase } from "./support/scratch-database.ts";
import { benchModelSource, generatePortfolio } from "./support/synthetic-portfolio.ts";

const WORKSPACE = "bench";
/** The runs' as-of date: the last day of the observations (as in the recompute benchmark). */
const AS_OF = parseDay("2026-11-22")!;
/** A schedule that cannot fire while the benchmark runs (next on 29 February 2028). */
const NEVER = "0 0 29 2 *";
/** The target: the plays' evaluation at most this share of the run's time. */
const TARGET = 0.1;
/** The recompute benchmark's defaults: one worker process, 2 jobs at once, 5,000 accounts a shard. */
const WORKER = { workers: 1, concurrency: 2, shardSize: 5000, workerHeapMb: 256 };

interface Settings {
  accounts: number;
  plays: number;
  /** The percent of the accounts whose score moved 3-27 points overnight (half up, half down). */
  moved: number;
  /** Whether --moved was given: on a kept database, the day before is made again with it. */
  movedGiven: boolean;
  rounds: number;
  keep: boolean;
  reuse: string | null;
}

interface Round {
  /** The run, the shards' plays' candidates included. */
  runSeconds: number;
  /** firePlays after the run. */
  playsSeconds: number;
  /** The shards' part of the plays (shardShareSeconds), within runSeconds. */
  shardSeconds: number;
  bandChanges: number;
  drops: number;
  summary: FireSummary;
}

export async function main(args: string[]): Promise<void> {
  const flags = parseFlags(args, ["accounts", "plays", "rounds", "reuse", "moved"], ["keep"]);
  const settings: Settings = {
    accounts: wholeNumber("accounts", flags.accounts, 100_000),
    plays: wholeNumber("plays", flags.plays, 20),
    moved: wholeNumber("moved", flags.moved, DEFAULT_MOVED_PERCENT),
    movedGiven: flags.moved !== undefined,
    rounds: wholeNumber("rounds", flags.rounds, 3),
    keep: flags.keep === true || flags.reuse !== undefined,
    reuse: flags.reuse ?? null,
  };
  if (settings.plays > 100) throw new BenchUsageError("--plays must be at most 100 (a playbook's limit)");
  if (settings.moved > 100) throw new BenchUsageError("--moved is a percent of the accounts: at most 100");
  let ratio = 0;
  await runWithCleanups(log, async (cleanups) => {
    ratio = await run(settings, cleanups);
  });
  if (ratio > TARGET)
    throw new BenchTargetMissed(`(T_plays + shards') / T_run ${ratio.toFixed(3)} > ${TARGET}`);
}

async function run(s: Settings, cleanups: Cleanup[]): Promise<number> {
  for (const warning of (await checkRedis(benchRedisUrl)).warnings) log(`redis: ${warning}`);
  const scratch = s.reuse ? await reuseDatabase(s.reuse) : await createScratchDatabase("postgres");
  const url = scratch.config.databaseUrl!;
  cleanups.push(async () => {
    if (s.keep) log(`kept the database: ${url} (--reuse ${url} runs on it again)`);
    else await scratch.drop();
  });
  const db = await scratch.open();
  cleanups.push(() => db.close());
  const sql = new pg.Client(url);
  sql.on("error", () => undefined); // ended by the drop after an interrupt; its query fails instead
  await sql.connect();
  cleanups.push(() => sql.end());

  const workspace = await ensureWorkspace(db.prisma, WORKSPACE);
  await db.prisma.workspace.update({
    where: { id: workspace.id },
    data: { settings: { recompute_cron: NEVER } },
  });
  const source = benchPlaybookSource(s.plays);
  if (s.reuse) {
    log("reusing the database: the state reset to the day before");
    await resetToDayBefore(sql, workspace.id, AS_OF);
  } else {
    log(`generating ${s.accounts} accounts × 10 metrics × 30 days in SQL, and what the plays read:`);
    await generatePortfolio(
      url,
      { workspaceId: workspace.id, accounts: s.accounts, days: 30, asOf: AS_OF },
      log,
    );
    await addPlayFacts(sql, workspace.id, AS_OF);
    const model = benchModelSource();
    await storeModelVersion(db.prisma, workspace.id, parseModel(model, "bench model"), model, "bench");
  }
  const playbook = parsePlaybook(source, "bench playbook");
  const playbookId = (await storePlaybookVersion(db.prisma, workspace.id, playbook, source, "bench")).id;
  const started = performance.now();
  const refreshed = await refreshWorkspaceRollups(db, workspace.id, AS_OF);
  await sql.query("VACUUM ANALYZE metric_rollups");
  log(
    `the rollups: ${refreshed.accounts} accounts in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );

  const spec = { ...WORKER, accounts: s.accounts, workspaceId: workspace.id, databaseUrl: url, asOf: AS_OF };
  if (!s.reuse || s.movedGiven) {
    log(`a first run, not measured, whose snapshots become the day before's (${s.moved} % moved):`);
    await runOnWorkers(db.prisma, spec, cleanups, log);
    await makeDayBefore(sql, workspace.id, AS_OF, s.moved);
  }
  log("marking the day before's snapshots for the playbook stored");
  await markDayBefore(sql, workspace.id, AS_OF, { id: playbookId, plays: markedPlays(playbook.plays) });
  const now = new Date(dayToDate(AS_OF).getTime() + 10 * 3600_000);
  const rounds: Round[] = [];
  const fires: Map<string, string>[] = [];
  for (let round = 0; round < s.rounds; round++) {
    if (round > 0) {
      log("resetting to the day before (no snapshot, band change or fire of the run's day)");
      await resetToDayBefore(sql, workspace.id, AS_OF);
    }
    const result = await runOnWorkers(db.prisma, spec, cleanups, log);
    await placeRunInTime(sql, workspace.id, AS_OF, result.runId);
    const movement = await runMovement(sql, workspace.id, AS_OF, result.runId);
    if (movement.bandChanges === 0 || movement.drops === 0) {
      throw new Error(`the run moved nothing (${JSON.stringify(movement)}): the plays would have no work`);
    }
    const shardSeconds = await shardShareSeconds(sql, workspace.id, result.runId, {
      id: playbookId,
      playbook,
    });
    const t0 = performance.now();
    const summary = await firePlays(db, workspace.id, result.runId, now);
    const playsSeconds = (performance.now() - t0) / 1000;
    log(
      `  plays: ${playsSeconds.toFixed(3)} s for ${summary.evaluated} accounts evaluated, and ` +
        `${shardSeconds.toFixed(3)} s of the run's own; ` +
        `${movement.bandChanges} band changes, ${movement.drops} drops of 5+ points in the run`,
    );
    rounds.push({ runSeconds: result.seconds, playsSeconds, shardSeconds, ...movement, summary });
    fires.push(await firesPerPlay(sql, workspace.id));
  }
  return printResults(
    s,
    rounds,
    fires.at(-1)!,
    parsePlaybook(source, "bench playbook").plays.map((p) => p.key),
  );
}

/**
 * The run's share of the plays' work: what its shards did for the playbook (each scored account's
 * marks, domain/plays/bound-marks.ts; run-candidates.ts on it, with the snapshot before's marks, or
 * its components parsed when it has none of this version and a component is in a bound, and
 * no_data's counts looked up in the account's rollup; and play_candidates written), done again here
 * on the run's results and timed. The results and the rollups' values are read untimed (the shards
 * hold them in memory), and the candidates and marks found must be the ones the shards recorded, or
 * the figure would be of other work.
 */
async function shardShareSeconds(
  sql: pg.Client,
  workspaceId: number,
  runId: bigint,
  stored: { id: number; playbook: Playbook },
): Promise<number> {
  const plays = runCandidatePlays(stored.playbook.plays);
  const marked = markedPlays(plays);
  const readMarks = marksReader(stored.id, marked.length);
  const { rows } = await sql.query<{
    account_id: number;
    score: number | null;
    components: ComponentState[];
    play_bounds: string | null;
    previous_score: number | null;
    previous_components: string | null;
    previous_bounds: string | null;
    metrics: Record<string, number | null> | null;
    day: number;
    band: string;
    renewal_day: number | null;
    previous_as_of: number | null;
    previous_band: string | null;
  }>(
    // Days as integers (Day), as the shards read them.
    `SELECT s.account_id, s.score, s.components, s.play_bounds, p.score AS previous_score,
            p.components::text AS previous_components, p.play_bounds AS previous_bounds,
            r.values AS metrics, s.as_of - DATE '1970-01-01' AS day, s.band,
            a.renewal_date - DATE '1970-01-01' AS renewal_day,
            p.as_of - DATE '1970-01-01' AS previous_as_of, p.band AS previous_band
     FROM score_snapshots s
     JOIN accounts a ON a.id = s.account_id
     LEFT JOIN LATERAL (SELECT p.as_of, p.band, p.score, p.components, p.play_bounds FROM score_snapshots p
                        WHERE p.account_id = s.account_id AND p.as_of < s.as_of
                        ORDER BY p.as_of DESC LIMIT 1) p ON true
     LEFT JOIN metric_rollups r ON r.account_id = s.account_id AND r.as_of = s.as_of
     WHERE s.workspace_id = $1 AND s.run_id = $2 ORDER BY s.account_id`,
    [workspaceId, runId],
  );
  const { rows: recorded } = await sql.query<{ play_key: string; account_id: number }>(
    `SELECT play_key, unnest(account_ids) AS account_id FROM play_candidates WHERE run_id = $1`,
    [runId],
  );
  const t0 = performance.now();
  const found: { playKey: string; accountId: number }[] = [];
  const marks: (string | null)[] = [];
  for (const r of rows) {
    const previous = r.previous_components;
    const today = boundMarks(stored.id, marked, r.components);
    marks.push(today.stored);
    const keys = runCandidates(plays, {
      accountId: r.account_id,
      score: r.score,
      components: r.components,
      bounds: today.bits,
      previous:
        previous === null
          ? undefined
          : {
              asOf: r.previous_as_of ?? undefined,
              band: r.previous_band ?? undefined,
              score: r.previous_score,
              bounds: readMarks(r.previous_bounds),
              components: previous,
            },
      metrics: r.metrics ?? {},
      renewal: { day: r.day, band: r.band, date: r.renewal_day },
    });
    for (const playKey of keys) found.push({ playKey, accountId: r.account_id });
  }
  const ids = rows.map((r) => r.account_id);
  const range = { workspaceId, fromId: ids[0] ?? 0, toId: ids.at(-1) ?? 0 };
  await sql.query("BEGIN");
  await writeRunCandidates(
    async (text, params) => (await sql.query(text, [...params])).rowCount ?? 0,
    runId,
    range,
    found,
  );
  await sql.query("COMMIT");
  const seconds = (performance.now() - t0) / 1000;
  const key = (k: string, a: number) => `${k} ${a}`;
  const same = new Set(recorded.map((r) => key(r.play_key, r.account_id)));
  if (found.length !== recorded.length || !found.every((f) => same.has(key(f.playKey, f.accountId)))) {
    throw new Error(`the shards recorded ${recorded.length} candidates, the benchmark found ${found.length}`);
  }
  const unlike = rows.filter((r, i) => r.play_bounds !== marks[i]).length;
  if (unlike > 0) throw new Error(`${unlike} snapshots' marks differ from the benchmark's`);
  // The steady state: a day after one under the same playbook parses no components before. The
  // shard parses them for an account with a component in a bound today and no marks of this version.
  const parsed = rows.filter(
    (r, i) =>
      r.previous_components !== null && readMarks(r.previous_bounds) === null && marks[i]?.includes("1"),
  ).length;
  log(`  shards' plays: the components before parsed for ${parsed} of ${rows.length} accounts`);
  return seconds;
}

/** Each play's fires of the run's day by status ("12 planned, 3 capped": the capped row's accounts). */
async function firesPerPlay(sql: pg.Client, workspaceId: number): Promise<Map<string, string>> {
  const { rows } = await sql.query<{ play_key: string; status: string; n: number }>(
    `SELECT play_key, status,
            sum(CASE WHEN subject = 'capped' THEN jsonb_array_length(trigger->'accounts') ELSE 1 END)::int AS n
     FROM play_fires
     WHERE workspace_id = $1 AND local_date = $2::date GROUP BY play_key, status ORDER BY play_key, status`,
    [workspaceId, formatDay(AS_OF)],
  );
  const out = new Map<string, string>();
  for (const r of rows) {
    const text = `${r.n} ${r.status}`;
    out.set(r.play_key, out.has(r.play_key) ? `${out.get(r.play_key)}, ${text}` : text);
  }
  return out;
}

/** Prints the rounds and returns the ratio of the medians, (T_plays + shards') / T_run. */
function printResults(s: Settings, rounds: Round[], fires: Map<string, string>, keys: string[]): number {
  const out = (text: string) => process.stdout.write(`${text}\n`);
  out(
    table(
      ["play", "fires of the last round"],
      keys.map((k) => [k, fires.get(k) ?? "0"]),
    ),
  );
  out(
    table(
      [
        "round",
        "T_run s",
        "of which shards' plays s",
        "T_plays s",
        "(T_plays + shards') / T_run",
        "evaluated",
        "planned",
        "capped",
        "cooled",
        "band changes",
      ],
      rounds.map((r, i) => [
        i + 1,
        r.runSeconds.toFixed(2),
        r.shardSeconds.toFixed(3),
        r.playsSeconds.toFixed(3),
        ((r.playsSeconds + r.shardSeconds) / r.runSeconds).toFixed(3),
        r.summary.evaluated,
        r.summary.planned,
        r.summary.capped,
        r.summary.cooled,
        r.bandChanges,
      ]),
      ["right", "right", "right", "right", "right", "right", "right", "right", "right", "right"],
    ),
  );
  const run = quantile(
    rounds.map((r) => r.runSeconds),
    0.5,
  );
  const plays = quantile(
    rounds.map((r) => r.playsSeconds),
    0.5,
  );
  const shards = quantile(
    rounds.map((r) => r.shardSeconds),
    0.5,
  );
  // What the plays add: their evaluation after the run and their share of the run itself.
  const ratio = (plays + shards) / run;
  const passed = ratio <= TARGET;
  out(
    `${s.accounts} accounts, ${s.plays} plays, ${s.rounds} round(s): median T_run ${run.toFixed(2)} s, ` +
      `median T_plays ${plays.toFixed(3)} s (and ${shards.toFixed(3)} s in the run's shards), ` +
      `(T_plays + shards') / T_run ${ratio.toFixed(3)} ` +
      `(target ≤ ${TARGET.toFixed(2)}): ${passed ? "PASS" : "FAIL"}`,
  );
  return ratio;
}

const log = (text: string) => process.stderr.write(`${text}\n`);
