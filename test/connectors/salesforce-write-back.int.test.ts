// Write-back to Salesforce against the fake Salesforce REST API over real HTTP, with a real database:
// css-bot's Account fields checked against the describe, changed accounts written through the sObject
// Collections API 200 a call, nothing sent on replay, a deleted account left out, and a missing or
// read-only field stopping write-back with one alert.
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SALESFORCE_FIELDS } from "../../src/connectors/write-back/salesforce.ts";
import { activeModelForScoring } from "../../src/db/repositories/models.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { SecretBox } from "../../src/security/secret-box.ts";
import { addConnector, setWriteBack } from "../../src/services/connectors.ts";
import { runWriteBack } from "../../src/services/crm-write-back.ts";
import { startFakeSalesforce, type FakeSalesforce } from "../fakes/salesforce-api.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { addCrmAccount, addSnapshot } from "../support/scored-account.ts";

const COLLECTIONS = "/services/data/v62.0/composite/sobjects";
const box = new SecretBox(randomBytes(32));
let db: TestDatabase;
let sf: FakeSalesforce;
let workspaceId: number;
let modelId: number;
let connectorId: number;

beforeEach(async () => {
  [db, sf] = await Promise.all([createTestDatabase("postgres"), startFakeSalesforce()]);
  workspaceId = (await ensureWorkspace(db.prisma, "acme")).id;
  modelId = (await activeModelForScoring(db.prisma, workspaceId)).id;
  sf.addField("CSS_Score__c", "double");
  sf.addField("CSS_Band__c", "string");
  sf.addField("CSS_Churn_Probability__c", "double");
  sf.addField("CSS_Top_Drivers__c", "string");
  sf.addField("CSS_Card_Link__c", "url");
  const { connector } = await addConnector(db.prisma, box, workspaceId, {
    name: "crm",
    kind: "salesforce",
    settings: { base_url: sf.baseUrl },
    secret: { client_id: sf.clientId, client_secret: sf.clientSecret, refresh_token: "5Aep861-fake-refresh" },
    actor: "test",
    writeBack: true,
  });
  connectorId = connector.id;
});
afterEach(async () => {
  await Promise.all([db.close(), sf.close()]);
});

const writeBack = () =>
  runWriteBack(
    { prisma: db.prisma, box, paceMs: 0, http: { sleep: () => Promise.resolve(), random: () => 0 } },
    connectorId,
    { workspaceId },
  );
const collectionCalls = () => sf.requestsTo(COLLECTIONS);

async function scoredAccount(
  i: number,
  score: number,
  day = "2026-12-01",
  churnProbability: number | null = null,
) {
  const sfId = sf.addAccount({ Name: `Account ${i}` });
  const accountId = await addCrmAccount(db.prisma, workspaceId, "salesforce", sfId, `Account ${i}`);
  await snapshot(accountId, score, day, churnProbability);
  return { sfId, accountId };
}

const snapshot = (accountId: number, score: number, day: string, churnProbability: number | null = null) =>
  addSnapshot(db.prisma, { workspaceId, modelId, accountId, score, day, churnProbability });

describe("Salesforce write-back", () => {
  it("writes numbers as numbers and empty values as null, then writes only what changed", async () => {
    const a = await scoredAccount(1, 41.6, "2026-12-01", 0.31234);
    const b = await scoredAccount(2, 90);

    expect(await writeBack()).toMatchObject({ status: "succeeded", changed: 2, written: 2, batches: 1 });
    expect(sf.accountField(a.sfId, "CSS_Score__c")).toBe(42);
    expect(sf.accountField(a.sfId, "CSS_Band__c")).toBe("at_risk");
    expect(sf.accountField(a.sfId, "CSS_Churn_Probability__c")).toBe(0.312);
    expect(sf.accountField(a.sfId, "CSS_Top_Drivers__c")).toBe("usage 42/100");
    expect(sf.accountField(b.sfId, "CSS_Churn_Probability__c")).toBeNull();
    expect(sf.accountField(b.sfId, "CSS_Card_Link__c")).toBeNull(); // no case thread: cleared
    const sent = collectionCalls()[0]!.body as { allOrNone: boolean; records: Record<string, unknown>[] };
    expect(sent.allOrNone).toBe(false);
    expect(sent.records[0]).toMatchObject({ attributes: { type: "Account" }, id: a.sfId, CSS_Score__c: 42 });

    // A replay sends nothing; a moved score sends that account only.
    expect(await writeBack()).toMatchObject({ changed: 0, batches: 0 });
    await snapshot(b.accountId, 60, "2026-12-02");
    expect(await writeBack()).toMatchObject({ changed: 1, written: 1 });
    expect(
      (collectionCalls().at(-1)!.body as { records: { id: string }[] }).records.map((r) => r.id),
    ).toEqual([b.sfId]);
  });

  it("sends at most 200 accounts a call and leaves out a deleted one", async () => {
    const ids = [];
    for (let i = 0; i < 450; i++) ids.push(await scoredAccount(i, 50));
    sf.deleteAccount(ids[7]!.sfId);
    expect(await writeBack()).toMatchObject({ changed: 450, written: 449, batches: 3 });
    expect(collectionCalls().map((r) => (r.body as { records: unknown[] }).records.length)).toEqual([
      200, 200, 50,
    ]);
  }, 30_000);

  it("stops write-back when a field is missing or read-only, naming each, without writing", async () => {
    await scoredAccount(1, 50);
    sf.addField("CSS_Band__c", "string", { updateable: false });
    sf.addField("CSS_Score__c", "string");
    const result = await writeBack();
    expect(result).toMatchObject({ status: "refused", written: 0 });
    const error = (result as { error: string }).error;
    expect(error).toContain("CSS_Score__c is a string field; css-bot writes Number(3, 0)");
    expect(error).toContain("CSS_Band__c is read-only for the integration user");
    expect(collectionCalls()).toHaveLength(0);
    expect(await writeBack()).toMatchObject({ status: "skipped" });
    expect(await db.prisma.auditLogEntry.count({ where: { action: "connector.write_back_refused" } })).toBe(
      1,
    );

    sf.addField("CSS_Band__c", "string");
    sf.addField("CSS_Score__c", "double");
    await setWriteBack(db.prisma, workspaceId, "crm", true, "test");
    expect(await writeBack()).toMatchObject({ status: "succeeded", written: 1 });
  });

  it("treats the org's spent allowance as a wait, not a refusal: the job fails and retries later", async () => {
    await scoredAccount(1, 50);
    sf.setApiUsage(sf.dailyLimit); // every REST call answers 403 REQUEST_LIMIT_EXCEEDED
    const run = runWriteBack(
      {
        prisma: db.prisma,
        box,
        paceMs: 0,
        http: { sleep: () => Promise.resolve(), retryBudgetMs: 1, backoffMs: 1 },
      },
      connectorId,
      { workspaceId },
    );
    await expect(run).rejects.toThrow(/REQUEST_LIMIT_EXCEEDED/);
    const connector = await db.prisma.connectorConfig.findUniqueOrThrow({ where: { id: connectorId } });
    expect(connector.writeBackError).toBeNull(); // still on: the next attempt writes
    expect((await db.prisma.crmWriteRun.findFirstOrThrow()).status).toBe("failed");

    sf.setApiUsage(0);
    expect(await writeBack()).toMatchObject({ status: "succeeded", written: 1 });
  });

  it("names the fields it writes as the docs do", () => {
    expect(Object.values(SALESFORCE_FIELDS).map((f) => f.name)).toEqual([
      "CSS_Score__c",
      "CSS_Band__c",
      "CSS_Churn_Probability__c",
      "CSS_Top_Drivers__c",
      "CSS_Card_Link__c",
    ]);
  });
});
