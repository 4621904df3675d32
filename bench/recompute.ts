// npm run bench -- recompute [--accounts N] [--workers K | --compare-workers [--rounds R]] [--shard-size S]
//                            [--days D] [--concurrency C] [--worker-heap-mb M] [--outdated-rollups]
//                            [--yesterday] [--keep | --reuse URL]
//
// A full recompute of N synthetic accounts (10 metric components, D days of observations each)
// through the real queue and real worker processes, against its floor: one INSERT ... SELECT that
// writes the same number of snapshot rows.
//
// 1. A scratch PostgreSQL database, migrated; the data generated in SQL (support/synthetic-portfolio.ts)
//    and a 10-component model stored as the active model; VACUUM ANALYZE. Then the accounts' rollups
//    as the refresh-rollups job keeps them (src/services/refresh-rollups.ts), timed apart; with
//    --outdated-rollups every account is instead marked changed before each run, as right after a
//    full import and before the job has run, so the run computes every rollup itself.
// 2. For each worker count, a run through the real queue on real worker processes
//    (support/queued-run.ts): its time, each shard's, the workers' peak RSS and the CPU used. The run
//    must have scored every account, and the database must hold one snapshot per account. With
//    --compare-workers --rounds R, R rounds of a run with 1 and a run with 2 processes, every other
//    round in the other order, compared by their medians: one slow spell of the machine does not
//    decide the comparison.
//    The queues' sync queue is paused: the workspace's refresh-rollups job would move the rollups to
//    today's date (support/queued-run.ts).
//    With --yesterday every measured run starts from the day before's snapshots, as a daily run
//    does: a first, unmeasured run writes them, and they are moved to the day before before each run.
// 3. The floor, in the same database, from the same starting state (no snapshots).
// Everything it made (database, Redis keys, processes) is removed at the end, failure or not, unless
// --keep: then `--reuse URL` runs again on that database (scores reset first), without generating.
import { execFile } from "node:child_process";
import os from "node:os";
import { promisify } from "node:util";
import pg from "pg";
import { table } from "../src/cli/output/format.ts";
import { storeModelVersion } from "../src/db/repositories/models.ts";
import { refreshWorkspaceRollups } from "../src/services/refresh-rollups.ts";
import { ensureWorkspace } from "../src/db/repositories/workspaces.ts";
import { formatDay, parseDay } from "../src/domain/dates.ts";
import { parseModel } from "../src/domain/model/parse-model.ts";
import { checkRedis } from "../src/jobs/redis.ts";
import { BenchUsageError, parseFlags, wholeNumber } from "./support/args.ts";
import { benchRedisUrl } from "./support/queue-keys.ts";
import { runWithCleanups, type Cleanup } from "./support/lifecycle.ts";
import { quantile, runOnWorkers, type RunResult } from "./support/queued-run.ts";
import { createScratchDatabase, reuseDatabase } from "./support/scratch-database.ts";
import {
  moveScoresToDayBefore,
  resetScores,
  sampleComponents,
  timeFloor,
  type FloorResult,
} from "./support/snapshot-floor.ts";
import { benchModelSource, generatePortfolio, recordChangedAccounts } from "./support/synthetic-portfolio.ts";

const WORKSPACE = "bench";
/** The as-of date of the runs: the last day of the observations. The floor writes the day before. */
const AS_OF = parseDay("2026-11-22")!;
/** A schedule that cannot fire while the benchmark runs (next on 29 February 2028). */
const NEVER = "0 0 29 2 *";
/** The floor is short, so noise weighs on it: it is measured this many times (the median counts). */
const FLOOR_REPEATS = 3;

interface Settings {
  accounts: number;
  days: number;
  shardSize: number;
  concurrency: number;
  workerHeapMb: number;
  workerCounts: number[];
  rounds: number;
  outdatedRollups: boolean;
  yesterday: boolean;
  keep: boolean;
  reuse: string | null;
}

export async function main(args: string[]): Promise<void> {
  const settings = parseSettings(args);
  await runWithCleanups(log, (cleanups) => run(settings, cleanups));
}

function parseSettings(args: string[]): Settings {
  const flags = parseFlags(
    args,
    ["accounts", "workers", "shard-size", "days", "concurrency", "worker-heap-mb", "rounds", "reuse"],
    ["compare-workers", "outdated-rollups", "yesterday", "keep"],
  );
  if (flags["compare-workers"] && flags.workers !== undefined) {
    throw new BenchUsageError("give --workers K or --compare-workers (1 then 2 workers), not both");
  }
  if (flags.rounds !== undefined && !flags["compare-workers"]) {
    throw new BenchUsageError("--rounds R repeats --compare-workers: give both");
  }
  const shardSize = wholeNumber("shard-size", flags["shard-size"], 5000);
  const concurrency = wholeNumber("concurrency", flags.concurrency, 2);
  // The limits the worker's configuration (src/config/env.ts) accepts.
  if (shardSize > 100_000) throw new BenchUsageError("--shard-size must be at most 100000");
  if (concurrency > 64) throw new BenchUsageError("--concurrency must be at most 64");
  return {
    accounts: wholeNumber("accounts", flags.accounts, 10_000),
    days: wholeNumber("days", flags.days, 30),
    shardSize,
    concurrency,
    workerHeapMb: wholeNumber("worker-heap-mb", flags["worker-heap-mb"], 256, 64),
    workerCounts: flags["compare-workers"] ? [1, 2] : [wholeNumber("workers", flags.workers, 1)],
    rounds: wholeNumber("rounds", flags.rounds, 1),
    outdatedRollups: flags["outdated-rollups"] === true,
    yesterday: flags.yesterday === true,
    keep: flags.keep === true || flags.reuse !== undefined,
    reuse: flags.reuse ?? null,
  };
}

async function run(s: Settings, cleanups: Cleanup[]): Promise<void> {
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
  await describeMachine(sql);

  const workspace = await ensureWorkspace(db.prisma, WORKSPACE);
  await db.prisma.workspace.update({
    where: { id: workspace.id },
    data: { settings: { recompute_cron: NEVER } },
  });
  if (s.reuse) {
    await checkReused(sql, workspace.id, s.accounts);
    log("reusing the database: resetting the scores, so the run starts from the state it was generated in");
    await resetScores(sql);
  } else {
    log(
      `generating ${s.accounts} accounts × 10 metrics × ${s.days} days in SQL ` +
        `(INSERT ... SELECT FROM generate_series, not the import path):`,
    );
    const generated = await generatePortfolio(
      url,
      { workspaceId: workspace.id, accounts: s.accounts, days: s.days, asOf: AS_OF },
      log,
    );
    const generationSeconds = generated.steps.reduce((sum, [, seconds]) => sum + seconds, 0);
    log(
      `  ${generated.observations} observations (${(generated.observationBytes / 2 ** 30).toFixed(2)} GiB with ` +
        `indexes) in ${generationSeconds.toFixed(0)} s`,
    );
    const source = benchModelSource();
    await storeModelVersion(db.prisma, workspace.id, parseModel(source, "bench model"), source, "bench");
  }
  if (!s.outdatedRollups) {
    log("the rollups, as the refresh-rollups job keeps them (one pass, 5,000 accounts a statement):");
    const started = performance.now();
    await markRollupsOfAnotherDay(sql, workspace.id);
    const refreshed = await refreshWorkspaceRollups(db, workspace.id, AS_OF);
    await sql.query("VACUUM ANALYZE metric_rollups");
    log(`  ${refreshed.accounts} accounts in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }

  const spec = { ...s, workspaceId: workspace.id, databaseUrl: url, asOf: AS_OF };
  if (s.yesterday) {
    log("a first run, not measured, to write the snapshots the measured runs find as the day before's:");
    await runOnWorkers(db.prisma, { ...spec, workers: 1 }, cleanups, log);
  }
  const runs: RunResult[] = [];
  for (const [i, workers] of runOrder(s).entries()) {
    if (s.yesterday) {
      log(
        `moving the snapshots to ${formatDay(AS_OF - 1)}, so the run finds every account scored the day before`,
      );
      await moveScoresToDayBefore(sql, workspace.id, AS_OF);
    } else if (i > 0) {
      log("resetting the scores, so the next run starts from the same state");
      await resetScores(sql);
    }
    if (s.outdatedRollups) {
      log("marking every account changed (no rollup up to date), as right after a full import");
      await markEveryAccountChanged(sql, workspace.id);
    }
    const result = await runOnWorkers(db.prisma, { ...spec, workers }, cleanups, log);
    await verify(sql, workspace.id, s.accounts);
    runs.push(result);
  }

  const last = runs.at(-1)!;
  const sample = await sampleComponents(sql, workspace.id, AS_OF);
  log(
    `the floor: one INSERT ... SELECT of ${s.accounts} snapshots (components as a real snapshot's), ` +
      `${FLOOR_REPEATS} times from an empty table; the median counts`,
  );
  const floors: FloorResult[] = [];
  for (let i = 0; i < FLOOR_REPEATS; i++) {
    await resetScores(sql, s.keep && i === 0 ? { keepAs: "bench_recompute_snapshots" } : {});
    const floor = await timeFloor(sql, {
      workspaceId: workspace.id,
      asOf: AS_OF - 1,
      modelId: last.modelId,
      runId: last.runId,
      components: sample.components,
    });
    if (floor.rows !== s.accounts) throw new Error(`the floor wrote ${floor.rows} rows, not ${s.accounts}`);
    floors.push(floor);
  }
  const floor = [...floors].sort((a, b) => a.seconds - b.seconds)[Math.floor(FLOOR_REPEATS / 2)]!;
  log(
    `  ${floors.map((f) => f.seconds.toFixed(2)).join(", ")} s; components stored in ` +
      `${floor.storedBytes.toFixed(0)} bytes a row (the recompute's: ${sample.averageBytes.toFixed(0)} bytes on average)`,
  );
  printResults(s, runs, floor);
}

/** The worker counts in the order they run: each round of a comparison in the other order from the last. */
function runOrder(s: Settings): number[] {
  return Array.from({ length: s.rounds }, (_, round) =>
    round % 2 === 0 ? s.workerCounts : [...s.workerCounts].reverse(),
  ).flat();
}

/**
 * Rollups of another day than the runs' (a reused database whose rollups the refresh job moved to
 * its day) are computed again as of the runs' day: marked changed, as the refresh job finds them.
 */
async function markRollupsOfAnotherDay(sql: pg.Client, workspaceId: number): Promise<void> {
  await recordChangedAccounts(
    sql,
    workspaceId,
    `SELECT account_id FROM metric_rollups WHERE workspace_id = $1 AND as_of <> $2::date`,
    [formatDay(AS_OF)],
  );
}

/** A reused database must hold what this run would have generated. */
async function checkReused(sql: pg.Client, workspaceId: number, accounts: number): Promise<void> {
  const { rows } = await sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM accounts WHERE workspace_id = $1`,
    [workspaceId],
  );
  if (rows[0]?.n !== accounts) {
    throw new BenchUsageError(
      `the reused database holds ${rows[0]?.n ?? 0} accounts, not ${accounts}: give the same --accounts`,
    );
  }
}

/** The state after a full import, before any rollup was computed from it. */
async function markEveryAccountChanged(sql: pg.Client, workspaceId: number): Promise<void> {
  await sql.query("TRUNCATE metric_rollups, metric_rollup_changes");
  await recordChangedAccounts(sql, workspaceId, `SELECT id FROM accounts WHERE workspace_id = $1`);
  await sql.query("VACUUM ANALYZE metric_rollups, metric_rollup_changes");
}

/** Counted apart from what the run says: one snapshot per account as of the run's date. */
async function verify(sql: pg.Client, workspaceId: number, accounts: number): Promise<void> {
  const { rows } = await sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM score_snapshots WHERE workspace_id = $1 AND as_of = $2::date`,
    [workspaceId, formatDay(AS_OF)],
  );
  const n = rows[0]?.n ?? 0;
  if (n !== accounts) throw new Error(`expected ${accounts} snapshots as of ${formatDay(AS_OF)}, found ${n}`);
}

async function describeMachine(sql: pg.Client): Promise<void> {
  const { rows } = await sql.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
  const gib = (os.totalmem() / 2 ** 30).toFixed(0);
  log(
    `machine: ${os.cpus().length} cores, ${gib} GiB RAM, Node ${process.versions.node}, ` +
      `PostgreSQL ${rows[0]?.v ?? "?"}; code: ${await describeTree()}`,
  );
}

/** The commit measured, and whether src/ had uncommitted changes (the figures are of the tree). */
async function describeTree(): Promise<string> {
  const git = (...args: string[]) => promisify(execFile)("git", args).then((r) => r.stdout.trim());
  try {
    const commit = await git("log", "--oneline", "-1");
    const changed = (await git("status", "--porcelain", "src")).split("\n").filter(Boolean).length;
    return changed > 0 ? `${commit} + ${changed} uncommitted file(s) in src/` : commit;
  } catch {
    return "not a git checkout";
  }
}

function printResults(s: Settings, runs: RunResult[], floor: FloorResult): void {
  const out = (text: string) => process.stdout.write(`${text}\n`);
  out(
    table(
      [
        "accounts",
        "workers",
        "shards",
        "seconds",
        "accounts/s",
        "shard p50 s",
        "shard p95 s",
        "peak worker RSS MiB",
        "floor s",
        "recompute/floor",
        "busy core-s (workers')",
      ],
      runs.map((r) => [
        s.accounts,
        `${r.workers} × ${s.concurrency}`,
        r.shards,
        r.seconds.toFixed(2),
        Math.round(s.accounts / r.seconds),
        quantile(r.shardSeconds, 0.5).toFixed(2),
        quantile(r.shardSeconds, 0.95).toFixed(2),
        r.peakRssMb.map((m) => m.toFixed(0)).join(" / "),
        floor.seconds.toFixed(2),
        `${(r.seconds / floor.seconds).toFixed(1)}x`,
        r.cpu
          ? `${r.cpu.busy.toFixed(1)} of ${(r.seconds * os.cpus().length).toFixed(1)} (${r.workerCpu.toFixed(1)})`
          : "-",
      ]),
      ["right", "right", "right", "right", "right", "right", "right", "right", "right", "right", "right"],
    ),
  );
  out(
    `workers: processes × jobs each (CSS_WORKER_CONCURRENCY); shard size ${s.shardSize}; worker heap cap ${s.workerHeapMb} MiB; ` +
      `data generated in SQL, not through the import path; ` +
      (s.outdatedRollups ? "every rollup computed by the run" : "rollups up to date before the run") +
      (s.yesterday ? "; every account scored the day before" : "; no earlier snapshot"),
  );
  if (s.workerCounts.length === 2) {
    const seconds = (workers: number) => runs.filter((r) => r.workers === workers).map((r) => r.seconds);
    const one = median(seconds(1));
    const two = median(seconds(2));
    const change = one / two;
    const rounds =
      s.rounds === 1
        ? ""
        : `median of ${s.rounds} rounds: ${one.toFixed(2)} s -> ${two.toFixed(2)} s; each round: ` +
          seconds(1)
            .map((single, round) => `${(single / seconds(2)[round]!).toFixed(2)}x`)
            .join(", ");
    out(
      `2 workers vs 1: ${change.toFixed(2)}x ${change > 1 ? "faster" : "SLOWER"} ` +
        `(${rounds || `${one.toFixed(2)} s -> ${two.toFixed(2)} s`})`,
    );
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const log = (text: string) => process.stderr.write(`${text}\n`);
