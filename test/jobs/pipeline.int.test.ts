// The recompute pipeline on the real Redis and PostgreSQL: schedules, flows, retries, exactly-once.
import { UnrecoverableError, type Job } from "bullmq";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { DEFAULT_MODEL, DEFAULT_MODEL_SOURCE } from "../../src/domain/model/default-model.ts";
import { parseModel } from "../../src/domain/model/parse-model.ts";
import { storeModelVersion } from "../../src/db/repositories/models.ts";
import { planRun } from "../../src/services/recompute.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { defineJob, jobOptions } from "../../src/jobs/define-job.ts";
import { recomputeShard } from "../../src/jobs/definitions/recompute-shard.ts";
import { recomputeTick } from "../../src/jobs/definitions/recompute-tick.ts";
import { enqueue } from "../../src/jobs/enqueue.ts";
import { JOBS } from "../../src/jobs/registry.ts";
import { startRunFlow } from "../../src/jobs/run-flow.ts";
import {
  recomputeSchedulerId,
  ROLLUPS_PATTERN,
  rollupsSchedulerId,
  syncSchedules,
  upsertRecomputeSchedule,
} from "../../src/jobs/schedules.ts";
import type { startWorkers, Workers } from "../../src/jobs/worker.ts";
import { scoreFiles } from "../../src/services/score-files.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { importPortfolio, PORTFOLIO_END } from "../support/portfolio.ts";
import { openTestQueues, waitFor } from "../support/queues.ts";
import { startTestWorkers } from "../support/workers.ts";

describe("recompute pipeline", () => {
  let db: TestDatabase;
  let queues: ReturnType<typeof openTestQueues>;
  let workers: Workers | undefined;
  let workspaceId: number;

  beforeEach(async () => {
    db = await createTestDatabase("postgres");
    queues = openTestQueues();
    workspaceId = (await ensureWorkspace(db.prisma, "acme")).id;
  });
  afterEach(async () => {
    await workers?.close();
    workers = undefined;
    await queues.dispose();
    await db.close();
  });

  const work = (extra: Parameters<typeof startWorkers>[0]["jobs"] = []) => {
    workers = startTestWorkers({ db, queues, shardSize: 10, jobs: [...JOBS, ...extra] }).workers;
  };
  const finishedRun = (where: { trigger?: string } = {}) =>
    waitFor(
      async () =>
        (await db.prisma.recomputeRun.findFirst({
          where: { workspaceId, status: { in: ["succeeded", "failed"] }, ...where },
        })) ?? undefined,
      30_000,
      "a finished run",
    );

  it("runs a slot once however often it is enqueued, and scores as the file scorer does", async () => {
    const files = await importPortfolio(db.prisma, workspaceId, { accounts: 45 });
    const payload = { workspaceId, slot: "20260630T0900Z", asOf: PORTFOLIO_END, trigger: "manual" };
    await enqueue(queues, recomputeTick, payload, "tick-a");
    await enqueue(queues, recomputeTick, payload, "tick-b"); // a second enqueue of the same slot
    await startRunFlow(db.prisma, queues, {
      workspaceId,
      asOf: PORTFOLIO_END,
      slot: payload.slot,
      trigger: "manual",
      shardSize: 10,
    });
    work();
    const run = await finishedRun();
    expect(run.status).toBe("succeeded");
    await new Promise((r) => setTimeout(r, 500)); // let any duplicate that slipped through show itself

    const active = await db.prisma.account.count({ where: { workspaceId, status: "active" } });
    expect(await db.prisma.recomputeRun.count({ where: { workspaceId } })).toBe(1);
    expect(run.shards).toBe(Math.ceil(active / 10));
    expect(run).toMatchObject({ accounts: active });
    expect(await db.prisma.scoreSnapshot.count({ where: { workspaceId } })).toBe(active);
    const shardJobs = (await queues.queue.recompute.getCompleted()).filter(
      (j) => j.name === recomputeShard.name,
    );
    expect(shardJobs.length).toBe(run.shards); // each shard ran once

    const { scores } = await scoreFiles(DEFAULT_MODEL, files, PORTFOLIO_END);
    const stored = new Map(
      (await db.prisma.scoreSnapshot.findMany({ where: { workspaceId }, include: { account: true } })).map(
        (s) => [s.account.externalId, s],
      ),
    );
    for (const { account, result } of scores.filter((s) => s.account.status === "active")) {
      const s = stored.get(account.accountId)!;
      if (result.score === null) expect(s.score).toBeNull();
      else expect(s.score).toBeCloseTo(result.score, 9);
      expect(s.band).toBe(result.band);
    }
  });

  it("runs a schedule's fire that came while no worker was up once a worker starts", async () => {
    await importPortfolio(db.prisma, workspaceId, { accounts: 12 });
    // Every 2 seconds (tests may use a 6-field pattern; workspace settings take 5 fields).
    await upsertRecomputeSchedule(queues, workspaceId, { pattern: "*/2 * * * * *", tz: "Europe/Paris" });
    await new Promise((r) => setTimeout(r, 3000));
    expect(await db.prisma.recomputeRun.count()).toBe(0); // due, but nobody to run it
    const workerStart = Date.now();
    work();
    const run = await finishedRun({ trigger: "schedule" });
    expect(run.status).toBe("succeeded");
    // The run is for the slot that was due before the worker started, not a new one.
    const slotTime = Date.parse(
      run.slot.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)Z$/, "$1-$2-$3T$4:$5:00Z"),
    );
    expect(slotTime).toBeLessThanOrEqual(workerStart);
  });

  it("moves a schedule when the settings change, keeping one scheduler per workspace", async () => {
    await upsertRecomputeSchedule(queues, workspaceId, { pattern: "0 * * * *", tz: "UTC" });
    await db.prisma.workspace.update({
      where: { id: workspaceId },
      data: { settings: { timezone: "America/New_York", recompute_cron: "30 6 * * 1-5" } },
    });
    const other = await ensureWorkspace(db.prisma, "globex");
    expect(await syncSchedules(db.prisma, queues)).toBe(2);

    const scheduler = await queues.queue.recompute.getJobScheduler(recomputeSchedulerId(workspaceId));
    expect(scheduler).toMatchObject({ pattern: "30 6 * * 1-5", tz: "America/New_York" });
    // The next fire is a weekday at 06:30 in New York.
    const next = new Date(scheduler!.next!);
    const local = new Intl.DateTimeFormat("en-US", {
      timeZone: "America/New_York",
      hour: "2-digit",
      minute: "2-digit",
      weekday: "short",
      hour12: false,
    }).format(next);
    expect(local).toMatch(/^(Mon|Tue|Wed|Thu|Fri) 06:30$/);
    // The rollups are brought up to date every few minutes on the sync queue.
    expect(await queues.queue.sync.getJobScheduler(rollupsSchedulerId(workspaceId))).toMatchObject({
      pattern: ROLLUPS_PATTERN,
      tz: "America/New_York",
    });
    const delayed = (await queues.queue.recompute.getDelayed()).filter(
      (j) => j.data && (j.data as { workspaceId: number }).workspaceId === workspaceId,
    );
    expect(delayed).toHaveLength(1);

    // A deleted workspace's schedule goes.
    await db.prisma.workspace.update({ where: { id: other.id }, data: { deletedAt: new Date() } });
    await syncSchedules(db.prisma, queues);
    expect(await queues.queue.recompute.getJobScheduler(recomputeSchedulerId(other.id))).toBeUndefined();
    expect(await queues.queue.sync.getJobScheduler(rollupsSchedulerId(other.id))).toBeUndefined();
  });

  it("retries transient faults with backoff, and fails permanent ones at once", async () => {
    let calls = 0;
    const flaky = defineJob({
      name: "test-flaky",
      queue: "sync",
      payload: z.object({ failures: z.number() }),
      attempts: 5,
      backoffMs: 20,
      handler: (p) => {
        calls++;
        return calls <= p.failures
          ? Promise.reject(new Error(`transient fault ${calls}`))
          : Promise.resolve("ok");
      },
    });
    const permanent = defineJob({
      name: "test-permanent",
      queue: "sync",
      payload: z.object({}),
      attempts: 5,
      backoffMs: 20,
      handler: () => Promise.reject(new UnrecoverableError("the credentials were revoked")),
    });
    work([flaky, permanent]);
    const jobState = async (id: string) => {
      const job = await queues.queue.sync.getJob(id);
      return job && (job.finishedOn ? job : undefined);
    };
    await enqueue(queues, flaky, { failures: 2 }, "flaky-1");
    const done = (await waitFor(() => jobState("flaky-1"), 15_000, "flaky job")) as Job;
    expect(done.returnvalue).toBe("ok");
    expect(done.attemptsMade).toBe(3);

    await enqueue(queues, permanent, {}, "permanent-1");
    const failed = (await waitFor(() => jobState("permanent-1"), 15_000, "permanent job")) as Job;
    expect(failed.failedReason).toBe("the credentials were revoked");
    expect(failed.attemptsMade).toBe(1);

    // An invalid payload and a deleted workspace are permanent too.
    await queues.queue.recompute.add(
      recomputeShard.name,
      { workspaceId: "x" },
      { ...jobOptions(recomputeShard, "bad-shard") },
    );
    const invalid = (await waitFor(async () => {
      const job = await queues.queue.recompute.getJob("bad-shard");
      return job?.finishedOn ? job : undefined;
    })) as Job;
    expect(invalid.failedReason).toMatch(/^invalid recompute-shard payload: workspaceId: /);
    expect(invalid.attemptsMade).toBe(1);

    await enqueue(
      queues,
      recomputeTick,
      { workspaceId: 999_999, trigger: "manual", slot: "x1", asOf: PORTFOLIO_END },
      "tick-gone",
    );
    const gone = (await waitFor(async () => {
      const job = await queues.queue.recompute.getJob("tick-gone");
      return job?.finishedOn ? job : undefined;
    })) as Job;
    expect(gone.failedReason).toBe("workspace 999999 no longer exists");
    expect(gone.attemptsMade).toBe(1);
  });

  it("records one account's failure in the run without failing the shard", async () => {
    await importPortfolio(db.prisma, workspaceId, { accounts: 8 });
    await startRunFlow(db.prisma, queues, {
      workspaceId,
      asOf: PORTFOLIO_END - 1,
      slot: "day1",
      trigger: "manual",
      shardSize: 10,
    });
    work();
    await finishedRun();
    // Corrupt one account's stored history: its components are no longer a list.
    const victim = await db.prisma.scoreSnapshot.findFirstOrThrow({
      where: { workspaceId },
      include: { account: true },
      orderBy: { accountId: "asc" },
    });
    await db.prisma.scoreSnapshot.update({
      where: { accountId_asOf: { accountId: victim.accountId, asOf: victim.asOf } },
      data: { components: { broken: true }, band: "healthy" === victim.band ? "caution" : "healthy" },
    });
    await startRunFlow(db.prisma, queues, {
      workspaceId,
      asOf: PORTFOLIO_END,
      slot: "day2",
      trigger: "manual",
      shardSize: 10,
    });
    const run = await waitFor(async () => {
      const r = await db.prisma.recomputeRun.findFirst({
        where: { workspaceId, slot: "day2", status: "succeeded" },
      });
      return r ?? undefined;
    });
    expect(run.errors).toEqual([
      { account_id: victim.account.externalId, error: expect.any(String) as string },
    ]);
    expect(run.scored + run.insufficientData).toBe(run.accounts - 1);
  });

  it("closes a run for a workspace with no accounts at once", async () => {
    const started = await startRunFlow(db.prisma, queues, {
      workspaceId,
      asOf: PORTFOLIO_END,
      slot: "empty",
      trigger: "manual",
    });
    expect(started).toMatchObject({ shards: 0, started: true });
    const run = await db.prisma.recomputeRun.findFirstOrThrow({ where: { workspaceId, slot: "empty" } });
    expect(run).toMatchObject({ status: "succeeded", accounts: 0, shards: 0 });
    // A second start of the same slot does nothing.
    expect(
      (
        await startRunFlow(db.prisma, queues, {
          workspaceId,
          asOf: PORTFOLIO_END,
          slot: "empty",
          trigger: "manual",
        })
      ).started,
    ).toBe(false);
  });

  it("survives a model change that leaves a component without data, saying which data disappeared", async () => {
    await importPortfolio(db.prisma, workspaceId, { accounts: 20 });
    work();
    await startRunFlow(db.prisma, queues, {
      workspaceId,
      asOf: PORTFOLIO_END - 1,
      slot: "before",
      trigger: "manual",
      shardSize: 10,
    });
    await waitFor(
      async () =>
        (await db.prisma.recomputeRun.findFirst({ where: { slot: "before", status: "succeeded" } })) ??
        undefined,
    );
    // The new model reads usage from a metric no account reports.
    const source = DEFAULT_MODEL_SOURCE.replace(
      "metric: weekly_active_ratio",
      "metric: weekly_active_users_v2",
    );
    await storeModelVersion(db.prisma, workspaceId, parseModel(source), source, "test");
    await startRunFlow(db.prisma, queues, {
      workspaceId,
      asOf: PORTFOLIO_END,
      slot: "after",
      trigger: "manual",
      shardSize: 10,
    });
    const run = await waitFor(
      async () =>
        (await db.prisma.recomputeRun.findFirst({ where: { slot: "after", status: "succeeded" } })) ??
        undefined,
    );
    expect(run.errors).toEqual([]);
    const snapshots = await db.prisma.scoreSnapshot.findMany({
      where: { workspaceId, asOf: new Date(PORTFOLIO_END * 86_400_000) },
    });
    expect(snapshots.length).toBe(run.accounts);
    for (const s of snapshots) {
      const usage = (s.components as { key: string; raw: number | null; weight: number }[]).find(
        (c) => c.key === "usage",
      )!;
      expect(usage).toMatchObject({ raw: null, weight: 0 });
      // Usage was 40 of 100 weight (30 of 90 for enterprise accounts): coverage is at most 60/100 or 60/90.
      expect(s.coverage).toBeLessThanOrEqual(60 / 90 + 1e-9);
    }
    const changes = await db.prisma.bandChange.findMany({
      where: { workspaceId, asOf: new Date(PORTFOLIO_END * 86_400_000) },
    });
    for (const c of changes) {
      expect((c.drivers as { key: string; change: string }[]).find((d) => d.key === "usage")?.change).toBe(
        "disappeared",
      );
    }
  });

  it("closes a run as failed when one of its shards fails for good", async () => {
    await importPortfolio(db.prisma, workspaceId, { accounts: 5 });
    const plan = await planRun(db.prisma, workspaceId, PORTFOLIO_END, { slot: "doomed", trigger: "manual" });
    // A shard whose payload is invalid (fromId 0) fails at once, without retries.
    await queues.queue.recompute.add(
      recomputeShard.name,
      {
        workspaceId,
        runId: plan.runId.toString(),
        asOf: PORTFOLIO_END,
        modelId: plan.modelId,
        startedAt: plan.startedAt.toISOString(),
        fromId: 0,
        toId: 9,
      },
      jobOptions(recomputeShard, "doomed-s0"),
    );
    work();
    const run = await waitFor(
      async () =>
        (await db.prisma.recomputeRun.findFirst({ where: { slot: "doomed", status: "failed" } })) ??
        undefined,
    );
    expect(run.error).toMatch(/^a shard failed: invalid recompute-shard payload: fromId: /);
  });
});
