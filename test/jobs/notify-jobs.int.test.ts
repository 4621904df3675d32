// Notification jobs reach Slack however the database and the processes are arranged: a database
// re-created under the same Redis (run ids start again at 1) still gets its alerts, and a process
// without the Slack settings never takes (and completes, posting nothing) a notification job.
import { afterEach, describe, expect, it } from "vitest";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { formatDay } from "../../src/domain/dates.ts";
import { notifyBandChanges, notifyJobId } from "../../src/jobs/definitions/notify-band-changes.ts";
import { enqueue } from "../../src/jobs/enqueue.ts";
import { startRunFlow } from "../../src/jobs/run-flow.ts";
import { updateSettings } from "../../src/services/workspace-settings.ts";
import { startFakeSlack, type FakeSlack } from "../../src/sandbox/slack-api.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { importPortfolio, PORTFOLIO_END } from "../support/portfolio.ts";
import { openTestQueues, waitFor } from "../support/queues.ts";
import { startTestWorkers } from "../support/workers.ts";

const ALERTS = "C0ALERTS";
const TEAM = "T0TEST";

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function setup(queues: ReturnType<typeof openTestQueues>, fake: FakeSlack, withSlack: boolean) {
  const db = await createTestDatabase("postgres");
  cleanup.push(() => db.close());
  const workspace = await ensureWorkspace(db.prisma, "acme");
  await db.prisma.workspace.update({ where: { id: workspace.id }, data: { slackTeamId: TEAM } });
  await updateSettings(db.prisma, workspace.id, { alert_channel: ALERTS }, "test");
  const slack = withSlack ? { apiUrl: fake.apiUrl } : undefined;
  const workers = startTestWorkers({ db, queues, slack, shardSize: 50 });
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
    // The thread's ts is written once Slack has answered the post: a moment after the message shows.
    await waitFor(
      async () =>
        (await second.db.prisma.followUp.count({ where: { threadTs: { not: null } } })) === firstThreads
          ? true
          : undefined,
      30_000,
      "the second database's follow-ups to record their threads",
    );
    expect(fake.messages(ALERTS)).toHaveLength(2 * firstThreads);
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
    const slackWorkers = startTestWorkers({
      db: plain.db,
      queues,
      slack: { apiUrl: fake.apiUrl },
      concurrency: 1,
    });
    cleanup.push(() => slackWorkers.close());
    const job = await queues.queue.notify.getJob(id);
    await waitFor(async () => ((await job?.isCompleted()) ? true : undefined), 30_000, "the notification");
    expect(fake.messages(ALERTS).length).toBeGreaterThan(0);
  });
});
