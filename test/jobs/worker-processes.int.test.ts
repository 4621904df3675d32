// Real `css-bot worker` processes sharing runs: two of them on one run, and one killed with SIGKILL
// in the middle of a shard, whose work another process takes up with an identical result.
import { spawn, type ChildProcess } from "node:child_process";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/env.ts";
import { DEFAULT_MODEL } from "../../src/domain/model/default-model.ts";
import { startWorkerProcess } from "../../src/main/worker-process.ts";
import { silentLogger } from "../../src/log.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { recomputeTick } from "../../src/jobs/definitions/recompute-tick.ts";
import { enqueue } from "../../src/jobs/enqueue.ts";
import { scoreFiles } from "../../src/services/score-files.ts";
import type { PortfolioFiles } from "../../src/demo/write-portfolio.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { importPortfolio, PORTFOLIO_END } from "../support/portfolio.ts";
import { openTestQueues, testRedisUrl, waitFor } from "../support/queues.ts";

const BIN = new URL("../../bin/css-bot.js", import.meta.url).pathname;

interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

describe("worker processes", () => {
  let db: TestDatabase;
  let queues: ReturnType<typeof openTestQueues>;
  let workspaceId: number;
  const children: WorkerProcess[] = [];

  beforeEach(async () => {
    db = await createTestDatabase("postgres");
    queues = openTestQueues();
    workspaceId = (await ensureWorkspace(db.prisma, "acme")).id;
  });
  afterEach(async () => {
    for (const w of children.splice(0)) {
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
      await w.exited;
    }
    await queues.dispose();
    await db.close();
  });

  async function startWorker(env: Record<string, string> = {}): Promise<WorkerProcess> {
    let output = "";
    const child = spawn(process.execPath, [BIN, "worker"], {
      env: {
        PATH: process.env.PATH ?? "",
        DATABASE_URL: db.url!,
        REDIS_URL: testRedisUrl,
        CSS_QUEUE_PREFIX: queues.prefix,
        CSS_WORKER_CONCURRENCY: "1",
        // Two workers on one machine: each its own probe port.
        CSS_HEALTH_PORT: "0",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const w = { child, output: () => output, exited };
    children.push(w);
    await waitFor(
      () => Promise.resolve(output.includes('"worker started"') ? true : undefined),
      60_000,
      `worker start (output: ${output})`,
    );
    return w;
  }

  const succeededRun = () =>
    waitFor(
      async () =>
        (await db.prisma.recomputeRun.findFirst({ where: { workspaceId, status: "succeeded" } })) ??
        undefined,
      90_000,
      "the run",
    );

  /** Every active account has exactly one snapshot for the date, scored as the file scorer scores it. */
  async function expectExactlyOnce(files: PortfolioFiles) {
    const { scores } = await scoreFiles(DEFAULT_MODEL, files, PORTFOLIO_END);
    const active = scores.filter((s) => s.account.status === "active");
    const stored = await db.prisma.scoreSnapshot.findMany({
      where: { workspaceId },
      include: { account: true },
    });
    expect(stored.length).toBe(active.length);
    const byId = new Map(stored.map((s) => [s.account.externalId, s]));
    for (const { account, result } of active) {
      const s = byId.get(account.accountId)!;
      if (result.score === null) expect(s.score).toBeNull();
      else expect(s.score).toBeCloseTo(result.score, 9);
      expect(s.band).toBe(result.band);
    }
    const run = await db.prisma.recomputeRun.findFirstOrThrow({ where: { workspaceId } });
    expect(await db.prisma.recomputeRun.count({ where: { workspaceId } })).toBe(1);
    expect(run.accounts).toBe(active.length);
    expect(run.scored + run.insufficientData).toBe(active.length);
  }

  it("shares one run between two worker processes, with a duplicate enqueue, and stops on SIGTERM", async () => {
    const files = await importPortfolio(db.prisma, workspaceId, { accounts: 120, days: 35 });
    const env = { CSS_SHARD_SIZE: "10" };
    const [a, b] = await Promise.all([startWorker(env), startWorker(env)]);
    const payload = { workspaceId, slot: "20260630T0600Z", asOf: PORTFOLIO_END, trigger: "manual" };
    await enqueue(queues, recomputeTick, payload, "tick-1");
    await enqueue(queues, recomputeTick, payload, "tick-2");
    await succeededRun();
    await expectExactlyOnce(files);

    a.child.kill("SIGTERM");
    b.child.kill("SIGTERM");
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
    expect(a.output()).toContain('"worker stopped"');
  });

  it("takes up the shard of a worker killed with SIGKILL, leaving the same state as a clean run", async () => {
    const files = await importPortfolio(db.prisma, workspaceId, { accounts: 1200, days: 35, seed: 5 });
    const env = { CSS_SHARD_SIZE: "300", CSS_JOB_LOCK_MS: "2000" };
    const first = await startWorker(env);
    await enqueue(
      queues,
      recomputeTick,
      { workspaceId, slot: "20260630T0700Z", asOf: PORTFOLIO_END, trigger: "manual" },
      "tick-kill",
    );
    // Kill it while a shard is in progress.
    const active = await waitFor(
      async () => {
        const jobs = (await queues.queue.recompute.getActive()).filter((j) => j.name === "recompute-shard");
        return jobs.length > 0 ? jobs : undefined;
      },
      60_000,
      "a shard in progress",
    );
    first.child.kill("SIGKILL");
    await first.exited;
    expect(active[0]!.name).toBe("recompute-shard");
    expect(await db.prisma.recomputeRun.count({ where: { workspaceId, status: "succeeded" } })).toBe(0);

    await startWorker(env);
    await succeededRun();
    await expectExactlyOnce(files);
    // The killed shard was found stalled (its lock expired with its worker) and run again to completion.
    const shard = await queues.queue.recompute.getJob(active[0]!.id!);
    expect(shard?.stalledCounter).toBe(1);
    expect(shard?.finishedOn).toBeDefined();
  });

  it("serves health and readiness probes beside the worker (css-bot start)", async () => {
    const config = loadConfig({
      DATABASE_URL: db.url!,
      REDIS_URL: testRedisUrl,
      CSS_QUEUE_PREFIX: queues.prefix,
      PORT: "0",
    });
    const running = await startWorkerProcess(config, silentLogger, { web: true });
    try {
      const get = async (path: string) => {
        const res = await fetch(`http://127.0.0.1:${running.port}${path}`);
        return { status: res.status, body: await res.json() };
      };
      expect(await get("/healthz")).toEqual({ status: 200, body: { ok: true } });
      expect(await get("/readyz")).toEqual({ status: 200, body: { ok: true, database: true, redis: true } });
      expect((await get("/elsewhere")).status).toBe(404);
    } finally {
      await running.stop();
    }
  });

  it("refuses to start without Redis, naming the URL and how to start it", async () => {
    const config = loadConfig({
      DATABASE_URL: db.url!,
      REDIS_URL: "redis://user:secret@127.0.0.1:1",
      CSS_QUEUE_PREFIX: queues.prefix,
    });
    await expect(startWorkerProcess(config, silentLogger)).rejects.toThrow(
      /^cannot reach Redis at redis:\/\/user:\*\*\*@127\.0\.0\.1:1: .*Start it \(e\.g\. `redis-server --daemonize yes`\) or set REDIS_URL\.$/,
    );
  });
});
