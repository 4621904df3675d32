// npm run bench -- slack [--accounts N] [--requests R] [--concurrency C] [--warmup W] [--days D]
//                        [--seed S] [--kinds id,name,...] [--explain] [--keep] [--reuse URL]
//
// `/css <account>` latency on the server at N accounts under concurrent signed requests, beside its
// floor: a Bolt app with the same receiver whose `/css` listener only acks.
//
// 1. A scratch PostgreSQL database, migrated; the default model stored; N accounts with realistic
//    names, domains and ids and D days of snapshots each, generated in SQL
//    (support/slack-portfolio.ts); VACUUM ANALYZE. The workspace is connected to the Slack team the
//    requests come from.
// 2. Two servers, each the real web process on port 0 (support/slack-servers.ts): the real Slack app
//    (createSlackServer, single-workspace mode, its Web API a fake on loopback) and the floor. Each
//    request is timed on the server, from its arrival to the response's last byte. A reply not
//    ready within the ack budget goes to a response URL on loopback, and is timed to its arrival.
// 3. A child process (support/slack-load-child.ts) sends W warm-up requests to each, then R signed
//    `/css <query>` to each, C in flight, the two taking turns by blocks. The queries are drawn
//    (seeded) from the accounts (support/slack-queries.ts). Every reply of the app must be a 200 with
//    an ephemeral card, list of accounts or "no match" (in the ack or, deferred, at the response
//    URL); every reply of the floor an empty 200.
// 4. The search query alone, under EXPLAIN ANALYZE, for one query of each kind (slack-explain.ts).
// Everything it made (database, servers, the plan file) is removed at the end, failure or not.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import pg from "pg";
import { storeModelVersion } from "../src/db/repositories/models.ts";
import { ensureWorkspace } from "../src/db/repositories/workspaces.ts";
import { parseDay } from "../src/domain/dates.ts";
import { DEFAULT_MODEL, DEFAULT_MODEL_SOURCE } from "../src/domain/model/default-model.ts";
import type { Logger } from "../src/log.ts";
import { startFakeSlack } from "../src/sandbox/slack-api.ts";
import { BenchUsageError, parseFlags, wholeNumber } from "./support/args.ts";
import { runChild } from "./support/child-process.ts";
import { benchRedisUrl } from "./support/queue-keys.ts";
import { runWithCleanups, type Cleanup } from "./support/lifecycle.ts";
import type { Database } from "../src/db/client.ts";
import { createScratchDatabase, reuseDatabase } from "./support/scratch-database.ts";
import { explainLookups } from "./support/slack-explain.ts";
import type { LoadPlan, LoadReport, TargetReport } from "./support/slack-load-child.ts";
import { generateSlackPortfolio } from "./support/slack-portfolio.ts";
import { drawQueries, QUERY_KINDS, type Query, type QueryKind } from "./support/slack-queries.ts";
import { answersOf, printResults } from "./support/slack-results.ts";
import {
  startAppServer,
  startFloorServer,
  startResponseRecorder,
  type TimedServer,
} from "./support/slack-servers.ts";

const WORKSPACE = "bench";
const TEAM = "T0BENCH";
const BOT_TOKEN = "xoxb-bench";
const SIGNING_SECRET = "bench-signing-secret-0123456789";
/** The last day of the snapshots. */
const AS_OF = parseDay("2026-11-24")!;
/** Requests per block; the app and the floor take turns block by block. */
const BLOCK = 250;

interface Settings {
  accounts: number;
  requests: number;
  concurrency: number;
  warmup: number;
  days: number;
  seed: number;
  kinds: QueryKind[];
  explain: boolean;
  keep: boolean;
  /** A database an earlier `--keep` run left, used again instead of generating one. */
  reuse: string | null;
}

export async function main(args: string[]): Promise<void> {
  const settings = parseSettings(args);
  await runWithCleanups(log, (cleanups) => run(settings, cleanups));
}

function parseSettings(args: string[]): Settings {
  const flags = parseFlags(
    args,
    ["accounts", "requests", "concurrency", "warmup", "days", "seed", "kinds", "reuse"],
    ["explain", "keep"],
  );
  const concurrency = wholeNumber("concurrency", flags.concurrency, 8);
  if (concurrency > 256) throw new BenchUsageError("--concurrency must be at most 256");
  const days = wholeNumber("days", flags.days, 30);
  if (days > 400) throw new BenchUsageError("--days must be at most 400");
  return {
    accounts: wholeNumber("accounts", flags.accounts, 100_000),
    requests: wholeNumber("requests", flags.requests, 2000),
    concurrency,
    warmup: wholeNumber("warmup", flags.warmup, 100, 0),
    days,
    seed: wholeNumber("seed", flags.seed, 1, 0),
    kinds: queryKinds(flags.kinds),
    explain: flags.explain === true,
    keep: flags.keep === true || flags.reuse !== undefined,
    reuse: flags.reuse ?? null,
  };
}

/** `--kinds name,typo`: the kinds of query to send (all by default), taking turns. */
function queryKinds(text: string | undefined): QueryKind[] {
  if (text === undefined) return [...QUERY_KINDS];
  const kinds = text.split(",").map((k) => k.trim());
  const unknown = kinds.filter((k) => !(QUERY_KINDS as readonly string[]).includes(k));
  if (unknown.length > 0 || kinds.length === 0) {
    throw new BenchUsageError(
      `--kinds takes some of ${QUERY_KINDS.join(", ")} (got ${JSON.stringify(text)})`,
    );
  }
  return [...new Set(kinds)] as QueryKind[];
}

async function run(s: Settings, cleanups: Cleanup[]): Promise<void> {
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
  if (s.reuse) {
    await checkReused(sql, workspace.id, s);
  } else {
    await generate(db, sql, url, workspace.id, s);
  }
  const { rows: accounts } = await sql.query<{ externalId: string; name: string; domain: string | null }>(
    `SELECT external_id AS "externalId", name, domain FROM accounts WHERE workspace_id = $1 ORDER BY id`,
    [workspace.id],
  );
  const drawn = drawQueries(accounts, s.warmup + s.requests, s.seed, s.kinds);
  const warmup = drawn.slice(0, s.warmup);
  const queries = drawn.slice(s.warmup);
  log(`queries (seed ${s.seed}), e.g.: ${s.kinds.map((k) => exampleOf(queries, k)).join(", ")}`);

  const fake = await startFakeSlack({
    tokens: [BOT_TOKEN],
    teams: { [BOT_TOKEN]: { teamId: TEAM, botUserId: "UBENCHBOT", teamName: "Bench" } },
  });
  cleanups.push(() => fake.close());
  // Connected only if something uses it: the `/css` lookup does not (no Web API call, no pacing).
  const redis = new Redis(benchRedisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  cleanups.push(() => Promise.resolve(redis.disconnect()));
  const appLog = loggerCounting("app");
  const settings = {
    prisma: db.prisma,
    sql: db.sql,
    redis,
    signingSecret: SIGNING_SECRET,
    botToken: BOT_TOKEN,
    apiUrl: fake.apiUrl,
    workspace: WORKSPACE,
  };
  const app = await startAppServer({ ...settings, log: appLog.logger });
  cleanups.push(() => app.close());
  const floor = await startFloorServer({ ...settings, log: appLog.logger });
  cleanups.push(() => floor.close());
  const recorder = await startResponseRecorder();
  cleanups.push(() => recorder.close());

  const dir = await mkdtemp(join(os.tmpdir(), "css-bench-slack-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const plan: LoadPlan = {
    targets: [
      { name: "app", url: app.eventsUrl, expect: "reply" },
      { name: "floor", url: floor.eventsUrl, expect: "empty" },
    ],
    warmup,
    queries,
    concurrency: s.concurrency,
    block: BLOCK,
    signingSecret: SIGNING_SECRET,
    teamId: TEAM,
    responseUrlPrefix: recorder.prefix,
  };
  const planFile = join(dir, "plan.json");
  await writeFile(planFile, JSON.stringify(plan));
  log(
    `sending ${s.warmup} warm-up then ${s.requests} measured requests to each server, ${s.concurrency} in ` +
      `flight, in turns of ${BLOCK} (load average before: ${loadAverage()})`,
  );
  const load = await runChild<LoadReport>(new URL("./support/slack-load-child.ts", import.meta.url), [
    planFile,
  ]);
  log(`  done (load average after: ${loadAverage()}); the app logged ${appLog.count()} warning(s)/error(s)`);
  const [appLoad, floorLoad] = load.targets as [TargetReport, TargetReport];
  const problems = [
    ...problemsOf("app", appLoad, app, s.requests),
    ...problemsOf("floor", floorLoad, floor, s.requests),
  ];
  const answers = await answersOf(app, recorder, queries, appLoad, log);
  problems.push(...answers.problems);

  const plans = await explainLookups(db, workspace.id, queries);
  printResults(s, { app: [appLoad, app], floor: [floorLoad, floor] }, queries, answers, plans);
  // The figures are printed either way: they say how bad it was.
  if (problems.length > 0) throw new Error(`the benchmark failed:\n${problems.join("\n")}`);
}

async function generate(
  db: Database,
  sql: pg.Client,
  url: string,
  workspaceId: number,
  s: Settings,
): Promise<void> {
  await db.prisma.workspace.update({ where: { id: workspaceId }, data: { slackTeamId: TEAM } });
  const model = await storeModelVersion(db.prisma, workspaceId, DEFAULT_MODEL, DEFAULT_MODEL_SOURCE, "bench");
  log(`generating ${s.accounts} accounts × ${s.days} days of snapshots (default model) in SQL:`);
  const generated = await generateSlackPortfolio(
    url,
    { workspaceId, accounts: s.accounts, days: s.days, asOf: AS_OF, model: DEFAULT_MODEL, modelId: model.id },
    log,
  );
  const seconds = generated.steps.reduce((sum, [, t]) => sum + t, 0);
  log(
    `  ${generated.snapshots} snapshots (${(generated.snapshotBytes / 2 ** 30).toFixed(2)} GiB with indexes) ` +
      `in ${seconds.toFixed(0)} s`,
  );
  if (generated.snapshots !== s.accounts * s.days) {
    throw new Error(`generated ${generated.snapshots} snapshots, expected ${s.accounts * s.days}`);
  }
}

/** The reused database must hold what this run would have generated. */
async function checkReused(sql: pg.Client, workspaceId: number, s: Settings): Promise<void> {
  const { rows } = await sql.query<{ accounts: number; snapshots: number }>(
    `SELECT (SELECT count(*)::int FROM accounts WHERE workspace_id = $1) AS accounts,
            (SELECT count(*)::int FROM score_snapshots WHERE workspace_id = $1) AS snapshots`,
    [workspaceId],
  );
  const found = rows[0]!;
  if (found.accounts !== s.accounts || found.snapshots !== s.accounts * s.days) {
    throw new BenchUsageError(
      `--reuse: the database holds ${found.accounts} accounts and ${found.snapshots} snapshots, ` +
        `not the ${s.accounts} × ${s.days} days asked for (give the --accounts and --days of the run that kept it)`,
    );
  }
  log(`reusing ${found.accounts} accounts × ${s.days} days of snapshots`);
}

function exampleOf(queries: readonly Query[], kind: Query["kind"]): string {
  return `${kind} ${JSON.stringify(queries.find((q) => q.kind === kind)?.text ?? "")}`;
}

/** What went wrong: replies not as expected, requests not timed once each on the server. */
function problemsOf(name: string, load: TargetReport, server: TimedServer, requests: number): string[] {
  const problems: string[] = [];
  const wrong = load.outcomes.filter((o) => o === "failed" || o === "timeout").length;
  if (wrong > 0) {
    problems.push(
      `${wrong} of ${requests} replies of the ${name} were wrong, e.g.:\n${load.failures.join("\n")}`,
    );
  }
  if (server.samples.length !== requests) {
    problems.push(`the ${name} server timed ${server.samples.length} requests, not ${requests}`);
  }
  return problems;
}

/** Logs the app's warnings and errors (the first few) and counts them; drops the rest. */
function loggerCounting(name: string): { logger: Logger; count(): number } {
  let count = 0;
  const note = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    if (++count <= 5) log(`  ${name} ${level}: ${msg} ${fields ? JSON.stringify(fields) : ""}`);
  };
  return {
    logger: { debug: () => undefined, info: () => undefined, warn: note("warn"), error: note("error") },
    count: () => count,
  };
}

async function describeMachine(sql: pg.Client): Promise<void> {
  const { rows } = await sql.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
  log(
    `machine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ` +
      `Node ${process.versions.node}, PostgreSQL ${rows[0]?.v ?? "?"}`,
  );
}

const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

const log = (text: string) => process.stderr.write(`${text}\n`);
