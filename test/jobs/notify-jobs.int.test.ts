// Notification jobs reach Slack however the database and the processes are arranged: a database
// re-created under the same Redis (run ids start again at 1) still gets its alerts, and a process
// without the Slack settings never takes (and completes, posting nothing) a notification job.
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import type { SlackConfig } from "../../src/config/slack.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { formatDay } from "../../src/domain/dates.ts";
import { notifyBandChanges, notifyJobId } from "../../src/jobs/definitions/notify-band-changes.ts";
import { enqueue } from "../../src/jobs/enqueue.ts";
import { startRunFlow } from "../../src/jobs/run-flow.ts";
import { startWorkers, type Workers } from "../../src/jobs/worker.ts";
import { silentLogger } from "../../src/log.ts";
import { updateSettings } from "../../src/services/workspace-settings.ts";
import { createSlackAccess } from "../../src/slack/access.ts";
import { SlackGateway } from "../../src/slack/gateway.ts";
import { startFakeSlack, type FakeSlack } from "../fakes/slack-api.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { importPortfolio, PORTFOLIO_END } from "../support/portfolio.ts";
import { openTestQueues, testRedisUrl, uniquePrefix, waitFor } from "../support/queues.ts";

const ALERTS = "C0ALERTS";
const TEAM = "T0TEST";
const SLACK: SlackConfig = {
  mode: "single",
  signingSecret: "x".repeat(16),
  botToken: "xoxb-test",
  appToken: undefined,
  oauth: undefined,
  apiUrl: "",
  timeoutMs: 5000,
};

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function setup(queues: ReturnType<typeof openTestQueues>, fake: FakeSlack, withSlack: boolean) {
  const db = await createTestDatabase("postgres");
  cleanup.push(() => db.close());
  const redis = new Redis(testRedisUrl);
  cleanup.push(() => Promise.resolve(redis.disconnect()));
  const workspace = await ensureWorkspace(db.prisma, "acme");
  await db.prisma.workspace.update({ where: { id: workspace.id }, data: { slackTeamId: TEAM } });
  await updateSettings(db.prisma, workspace.id, { alert_channel: ALERTS }, "test");
  const gateway = new SlackGateway({
    apiUrl: fake.apiUrl,
    timeoutMs: 5000,
    redis,
    keyPrefix: `${uniquePrefix()}:pace`,
    log: silentLogger,
  });
  const workers: Workers = startWorkers({
    prisma: db.prisma,
    sql: db.sql,
    queues,
    redisUrl: testRedisUrl,
    concurrency: 2,
    log: silentLogger,
    shardSize: 50,
    slack: withSlack
      ? createSlackAccess({
          config: { ...SLACK, apiUrl: fake.apiUrl },
          gateway,
          prisma: db.prisma,
          box: null,
        })
      : null,
  });
  cleanup.push(() => workers.close());
  return { db, workspaceId: workspace.id, workers };
}

async function run(db: TestDatabase, queues: ReturnType<typeof openTestQueues>, workspaceId: number) {
  const slot = `test-${formatDay(PORTFOLIO_END)}`;
  await startRunFlow(db.prisma, queues, { workspaceId, asOf: PORTFOLIO_END, slot, trigger: "manual" });
  return waitFor(
    async () =>
      (await db.prisma.recomputeRun.findFirst({ where: { workspaceId, slot, status: "succeeded" } })) ??
      undefined,
    60_000,
    "the run",
  );
}

describe("notification jobs", () => {
  it("alert for a re-created database under the same Redis, whose run ids start again", async () => {
    const queues = openTestQueues();
    cleanup.push(() => queues.dispose());
    const fake = await startFakeSlack({ tokens: ["xoxb-test"] });
    cleanup.push(() => fake.close());
    fake.addChannel({ id: ALERTS, name: "cs-alerts" });

    const first = await setup(queues, fake, true);
    await importPortfolio(first.db.prisma, first.workspaceId, { accounts: 30 });
    const firstRun = await run(first.db, queues, first.workspaceId);
    await waitFor(
      async () => ((await queues.queue.notify.getJob(notifyJobId(firstRun)))?.finishedOn ? true : undefined),
      30_000,
      "the first database's notifications",
    );
    const firstThreads = fake.messages(ALERTS).length;
    expect(firstThreads).toBeGreaterThan(0);
    await first.workers.close();

    // The database is dropped and created again; Redis keeps the finished jobs of the first one.
    const second = await setup(queues, fake, true);
    await importPortfolio(second.db.prisma, second.workspaceId, { accounts: 30 });
    const secondRun = await run(second.db, queues, second.workspaceId);
    expect(secondRun.id).toBe(firstRun.id);
    await waitFor(
      () => Promise.resolve(fake.messages(ALERTS).length === 2 * firstThreads ? true : undefined),
      30_000,
      "the second database's threads",
    );
    expect(await second.db.prisma.followUp.count({ where: { threadTs: { not: null } } })).toBe(firstThreads);
  });

  it("are left on the queue by a process without Slack, for one that has it", async () => {
    const queues = openTestQueues();
    cleanup.push(() => queues.dispose());
    const fake = await startFakeSlack({ tokens: ["xoxb-test"] });
    cleanup.push(() => fake.close());
    fake.addChannel({ id: ALERTS, name: "cs-alerts" });
    const plain = await setup(queues, fake, false);
    await importPortfolio(plain.db.prisma, plain.workspaceId, { accounts: 30 });
    await run(plain.db, queues, plain.workspaceId);
    const id = await enqueue(queues, notifyBandChanges, { workspaceId: plain.workspaceId }, "cases-manual");
    // The run's notification and this one wait: no worker of this process serves the queue.
    await new Promise((r) => setTimeout(r, 2000));
    expect(await queues.queue.notify.getJobCountByTypes("active", "completed", "failed")).toBe(0);
    expect(await queues.queue.notify.getJobCountByTypes("waiting")).toBe(2);
    expect(await plain.db.prisma.followUp.count()).toBe(0);

    // A process with Slack, on the same database, takes them and posts the alerts.
    const gatewayRedis = new Redis(testRedisUrl);
    cleanup.push(() => Promise.resolve(gatewayRedis.disconnect()));
    const slackWorkers = startWorkers({
      prisma: plain.db.prisma,
      sql: plain.db.sql,
      queues,
      redisUrl: testRedisUrl,
      concurrency: 1,
      log: silentLogger,
      slack: createSlackAccess({
        config: { ...SLACK, apiUrl: fake.apiUrl },
        gateway: new SlackGateway({
          apiUrl: fake.apiUrl,
          timeoutMs: 5000,
          redis: gatewayRedis,
          keyPrefix: `${uniquePrefix()}:pace`,
          log: silentLogger,
        }),
        prisma: plain.db.prisma,
        box: null,
      }),
    });
    cleanup.push(() => slackWorkers.close());
    const job = await queues.queue.notify.getJob(id);
    await waitFor(async () => ((await job?.isCompleted()) ? true : undefined), 30_000, "the notification");
    expect(fake.messages(ALERTS).length).toBeGreaterThan(0);
  });
});
