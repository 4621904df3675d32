// The connector-sync job on real workers and Redis: a sync runs from the queue, refused credentials
// fail it at once (no retry), and every connector has exactly one scheduler.
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { syncConnectorSchedules } from "../../src/jobs/connector-schedules.ts";
import { connectorSync, connectorSyncJobId } from "../../src/jobs/definitions/connector-sync.ts";
import { enqueue } from "../../src/jobs/enqueue.ts";
import { startWorkers, type Workers } from "../../src/jobs/worker.ts";
import { silentLogger } from "../../src/log.ts";
import { SecretBox } from "../../src/security/secret-box.ts";
import { addConnector } from "../../src/services/connectors.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { openTestQueues, testRedisUrl, waitFor } from "../support/queues.ts";
import { createSourceDatabase, type SourceDatabase } from "../support/source-database.ts";

let db: TestDatabase;
let source: SourceDatabase;
let queues: ReturnType<typeof openTestQueues>;
let workers: Workers | undefined;
let workspaceId: number;
const box = new SecretBox(randomBytes(32));
const SETTINGS = { mappings: [{ kind: "accounts", query: "SELECT 'A1' AS account_id, 'Acme' AS name" }] };

beforeEach(async () => {
  [db, source] = await Promise.all([createTestDatabase("postgres"), createSourceDatabase("SELECT 1")]);
  queues = openTestQueues();
  workspaceId = (await ensureWorkspace(db.prisma, "acme")).id;
});
afterEach(async () => {
  await workers?.close();
  workers = undefined;
  await queues.dispose();
  await Promise.all([db.close(), source.close()]);
});

const start = () =>
  (workers = startWorkers({
    prisma: db.prisma,
    sql: db.sql,
    queues,
    redisUrl: testRedisUrl,
    concurrency: 1,
    log: silentLogger,
    secretBox: box,
    jobs: [connectorSync],
  }));

/** The job once it reached `state`, read after it did (a job read before holds no outcome yet). */
async function settled(id: string, state: "completed" | "failed") {
  await waitFor(async () => ((await queues.queue.sync.getJobState(id)) === state ? true : undefined));
  return (await queues.queue.sync.getJob(id))!;
}

async function add(name: string, url: string, settings: Record<string, unknown> = SETTINGS) {
  return (
    await addConnector(db.prisma, box, workspaceId, {
      name,
      kind: "sql",
      settings,
      secret: { url },
      actor: "t",
    })
  ).connector;
}

describe("the connector-sync job", () => {
  it("syncs a connector from the queue, once per slot", async () => {
    const connector = await add("wh", source.url);
    const payload = { workspaceId, connectorId: connector.id, slot: "s1" };
    const id = connectorSyncJobId(connector.id, "s1");
    expect(id).toBe(`sync-${connector.id}-s1`);
    await enqueue(queues, connectorSync, payload, id);
    await enqueue(queues, connectorSync, payload, id);
    start();
    const job = await settled(id, "completed");
    expect(job.returnvalue).toMatchObject({ slot: "s1", read: 1, written: 1, rejected: 0 });
    expect(await db.prisma.syncRun.count()).toBe(1);
    expect(await db.prisma.account.count()).toBe(1);
  });

  it("rejects a record holding a control character with its reason, and writes the others", async () => {
    const connector = await add("wh", source.url, {
      mappings: [
        {
          kind: "accounts",
          query: "SELECT 'A1' AS account_id, 'Acme' AS name UNION ALL SELECT 'A2', E'Bad\\u001bName'",
        },
      ],
    });
    const id = await enqueue(
      queues,
      connectorSync,
      { workspaceId, connectorId: connector.id, slot: "s3" },
      "sync-x-s3",
    );
    start();
    const job = await settled(id, "completed");
    expect(job.returnvalue).toMatchObject({ read: 2, written: 1, rejected: 1 });
    expect(await db.prisma.account.findMany({ select: { externalId: true } })).toEqual([
      { externalId: "A1" },
    ]);
  });

  it("fails at once, without retrying, when the credentials are refused", async () => {
    const bad = new URL(source.url);
    bad.username = "nobody_here";
    const connector = await add("wh", bad.toString());
    const id = await enqueue(
      queues,
      connectorSync,
      { workspaceId, connectorId: connector.id, slot: "s2" },
      "sync-x-s2",
    );
    start();
    const job = await settled(id, "failed");
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/refused the credentials/);
    expect((await db.prisma.connectorConfig.findUniqueOrThrow({ where: { id: connector.id } })).status).toBe(
      "auth_failed",
    );
  });

  it("keeps one scheduler per connector, at its cadence in the workspace's time zone", async () => {
    await db.prisma.workspace.update({
      where: { id: workspaceId },
      data: { settings: { timezone: "Europe/Paris" } },
    });
    const a = await add("a", source.url, { ...SETTINGS, cadence: "30 6 * * *" });
    const b = await add("b", source.url);
    await queues.queue.sync.upsertJobScheduler("sync-conn-999999", { pattern: "0 * * * *" });
    expect(await syncConnectorSchedules(db.prisma, queues)).toBe(2);
    const schedulers = await queues.queue.sync.getJobSchedulers();
    expect(schedulers.map((s) => [s.key, s.pattern, s.tz]).sort()).toEqual(
      [
        [`sync-conn-${a.id}`, "30 6 * * *", "Europe/Paris"],
        [`sync-conn-${b.id}`, "0 * * * *", "Europe/Paris"],
      ].sort(),
    );
  });
});
