// The Salesforce connector through the sync runner, into a real database: accounts written with their
// owners, revenue and renewals; the cursor committed with each page (a sync that fails mid-way
// resumes there); deleted accounts churned and merged ones folded into their winners; refused
// credentials and a mapping that does not fit the org recorded on the connector; Cases as support load.
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runSync } from "../../src/connectors/sync-runner.ts";
import { upsertAccounts } from "../../src/db/repositories/accounts.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { parseDay } from "../../src/domain/dates.ts";
import { SecretBox } from "../../src/security/secret-box.ts";
import { addConnector } from "../../src/services/connectors.ts";
import { startFakeSalesforce, type FakeSalesforce } from "../fakes/salesforce-api.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";

const HOUR = 3_600_000;
const box = new SecretBox(randomBytes(32));
let db: TestDatabase;
let sf: FakeSalesforce;
let workspaceId: number;
let connectorId: number;

beforeEach(async () => {
  [db, sf] = await Promise.all([createTestDatabase("postgres"), startFakeSalesforce()]);
  workspaceId = (await ensureWorkspace(db.prisma, "acme")).id;
  sf.addField("ARR__c", "currency");
  sf.addField("Renewal_Date__c", "date");
  sf.addField("Tier__c", "picklist");
  connectorId = (await add()).connector.id;
});
afterEach(async () => {
  await Promise.all([db.close(), sf.close()]);
});

function add(secret: object = {}, settings: object = {}) {
  return addConnector(db.prisma, box, workspaceId, {
    name: "crm",
    kind: "salesforce",
    settings: {
      base_url: sf.baseUrl,
      revenue_field: "ARR__c",
      renewal_date_field: "Renewal_Date__c",
      segment_field: "Tier__c",
      ...settings,
    },
    secret: {
      client_id: sf.clientId,
      client_secret: sf.clientSecret,
      refresh_token: "5Aep861-fake-refresh",
      ...secret,
    },
    actor: "test",
  });
}

const sync = () =>
  runSync(
    {
      prisma: db.prisma,
      box,
      // Instant, and a short budget: a failing page fails the run at once.
      http: { sleep: () => Promise.resolve(), retryBudgetMs: 1, backoffMs: 10, random: () => 1 },
      now: () => new Date(sf.clock.now()),
    },
    connectorId,
    { workspaceId, trigger: "test" },
  );

const accounts = () =>
  db.prisma.account.findMany({
    where: { workspaceId },
    orderBy: { id: "asc" },
    include: { sourceIds: true },
  });
const connector = () => db.prisma.connectorConfig.findUniqueOrThrow({ where: { id: connectorId } });
const day = (text: string) => new Date(`${text}T00:00:00Z`);

describe("Salesforce sync into the database", () => {
  it("writes accounts with owner, MRR from ARR, renewal and segment, and commits the cursor per page", async () => {
    const owner = sf.addUser({ email: "Rep@Vendor.example" });
    const acme = sf.addAccount(
      { Name: "Acme", Website: "acme.com", ARR__c: 60_000, Renewal_Date__c: "2025-09-30", Tier__c: "smb" },
      { ownerId: owner },
    );
    for (let i = 0; i < 2_100; i++) sf.addAccount({ Name: `A${i}` }, { at: sf.clock.now() + i * 1000 });
    sf.failNext((r) => /\/queryAll\/01g/.test(r.path), { status: 503 }); // the second page fails

    await expect(sync()).rejects.toThrow(/still failing after 1 attempt/);
    expect((await connector()).cursor).toMatchObject({
      phase: "initial",
      after_id: expect.any(String) as string,
    });
    expect(await db.prisma.account.count({ where: { workspaceId } })).toBe(2000);

    const result = await sync(); // resumes after the committed page
    expect(result).toMatchObject({ pages: 1, read: 101, written: 101, rejected: 0 });
    expect(await db.prisma.account.count({ where: { workspaceId } })).toBe(2_101);
    const [first] = await accounts();
    expect(first).toMatchObject({
      externalId: `salesforce:${acme}`,
      name: "Acme",
      domain: "acme.com",
      owner: "rep@vendor.example",
      segment: "smb",
      renewalDate: day("2025-09-30"),
      status: "active",
    });
    expect(Number(first!.mrr)).toBe(5000);
    expect(first!.sourceIds).toEqual([
      { workspaceId, source: "salesforce", sourceId: acme, accountId: first!.id },
    ]);
    expect((await connector()).cursor).toMatchObject({ phase: "incremental", after_id: null });
  }, 30_000);

  it("churns deleted accounts, folds merged ones into their winner, and leaves unknown ones alone", async () => {
    const gone = sf.addAccount({ Name: "Gone", ARR__c: 12_000 });
    const winner = sf.addAccount({ Name: "Globex", Website: "globex.com" });
    const sameDomain = sf.addAccount({ Name: "Globex (dup)", Website: "https://www.globex.com" });
    const apart = sf.addAccount({ Name: "Initech old", Website: "initech-old.com" });
    const initech = sf.addAccount({ Name: "Initech", Website: "initech.com" });
    // Another source's account on the duplicate's domain: the duplicate's record met it by domain.
    await upsertAccounts(db.prisma, workspaceId, [
      {
        ...{ accountId: "G-1", name: "Globex Inc", domain: "globex.com", segment: null, owner: null },
        ...{ mrr: null, seats: null, renewalDate: null, createdAt: null, churnedAt: null },
        ...{ status: "active", statusGiven: false },
      },
    ]);
    await sync();
    const before = await accounts();
    const idOf = (sourceId: string) =>
      before.find((a) => a.sourceIds.some((s) => s.sourceId === sourceId))!.id;
    expect(idOf(winner)).toBe(idOf(sameDomain));

    sf.clock.advance(HOUR);
    const never = sf.addAccount({ Name: "Never seen" });
    sf.deleteAccount(never);
    sf.deleteAccount(gone);
    sf.mergeAccounts(winner, sameDomain);
    sf.mergeAccounts(initech, apart);
    const result = await sync();

    const after = await accounts();
    expect(after).toHaveLength(before.length); // the never-seen deletion made no account
    const byId = new Map(after.map((a) => [a.id, a]));
    expect(byId.get(idOf(gone))).toMatchObject({ status: "churned", churnedAt: day("2025-01-15") });
    expect(Number(byId.get(idOf(gone))!.mrr)).toBe(0);
    // A merge is not a churn: the shared account stays active, and so does the loser's own one.
    expect(byId.get(idOf(winner))).toMatchObject({ status: "active", churnedAt: null });
    expect(byId.get(idOf(apart))).toMatchObject({ status: "active", name: "Initech old" });
    const mapped = await db.prisma.accountSourceId.findMany({
      where: { workspaceId, source: "salesforce", sourceId: { in: [sameDomain, apart] } },
      orderBy: { sourceId: "asc" },
    });
    expect(mapped.map((m) => [m.sourceId, m.accountId])).toEqual([
      [sameDomain, idOf(winner)],
      [apart, idOf(initech)],
    ]);
    expect(result.rejections).toEqual([
      {
        record: `account ${apart}`,
        reason: `merged into ${initech}: the account it was here (id ${idOf(apart)}) keeps its history and is no longer synced; remove or mark it churned by an import`,
      },
    ]);
  });

  it("marks the connector auth_failed when the refresh token is refused, and error when the mapping does not fit", async () => {
    sf.revokeRefreshTokens();
    await expect(sync()).rejects.toThrow(/invalid_grant/);
    expect(await connector()).toMatchObject({
      status: "auth_failed",
      lastError: expect.stringContaining(
        "Salesforce refused the credentials (the token endpoint answered invalid_grant",
      ) as string,
    });

    connectorId = (await add({ refresh_token: "5Aep861-new" }, { revenue_field: "Tier__c" })).connector.id;
    sf.rotateRefreshTokens(["5Aep861-new"]);
    await expect(sync()).rejects.toThrow(/settings.revenue_field: Account.Tier__c is a picklist field/);
    expect(await connector()).toMatchObject({ status: "error" });
    expect(await db.prisma.account.count({ where: { workspaceId } })).toBe(0);
  });

  it("reads Cases as support load: open cases (and high-priority ones) per day, and cases created per day", async () => {
    connectorId = (await add({}, { read_cases: true, high_priorities: ["High", "Critical"] })).connector.id;
    const acme = sf.addAccount({ Name: "Acme" });
    const beta = sf.addAccount({ Name: "Beta" });
    sf.addCase({ accountId: acme, priority: "High", at: "2025-01-14T09:00:00Z" });
    sf.addCase({ accountId: acme, priority: "critical", at: "2025-01-15T08:00:00Z" });
    sf.addCase({ accountId: acme, at: "2025-01-15T09:00:00Z" });
    sf.addCase({ accountId: acme, closed: true, at: "2025-01-10T09:00:00Z" });
    const betaCase = sf.addCase({ accountId: beta, at: "2025-01-15T10:00:00Z" });
    sf.addCase({ accountId: null, at: "2025-01-15T10:00:00Z" }); // no account: counted nowhere
    sf.deleteCase(sf.addCase({ accountId: beta, at: "2025-01-15T10:00:00Z" }));

    const first = await sync();
    expect(first.rejected).toBe(0);
    const ids = new Map((await accounts()).map((a) => [a.sourceIds[0]!.sourceId, a.id]));
    const observations = async () =>
      (
        await db.prisma.metricObservation.findMany({
          where: { workspaceId },
          orderBy: [{ observedOn: "asc" }, { metric: "asc" }, { accountId: "asc" }],
        })
      ).map((o) => [
        o.accountId === ids.get(acme) ? "acme" : "beta",
        o.metric,
        o.observedOn.toISOString().slice(0, 10),
        o.value,
        o.source,
      ]);
    expect(await observations()).toEqual([
      ["acme", "tickets_created", "2025-01-10", 1, "connector:salesforce"],
      ["acme", "tickets_created", "2025-01-14", 1, "connector:salesforce"],
      ["acme", "open_tickets", "2025-01-15", 3, "connector:salesforce"],
      ["beta", "open_tickets", "2025-01-15", 1, "connector:salesforce"],
      ["acme", "open_tickets_high", "2025-01-15", 2, "connector:salesforce"],
      ["beta", "open_tickets_high", "2025-01-15", 0, "connector:salesforce"],
      ["acme", "tickets_created", "2025-01-15", 2, "connector:salesforce"],
      ["beta", "tickets_created", "2025-01-15", 1, "connector:salesforce"],
    ]);

    // The next day: Beta's case closed, one more for Acme. Counts are recounted from the day before.
    sf.clock.set("2025-01-16T12:00:00Z");
    sf.closeCase(betaCase);
    sf.addCase({ accountId: acme, at: "2025-01-16T11:00:00Z" });
    await sync();
    const created = sf.requests.filter((r) => String(r.query.q ?? "").includes("CreatedDate >="));
    expect(created.map((r) => String(r.query.q))).toEqual([
      "SELECT Id, AccountId, CreatedDate FROM Case WHERE AccountId != null AND CreatedDate >= 2025-01-14T00:00:00Z",
    ]);
    const day16 = (await observations()).filter((o) => o[2] === "2025-01-16");
    expect(day16).toEqual([
      ["acme", "open_tickets", "2025-01-16", 4, "connector:salesforce"],
      ["beta", "open_tickets", "2025-01-16", 0, "connector:salesforce"],
      ["acme", "open_tickets_high", "2025-01-16", 2, "connector:salesforce"],
      ["beta", "open_tickets_high", "2025-01-16", 0, "connector:salesforce"],
      ["acme", "tickets_created", "2025-01-16", 1, "connector:salesforce"],
    ]);
    expect((await connector()).cursor).toMatchObject({
      cases: { open: [acme], from: parseDay("2025-01-15") },
    });
  });

  it("takes renewal dates from open renewal opportunities, and clears one whose last renewal closed", async () => {
    connectorId = (
      await add(
        {},
        {
          renewal_date_field: undefined,
          renewal_opportunity_types: ["Renewal", "Owner's renewal"],
          customer_types: ["Customer"],
        },
      )
    ).connector.id;
    const [acme, beta, gamma] = ["Acme", "Beta", "Gamma"].map((Name) =>
      sf.addAccount({ Name, Type: "Customer" }),
    );
    const prospect = sf.addAccount({ Name: "Prospect", Type: "Prospect" });
    const june = sf.addOpportunity({ accountId: acme!, closeDate: "2025-06-30" });
    sf.addOpportunity({ accountId: acme!, closeDate: "2025-09-30", type: "Owner's renewal" });
    sf.addOpportunity({ accountId: acme!, closeDate: "2025-02-01", type: "New Business" });
    sf.addOpportunity({ accountId: beta!, closeDate: "2024-12-31", stage: "Closed Won" });
    const lost = sf.addOpportunity({ accountId: gamma!, closeDate: "2025-05-01" });
    sf.addOpportunity({ accountId: prospect, closeDate: "2025-04-01" });

    await sync();
    const renewals = async () =>
      Object.fromEntries(
        (await accounts()).map((a) => [a.name, a.renewalDate?.toISOString().slice(0, 10) ?? null]),
      );
    expect(await renewals()).toEqual({ Acme: "2025-06-30", Beta: null, Gamma: "2025-05-01" });

    sf.clock.set("2025-01-16T12:00:00Z");
    sf.updateOpportunity(june, { stage: "Closed Won" });
    sf.updateOpportunity(lost, { stage: "Closed Lost" });
    sf.addOpportunity({ accountId: beta!, closeDate: "2026-01-31" });
    await sync();
    expect(await renewals()).toEqual({ Acme: "2025-09-30", Beta: "2026-01-31", Gamma: null });
    const soql = sf.requests
      .filter((r) => String(r.query.q ?? "").includes("FROM Opportunity"))
      .map((r) => String(r.query.q));
    expect(soql).toEqual([
      "SELECT Id, AccountId, CloseDate, IsClosed FROM Opportunity WHERE AccountId != null AND Type IN ('Renewal', 'Owner\\'s renewal') AND IsClosed = false",
      "SELECT Id, AccountId, CloseDate, IsClosed FROM Opportunity WHERE AccountId != null AND Type IN ('Renewal', 'Owner\\'s renewal') AND (IsClosed = false OR SystemModstamp >= 2025-01-15T11:55:00Z)",
    ]);
    expect(await db.prisma.account.count({ where: { workspaceId } })).toBe(3); // the prospect's renewal made no account
  });
});
