// Write-back in the pipeline, on the real Redis and PostgreSQL: a finished recompute enqueues one
// crm-write-back job per connector with write-back on (none for the others), the job writes the
// run's scores to the fake HubSpot, and running it again writes nothing.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { activeModelForScoring } from "../../src/db/repositories/models.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { crmWriteBack } from "../../src/jobs/definitions/crm-write-back.ts";
import { enqueue } from "../../src/jobs/enqueue.ts";
import { JOBS } from "../../src/jobs/registry.ts";
import { startRunFlow } from "../../src/jobs/run-flow.ts";
import { startWorkers, type Workers } from "../../src/jobs/worker.ts";
import { silentLogger } from "../../src/log.ts";
import { SecretBox } from "../../src/security/secret-box.ts";
import { addConnector } from "../../src/services/connectors.ts";
import { startFakeHubSpot, type FakeHubSpot } from "../fakes/hubspot-api.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { importPortfolio, PORTFOLIO_END } from "../support/portfolio.ts";
import { openTestQueues, testRedisUrl, waitFor } from "../support/queues.ts";

const BATCH = "/crm/v3/objects/companies/batch/update";
const box = new SecretBox(Buffer.alloc(32, 9));

describe("crm-write-back job", () => {
  let db: TestDatabase;
  let queues: ReturnType<typeof openTestQueues>;
  let workers: Workers | undefined;
  let hubspot: FakeHubSpot;
  let workspaceId: number;

  beforeEach(async () => {
    db = await createTestDatabase("postgres");
    queues = openTestQueues();
    hubspot = await startFakeHubSpot();
    workspaceId = (await ensureWorkspace(db.prisma, "acme")).id;
    await activeModelForScoring(db.prisma, workspaceId);
  });
  afterEach(async () => {
    await workers?.close();
    workers = undefined;
    await queues.dispose();
    await hubspot.close();
    await db.close();
  });

  const connector = async (name: string, writeBack: boolean) =>
    (
      await addConnector(db.prisma, box, workspaceId, {
        name,
        kind: "hubspot",
        settings: { base_url: hubspot.baseUrl },
        secret: { access_token: "pat-na1-fake" },
        actor: "test",
        writeBack,
      })
    ).connector;

  it("follows each recompute for connectors with write-back on, and a replay writes nothing", async () => {
    await importPortfolio(db.prisma, workspaceId, { accounts: 12 });
    const accounts = await db.prisma.account.findMany({ where: { workspaceId, status: "active" }, take: 5 });
    const companyIds: string[] = [];
    for (const account of accounts) {
      const company = hubspot.addCompany({ name: account.name, lifecyclestage: "customer" });
      await db.prisma.accountSourceId.create({
        data: { workspaceId, source: "hubspot", sourceId: company.id, accountId: account.id },
      });
      companyIds.push(company.id);
    }
    const on = await connector("crm", true);
    const off = await connector("crm-read-only", false);

    await startRunFlow(db.prisma, queues, {
      workspaceId,
      asOf: PORTFOLIO_END,
      slot: "20260630T0900Z",
      trigger: "manual",
      shardSize: 10,
    });
    workers = startWorkers({
      prisma: db.prisma,
      sql: db.sql,
      queues,
      redisUrl: testRedisUrl,
      concurrency: 2,
      log: silentLogger,
      jobs: JOBS,
      secretBox: box,
    });
    const firstRun = await waitFor(
      async () =>
        (await db.prisma.crmWriteRun.findFirst({
          where: { connectorId: on.id, status: { not: "running" } },
        })) ?? undefined,
      30_000,
      "a finished write-back",
    );
    const recompute = await db.prisma.recomputeRun.findFirstOrThrow({ where: { workspaceId } });
    expect(firstRun).toMatchObject({
      status: "succeeded",
      considered: 5,
      changed: 5,
      written: 5,
      batches: 1,
    });
    expect(firstRun.recomputeRunId).toBe(recompute.id);
    expect(await db.prisma.crmWriteRun.count({ where: { connectorId: off.id } })).toBe(0);
    const sent = hubspot.requestsTo(BATCH)[0]!.body as { inputs: { id: string }[] };
    expect(sent.inputs.map((x) => x.id).sort()).toEqual(companyIds.sort());
    for (const id of companyIds)
      expect(hubspot.companyView(id, ["css_score"]).properties.css_score).toMatch(/^\d+$/);

    // The same job run again (by hand, under another id): the values are already there.
    await enqueue(
      queues,
      crmWriteBack,
      { workspaceId, connectorId: on.id, runId: recompute.id.toString() },
      "replay",
    );
    const replay = await waitFor(
      async () =>
        (await db.prisma.crmWriteRun.findFirst({
          where: { connectorId: on.id, status: { not: "running" }, id: { gt: firstRun.id } },
        })) ?? undefined,
      30_000,
      "the replay",
    );
    expect(replay).toMatchObject({ status: "succeeded", considered: 5, changed: 0, written: 0, batches: 0 });
    expect(hubspot.requestsTo(BATCH)).toHaveLength(1);
  }, 60_000);
});
