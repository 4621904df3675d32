// Recompute runs under faults, each compared with a clean run of the same data. A portfolio is
// imported once into a base database; every trial runs on a copy of it (CREATE DATABASE ... TEMPLATE),
// through the real queue and a real `css-bot worker` process, and its result (every snapshot's score,
// band and components, every band change) is reduced to one digest. A fault survived means: the run
// finished by itself, and its digest equals the clean run's.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { openDatabase } from "../../src/db/client.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { formatDay, type Day } from "../../src/domain/dates.ts";
import { openQueues, type Queues } from "../../src/jobs/queues.ts";
import { startRunFlow } from "../../src/jobs/run-flow.ts";
import { importPortfolio, PORTFOLIO_END } from "../../test/support/portfolio.ts";
import type { Cleanup } from "../support/lifecycle.ts";
import { benchRedisUrl, deleteQueueKeys, uniqueQueuePrefix } from "../support/queue-keys.ts";
import { benchServerUrl, createScratchDatabase } from "../support/scratch-database.ts";
import { startWorkerProcesses, type WorkerProcess } from "../support/worker-processes.ts";
import type { ChaosFigure } from "./figure.ts";

const SHARD_SIZE = 250;
/** A killed worker's shard is taken up once its lock expires. */
const LOCK_MS = 2000;
const AS_OF: Day = PORTFOLIO_END;

export interface RunsSettings {
  accounts: number;
  kills: number;
  outageSeconds: number;
}

interface Trial {
  url: string;
  queues: Queues;
  workers: WorkerProcess[];
  /** Starts one more worker (a killed one's replacement). */
  addWorker(): Promise<WorkerProcess>;
  jobId: string;
}

interface TrialResult {
  digest: string;
  seconds: number;
  /** Shard attempts beyond the first. */
  retries: number;
  /** Shards taken up again after their worker died (BullMQ's stalled count). */
  stalled: number;
  /** Shards that failed for good. */
  failed: number;
  finished: boolean;
  /** performance.now() when the run was seen finished. */
  finishedAt: number;
}

export async function runsUnderFaults(
  settings: RunsSettings,
  cleanups: Cleanup[],
  log: (text: string) => void,
): Promise<ChaosFigure[]> {
  const base = await createScratchDatabase("postgres");
  cleanups.push(() => base.drop());
  const db = await base.open();
  const workspaceId = (await ensureWorkspace(db.prisma, "chaos")).id;
  log(`importing ${settings.accounts} accounts`);
  await importPortfolio(db.prisma, workspaceId, { accounts: settings.accounts, days: 35, seed: 7 });
  // The day before, scored cleanly, so the measured run has previous bands (hysteresis, band changes).
  await runTrial(base.config.databaseUrl!, workspaceId, AS_OF - 1, log, cleanups);
  await db.close();

  const copy = async () => {
    const name = `css_bot_chaos_${randomBytes(6).toString("hex")}`;
    await admin((c) =>
      c.query(`CREATE DATABASE "${name}" TEMPLATE "${new URL(base.config.databaseUrl!).pathname.slice(1)}"`),
    );
    const drop = () => admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    cleanups.push(drop);
    const url = new URL(benchServerUrl);
    url.pathname = `/${name}`;
    return { name, url: url.toString(), drop };
  };

  const clean = await copy();
  const reference = await runTrial(clean.url, workspaceId, AS_OF, log, cleanups);
  await clean.drop();
  log(`clean run: ${reference.seconds.toFixed(1)} s, digest ${reference.digest.slice(0, 12)}`);
  const figures: ChaosFigure[] = [];

  if (settings.kills > 0) {
    let identical = 0;
    let retries = 0;
    let stalled = 0;
    for (let k = 1; k <= settings.kills; k++) {
      const trial = await copy();
      const result = await runTrial(trial.url, workspaceId, AS_OF, log, cleanups, async (t) => {
        // A worker killed in the middle of a shard: the k-th one to start, after a random moment.
        const shard = await waitForActiveShard(t, (k - 1) % 4);
        await sleep(Math.floor(Math.random() * 400));
        const victim = t.workers.find((w) => !w.exited())!;
        process.kill(victim.pid, "SIGKILL");
        log(`  trial ${k}: SIGKILL worker ${victim.pid} during ${shard}`);
        await t.addWorker();
      });
      await trial.drop();
      retries += result.retries;
      stalled += result.stalled;
      if (result.finished && result.digest === reference.digest) identical++;
      else log(`  trial ${k}: finished ${result.finished}, digest ${result.digest.slice(0, 12)}`);
    }
    figures.push({
      name: "workers killed (SIGKILL) mid-shard, results identical",
      figure: `${identical}/${settings.kills}`,
      detail:
        `${scored(reference.digest)} accounts scored in shards of ${SHARD_SIZE}; ${stalled} killed shards ` +
        `taken up by the next worker, ${retries} retried`,
      ok: identical === settings.kills && stalled >= settings.kills,
    });
  }

  if (settings.outageSeconds > 0) {
    const trial = await copy();
    let restoredAt = 0;
    const result = await runTrial(trial.url, workspaceId, AS_OF, log, cleanups, async (t) => {
      await waitForActiveShard(t, 1);
      await admin(async (c) => {
        await c.query(`ALTER DATABASE "${trial.name}" ALLOW_CONNECTIONS false`);
        await c.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
          [trial.name],
        );
      });
      log(`  the database is unreachable for ${settings.outageSeconds} s`);
      await sleep(settings.outageSeconds * 1000);
      await admin((c) => c.query(`ALTER DATABASE "${trial.name}" ALLOW_CONNECTIONS true`));
      restoredAt = performance.now();
      log("  the database is back");
    });
    await trial.drop();
    const after = result.finished
      ? `the run finished ${((result.finishedAt - restoredAt) / 1000).toFixed(0)} s after it came back`
      : "the run did NOT finish";
    figures.push({
      name: "database unreachable mid-run, waited out",
      figure: `${settings.outageSeconds} s`,
      detail:
        `${after}; ${result.retries} shard attempts used by the outage, ${result.failed} shards failed; results ` +
        (result.digest === reference.digest ? "identical to the clean run" : "DIFFERENT from the clean run"),
      ok:
        result.finished && result.retries === 0 && result.failed === 0 && result.digest === reference.digest,
    });
  }
  return figures;
}

/**
 * One run on the database at `url`: a worker process, the run started, `fault` played beside it, and
 * the run awaited (up to the fault's time plus 10 minutes), then its digest.
 */
async function runTrial(
  url: string,
  workspaceId: number,
  asOf: Day,
  log: (text: string) => void,
  cleanups: Cleanup[],
  fault?: (trial: Trial) => Promise<void>,
): Promise<TrialResult> {
  const prefix = uniqueQueuePrefix();
  const queues = openQueues(benchRedisUrl, prefix);
  const env = {
    DATABASE_URL: url,
    REDIS_URL: benchRedisUrl,
    CSS_QUEUE_PREFIX: prefix,
    CSS_SHARD_SIZE: String(SHARD_SIZE),
    CSS_JOB_LOCK_MS: String(LOCK_MS),
    CSS_WORKER_CONCURRENCY: "1",
    CSS_HEALTH_PORT: "0",
  };
  const workers: WorkerProcess[] = [];
  const release = async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await queues.close();
    await deleteQueueKeys(benchRedisUrl, prefix);
  };
  cleanups.push(release);
  try {
    const addWorker = async () => {
      const [w] = await startWorkerProcesses(1, env, () => undefined);
      workers.push(w!);
      return w!;
    };
    await addWorker();
    const db = await openDatabase({ databaseUrl: url, dataDir: "" });
    const t0 = performance.now();
    let started;
    try {
      started = await startRunFlow(db.prisma, queues, {
        workspaceId,
        asOf,
        slot: `chaos-${Date.now()}`,
        trigger: "bench",
        shardSize: SHARD_SIZE,
      });
    } finally {
      await db.close();
    }
    const faultDone = fault?.({ url, queues, workers, addWorker, jobId: started.jobId }) ?? Promise.resolve();
    let faultError: Error | null = null;
    const faulted = faultDone.catch(
      (e: unknown) => (faultError = e instanceof Error ? e : new Error(String(e))),
    );
    const finished = await waitForRun(url, queues, started.runId, faulted);
    await faulted;
    if (faultError) throw faultError as Error;
    const finishedAt = performance.now();
    const seconds = (performance.now() - t0) / 1000;
    const jobs = [
      ...(await queues.queue.recompute.getCompleted(0, -1)),
      ...(await queues.queue.recompute.getFailed(0, -1)),
    ].filter((j) => j.name === "recompute-shard");
    const retries = jobs.reduce((sum, j) => sum + Math.max(0, j.attemptsMade - 1), 0);
    const stalled = jobs.reduce((sum, j) => sum + (j.stalledCounter ?? 0), 0);
    const failed = (await queues.queue.recompute.getFailed(0, -1)).length;
    if (!finished) log(`  the run did not finish; failed jobs: ${failed}`);
    return {
      digest: await digestOf(url, workspaceId, asOf),
      seconds,
      retries,
      stalled,
      failed,
      finished,
      finishedAt,
    };
  } finally {
    cleanups.splice(cleanups.indexOf(release), 1);
    await release();
  }
}

/**
 * Waits for the run's row to say succeeded. False when it failed, when its jobs have come to rest
 * with one failed for good (nothing left to run it), or 10 minutes after `fault` ended.
 */
async function waitForRun(
  url: string,
  queues: Queues,
  runId: bigint,
  fault: Promise<unknown>,
): Promise<boolean> {
  let faultOver: number | null = null;
  void fault.then(() => (faultOver = performance.now()));
  let restingSince: number | null = null;
  for (;;) {
    const status = await admin(
      async (c) =>
        (await c.query<{ status: string }>("SELECT status FROM recompute_runs WHERE id = $1", [runId]))
          .rows[0]?.status,
      url,
    ).catch(() => undefined);
    if (status === "succeeded") return true;
    if (status === "failed") return false;
    const counts = await queues.queue.recompute.getJobCounts("active", "waiting", "delayed", "failed");
    const resting = counts.failed! > 0 && counts.active! + counts.waiting! + counts.delayed! === 0;
    restingSince = resting ? (restingSince ?? performance.now()) : null;
    if (faultOver !== null && restingSince !== null && performance.now() - restingSince > 10_000)
      return false;
    if (faultOver !== null && performance.now() - faultOver > 10 * 60_000) return false;
    await sleep(200);
  }
}

/** The id of the `index`-th shard job to become active (0: the first). */
async function waitForActiveShard(t: Trial, index: number): Promise<string> {
  const seen = new Set<string>();
  for (;;) {
    const active = await t.queues.queue.recompute.getActive();
    for (const j of [...active, ...(await t.queues.queue.recompute.getCompleted(0, -1))]) {
      if (j.name === "recompute-shard" && j.id) seen.add(j.id);
    }
    const now = active.find((j) => j.name === "recompute-shard");
    if (now && seen.size > index) return now.id!;
    await sleep(20);
  }
}

/** The accounts a digest covers (its last part). */
const scored = (digest: string) => digest.split(":").at(-1);

/** Every snapshot and band change of the day, as one md5, so two runs compare exactly. */
async function digestOf(url: string, workspaceId: number, asOf: Day): Promise<string> {
  const day = formatDay(asOf);
  return admin(async (c) => {
    const { rows } = await c.query(
      `SELECT
         (SELECT md5(string_agg(concat_ws('|', a.external_id, s.score, s.band, s.coverage, s.components::text), E'\\n' ORDER BY a.external_id))
            FROM score_snapshots s JOIN accounts a ON a.id = s.account_id
           WHERE s.workspace_id = $1 AND s.as_of = $2::date) AS snapshots,
         (SELECT md5(string_agg(concat_ws('|', a.external_id, b.from_band, b.to_band, b.from_score, b.to_score, b.drivers::text), E'\\n' ORDER BY a.external_id))
            FROM band_changes b JOIN accounts a ON a.id = b.account_id
           WHERE b.workspace_id = $1 AND b.as_of = $2::date) AS changes,
         (SELECT count(*) FROM score_snapshots WHERE workspace_id = $1 AND as_of = $2::date) AS n`,
      [workspaceId, day],
    );
    const r = rows[0] as { snapshots: string | null; changes: string | null; n: string };
    return `${r.snapshots ?? "-"}:${r.changes ?? "-"}:${r.n}`;
  }, url);
}

async function admin<T>(use: (c: pg.Client) => Promise<T>, url = benchServerUrl): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  c.on("error", () => undefined);
  await c.connect();
  try {
    return await use(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
