// npm run bench -- ingest-flood [--clients C] [--records R] [--seconds S] [--accounts A] [--days D]
//                               [--probes P] [--gap-ms G] [--part flood|recompute|both]
//                               [--api-concurrency N]
//
// Does Slack get its answers on time while the ingest API is flooded, or a recompute runs? Slack
// shows the user an error when a slash command is not acked within 3 s.
// 1. A scratch PostgreSQL database, migrated; the "bench" workspace bound to the bench's Slack team,
//    A accounts × 10 metrics × D days (support/synthetic-portfolio.ts) under the bench model, its
//    scheduled recomputes off; an API key.
// 2. The real process, `css-bot start` (web process, ingest API and worker in one), in one-workspace
//    mode, its Slack Web API the fake on loopback, on a queue prefix of its own (CSS_API_CONCURRENCY
//    from --api-concurrency when given, to measure other settings).
// 3. `/css <account id>` timed as a user sees it (support/css-prober.ts), one at a time, G ms apart:
//    - recompute: while a run of the A accounts goes through the same process's worker;
//    - idle: P probes once the jobs the run queued are done, with nothing else running (the baseline);
//    - flood: while C clients (support/flood-child.ts, a process of its own) POST R accounts each
//      (every field at its longest: ~13 MiB of valid JSON) to /api/v1/accounts for S seconds, each
//      waiting Retry-After on a 503.
// 4. Prints p50, p99 and max of the answer in each phase, and their ratios to idle; the ingest
//    throughput. Fails (after printing) when a probe got no card or the flood got anything but 200
//    and 503.
// Everything it made (database, process, Redis keys, plan file) is removed at the end, failure or not.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { quantile } from "simple-statistics";
import { table } from "../src/cli/output/format.ts";
import { storeModelVersion } from "../src/db/repositories/models.ts";
import { ensureWorkspace } from "../src/db/repositories/workspaces.ts";
import { parseDay, type Day } from "../src/domain/dates.ts";
import { parseModel } from "../src/domain/model/parse-model.ts";
import type { PrismaClient } from "../src/generated/prisma/client.ts";
import { openQueues, type Queues } from "../src/jobs/queues.ts";
import { startRunFlow } from "../src/jobs/run-flow.ts";
import { createApiKey } from "../src/services/api-keys.ts";
import { startFakeSlack } from "../src/sandbox/slack-api.ts";
import { freePort } from "../test/support/processes.ts";
import { oneOf, parseFlags, wholeNumber } from "./support/args.ts";
import { runChild } from "./support/child-process.ts";
import { probeCss, type Probe, type ProberSettings } from "./support/css-prober.ts";
import type { FloodPlan, FloodReport } from "./support/flood-child.ts";
import { runWithCleanups, type Cleanup } from "./support/lifecycle.ts";
import { benchRedisUrl, deleteQueueKeys, uniqueQueuePrefix } from "./support/queue-keys.ts";
import { createScratchDatabase } from "./support/scratch-database.ts";
import { startResponseRecorder } from "./support/slack-servers.ts";
import { benchModelSource, generatePortfolio } from "./support/synthetic-portfolio.ts";
import { startWorkerProcesses } from "./support/worker-processes.ts";

const WORKSPACE = "bench";
const TEAM = "T0FLOOD";
const BOT_TOKEN = "xoxb-flood";
const SIGNING_SECRET = "flood-signing-secret-0123456789";
const AS_OF: Day = parseDay("2026-11-24")!;
/** Never fires (29 February at midnight, checked every four years): the bench starts its own run. */
const NEVER = "0 0 29 2 *";
/** Slack shows an error when a command is not acked within this. */
const SLACK_MS = 3000;
/** The target: an answer within a third of Slack's limit. */
const TARGET_P99_MS = 1000;
/** Probes not measured, before the first phase (connections, prepared statements, JIT). */
const WARMUP = 20;

export interface FloodSettings {
  clients: number;
  records: number;
  seconds: number;
  accounts: number;
  days: number;
  probes: number;
  gapMs: number;
  part: "flood" | "recompute" | "both";
  apiConcurrency: string | undefined;
}

export interface Phase {
  name: string;
  probes: Probe[];
  note: string;
}

export async function main(args: string[]): Promise<void> {
  const flags = parseFlags(args, [
    "clients",
    "records",
    "seconds",
    "accounts",
    "days",
    "probes",
    "gap-ms",
    "part",
    "api-concurrency",
  ]);
  const s: FloodSettings = {
    clients: wholeNumber("clients", flags.clients, 32),
    records: Math.min(10_000, wholeNumber("records", flags.records, 10_000)),
    seconds: wholeNumber("seconds", flags.seconds, 30),
    accounts: wholeNumber("accounts", flags.accounts, 100_000),
    days: wholeNumber("days", flags.days, 7),
    probes: wholeNumber("probes", flags.probes, 100),
    gapMs: wholeNumber("gap-ms", flags["gap-ms"], 100, 0),
    part: oneOf("part", flags.part, ["flood", "recompute", "both"], "both"),
    apiConcurrency:
      flags["api-concurrency"] && String(wholeNumber("api-concurrency", flags["api-concurrency"], 2)),
  };
  log(
    `machine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.versions.node}`,
  );
  await runWithCleanups(log, async (cleanups) => {
    const { phases, flood } = await measureFlood(s, cleanups);
    printResults(s, phases, flood);
  });
}

/** The phases' /css probes and the flood's report (the chaos suite takes its figure from here). */
export async function measureFlood(
  s: FloodSettings,
  cleanups: Cleanup[],
): Promise<{ phases: Phase[]; flood: FloodReport | null }> {
  const scratch = await createScratchDatabase("postgres");
  cleanups.push(() => scratch.drop());
  const url = scratch.config.databaseUrl!;
  const db = await scratch.open();
  cleanups.push(() => db.close());
  const workspace = await ensureWorkspace(db.prisma, WORKSPACE);
  await db.prisma.workspace.update({
    where: { id: workspace.id },
    data: { slackTeamId: TEAM, settings: { recompute_cron: NEVER } },
  });
  log(`generating ${s.accounts} accounts × 10 metrics × ${s.days} days in SQL:`);
  await generatePortfolio(
    url,
    { workspaceId: workspace.id, accounts: s.accounts, days: s.days, asOf: AS_OF },
    log,
  );
  const source = benchModelSource();
  await storeModelVersion(db.prisma, workspace.id, parseModel(source, "bench model"), source, "bench");
  const { key } = await createApiKey(db.prisma, workspace.id, "flood", "bench");

  const fake = await startFakeSlack({
    tokens: [BOT_TOKEN],
    teams: { [BOT_TOKEN]: { teamId: TEAM, botUserId: "UFLOODBOT", teamName: "Flood" } },
  });
  cleanups.push(() => fake.close());
  const recorder = await startResponseRecorder();
  cleanups.push(() => recorder.close());
  const prefix = uniqueQueuePrefix();
  cleanups.push(() => deleteQueueKeys(benchRedisUrl, prefix));
  const port = await freePort();
  log(`starting css-bot start on port ${port}, queue prefix ${prefix}`);
  const [bot] = await startWorkerProcesses(
    1,
    {
      DATABASE_URL: url,
      REDIS_URL: benchRedisUrl,
      CSS_QUEUE_PREFIX: prefix,
      CSS_WORKSPACE: WORKSPACE,
      PORT: String(port),
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: fake.apiUrl,
      ...(s.apiConcurrency ? { CSS_API_CONCURRENCY: s.apiConcurrency } : {}),
    },
    log,
    120_000,
    "start",
  );
  cleanups.push(() => bot!.stop());
  const base = `http://127.0.0.1:${port}`;
  await waitForSlack(base);

  const prober: ProberSettings = {
    eventsUrl: `${base}/slack/events`,
    signingSecret: SIGNING_SECRET,
    teamId: TEAM,
    recorder,
    queries: accountIds(s.accounts, 500),
    gapMs: s.gapMs,
  };
  await probeCss(prober, "warmup", { count: WARMUP });
  const phases: Phase[] = [];
  if (s.part !== "flood") phases.push(await duringRecompute(s, db.prisma, workspace.id, prefix, prober));
  phases.push({
    name: "idle",
    probes: await probeCss(prober, "idle", { count: s.probes }),
    note: "nothing else",
  });
  let flood: FloodReport | null = null;
  if (s.part !== "recompute") {
    const during = await duringFlood(s, `${base}/api/v1/accounts`, key, prober, cleanups);
    flood = during.report;
    phases.push(during.phase);
  }
  return { phases, flood };
}

/** Probes while the process's worker recomputes the portfolio; the run is started on its queue. */
async function duringRecompute(
  s: FloodSettings,
  prisma: PrismaClient,
  workspaceId: number,
  prefix: string,
  prober: ProberSettings,
): Promise<Phase> {
  const queues = openQueues(benchRedisUrl, prefix);
  try {
    log(`recomputing ${s.accounts} accounts in the process's worker, probing /css meanwhile`);
    const t0 = performance.now();
    const run = await startRunFlow(prisma, queues, {
      workspaceId,
      asOf: AS_OF,
      slot: `flood-${Date.now()}`,
      trigger: "bench",
    });
    let status = "queued";
    let error: string | null = null;
    const poll = (async () => {
      while (status !== "succeeded" && status !== "failed") {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const row = await prisma.recomputeRun.findUniqueOrThrow({ where: { id: run.runId } });
        status = row.status;
        error = row.error;
      }
    })();
    const probes = await probeCss(prober, "recompute", {
      until: () => status === "succeeded" || status === "failed",
    });
    await poll;
    const seconds = (performance.now() - t0) / 1000;
    if (status !== "succeeded") throw new Error(`the recompute run failed: ${error}`);
    log(`  the run took ${seconds.toFixed(1)} s (${run.shards} shards)`);
    await waitForQueues(queues);
    return { name: "recompute", probes, note: `a run of ${s.accounts} accounts, ${seconds.toFixed(1)} s` };
  } finally {
    await queues.close();
  }
}

async function duringFlood(
  s: FloodSettings,
  url: string,
  key: string,
  prober: ProberSettings,
  cleanups: Cleanup[],
): Promise<{ phase: Phase; report: FloodReport }> {
  const dir = await mkdtemp(join(os.tmpdir(), "css-bench-flood-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  // Time for the child to build its bodies, then the flood; the probes start a second into it, when
  // every client has a request in flight.
  const startAt = Date.now() + 8000;
  const plan: FloodPlan = {
    url,
    key,
    clients: s.clients,
    records: s.records,
    startAt,
    endAt: startAt + s.seconds * 1000,
  };
  const planFile = join(dir, "plan.json");
  await writeFile(planFile, JSON.stringify(plan));
  log(`flooding the ingest API: ${s.clients} clients × ${s.records} accounts a request for ${s.seconds} s`);
  const child = runChild<FloodReport>(new URL("./support/flood-child.ts", import.meta.url), [planFile]);
  await new Promise((resolve) => setTimeout(resolve, startAt + 1000 - Date.now()));
  const probes = await probeCss(prober, "flood", { until: () => Date.now() >= plan.endAt });
  const report = await child;
  log(`  done: ${JSON.stringify(report.statuses)}`);
  const mib = (report.bodyBytes / 2 ** 20).toFixed(1);
  return {
    phase: { name: "flood", probes, note: `${s.clients} × ${mib} MiB bodies` },
    report,
  };
}

function printResults(s: FloodSettings, phases: Phase[], flood: FloodReport | null): void {
  const idle = phases.find((p) => p.name === "idle")!;
  const idleP99 = quantile(
    idle.probes.map((p) => p.ms),
    0.99,
  );
  const problems: string[] = [];
  const rows = phases.map((phase) => {
    const ms = phase.probes.map((p) => p.ms);
    const p99 = quantile(ms, 0.99);
    const late = phase.probes.filter((p) => p.ackMs > SLACK_MS || p.outcome === "timeout").length;
    const deferred = phase.probes.filter((p) => p.ackMs < p.ms - 1).length;
    for (const p of phase.probes.filter((p) => p.outcome !== "card").slice(0, 3))
      problems.push(`${phase.name}: a probe got ${p.outcome}: ${p.failure ?? ""}`);
    return [
      phase.name,
      String(phase.probes.length),
      quantile(ms, 0.5).toFixed(0),
      p99.toFixed(0),
      Math.max(...ms).toFixed(0),
      (p99 / idleP99).toFixed(1),
      String(deferred),
      String(late),
      phase.note,
    ];
  });
  process.stdout.write(
    table(
      [
        "phase",
        "probes",
        "/css p50 ms",
        "p99 ms",
        "max ms",
        "p99 / idle",
        "deferred",
        "acked > 3 s",
        "meanwhile",
      ],
      rows,
    ) + "\n",
  );
  if (flood) {
    const ok = flood.statuses["200"] ?? 0;
    process.stdout.write(
      `ingest during the flood: ${flood.accepted.toLocaleString("en-US")} records in ${flood.seconds.toFixed(1)} s ` +
        `(${Math.round(flood.accepted / flood.seconds).toLocaleString("en-US")} records/s, ` +
        `${((ok * flood.bodyBytes) / 2 ** 20 / flood.seconds).toFixed(1)} MiB/s); replies ${JSON.stringify(flood.statuses)}; ` +
        `200s p50 ${ok ? quantile(flood.okMs, 0.5).toFixed(0) : "–"} ms, p99 ${ok ? quantile(flood.okMs, 0.99).toFixed(0) : "–"} ms\n`,
    );
    problems.push(...flood.failures);
    if (ok === 0) problems.push("the flood got no 200");
    const p99 = quantile(
      phases.find((p) => p.name === "flood")!.probes.map((p) => p.ms),
      0.99,
    );
    process.stdout.write(
      `Target /css p99 under the flood < ${TARGET_P99_MS} ms: ${p99 < TARGET_P99_MS ? "met" : "NOT met"} (${p99.toFixed(0)} ms, ${s.clients} clients).\n`,
    );
  }
  if (problems.length > 0) throw new Error(`the benchmark failed:\n${problems.join("\n")}`);
}

/**
 * Waits until no job is queued or running: the jobs a run leaves behind (notify-band-changes, which
 * opens the cases of the accounts at risk and posts their threads) would otherwise run during idle.
 */
async function waitForQueues(queues: Queues): Promise<void> {
  const t0 = performance.now();
  for (;;) {
    const counts = await Promise.all(
      Object.values(queues.queue).map((q) =>
        q.getJobCounts("waiting", "active", "prioritized", "waiting-children"),
      ),
    );
    if (counts.every((c) => Object.values(c).every((n) => n === 0))) break;
    if (performance.now() - t0 > 300_000)
      throw new Error("the queues were not empty within 5 minutes of the run");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  log(`  the jobs it queued were done ${((performance.now() - t0) / 1000).toFixed(1)} s later`);
}

/** Waits until /readyz says the process has checked the bot token (Slack bound to the workspace). */
async function waitForSlack(base: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const body = (await fetch(`${base}/readyz`).then((r) => r.json())) as { slack?: { ok?: boolean } };
    if (body.slack?.ok === true) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("the process did not report Slack ready within 60 s");
}

/** `count` account ids of the portfolio, spread over it (a fixed stride, so every run asks the same). */
function accountIds(accounts: number, count: number): string[] {
  return Array.from({ length: Math.min(count, accounts) }, (_, i) => {
    const n = 1 + ((i * 7919) % accounts);
    return `acc-${String(n).padStart(7, "0")}`;
  });
}

const log = (text: string) => process.stderr.write(`${text}\n`);
