// Identity reconciliation through the sync runner: connectors of several kinds (stand-ins that
// yield fixed pages, so the rules are tested apart from any vendor) naming the same customers.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type {
  ConnectorDefinition,
  ConnectorKind,
  SourceAccount,
  SyncPage,
} from "../../src/connectors/contract.ts";
import { runSync } from "../../src/connectors/sync-runner.ts";
import { upsertAccounts } from "../../src/db/repositories/accounts.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { parseDay } from "../../src/domain/dates.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";

let db: TestDatabase;
let workspaceId: number;
/** What each kind's stand-in yields on its next sync. */
const pages: Partial<Record<ConnectorKind, Omit<SyncPage<number>, "cursor">[]>> = {};

function standIn(kind: ConnectorKind): ConnectorDefinition<object, object, number> {
  return {
    kind,
    title: kind,
    settings: z.object({}),
    secret: z.object({}),
    cursor: z.number(),
    defaultBaseUrl: null,
    authHeaders: () => ({}),
    async *sync(ctx) {
      let n = ctx.cursor ?? 0;
      for (const page of pages[kind] ?? []) yield { ...page, cursor: ++n };
      await Promise.resolve();
    },
  };
}
const connectors = {
  sql: standIn("sql"),
  hubspot: standIn("hubspot"),
  zendesk: standIn("zendesk"),
  stripe: standIn("stripe"),
};

beforeEach(async () => {
  db = await createTestDatabase("postgres");
  workspaceId = (await ensureWorkspace(db.prisma, "acme")).id;
  for (const k of Object.keys(pages)) delete pages[k as ConnectorKind];
});
afterEach(async () => {
  await db.close();
});

async function syncAs(kind: ConnectorKind, ...page: Omit<SyncPage<number>, "cursor">[]) {
  pages[kind] = page;
  const connector =
    (await db.prisma.connectorConfig.findFirst({ where: { workspaceId, kind } })) ??
    (await db.prisma.connectorConfig.create({ data: { workspaceId, kind, name: kind } }));
  return runSync({ prisma: db.prisma, box: null, connectors }, connector.id, {
    workspaceId,
    trigger: "test",
  });
}

const accounts = (...list: SourceAccount[]) => ({ read: list.length, accounts: list });

async function allAccounts() {
  return db.prisma.account.findMany({
    where: { workspaceId },
    orderBy: { id: "asc" },
    include: { sourceIds: { orderBy: [{ source: "asc" }, { sourceId: "asc" }] } },
  });
}

describe("identity reconciliation", () => {
  it("makes one account of one customer seen by two sources with the same domain", async () => {
    await syncAs(
      "hubspot",
      accounts({ sourceId: "101", name: "Acme Corp", domain: "acme.com", owner: "maya@x.io" }),
    );
    // Zendesk writes the domain its own way, and knows no name.
    await syncAs("zendesk", {
      read: 2,
      accounts: [{ sourceId: "9", domain: "https://www.ACME.com/" }],
      metrics: [
        { sourceAccountId: "9", metric: "open_tickets", value: 4, observedOn: parseDay("2026-06-01")! },
      ],
    });
    const all = await allAccounts();
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({
      externalId: "hubspot:101",
      name: "Acme Corp",
      domain: "acme.com",
      owner: "maya@x.io",
    });
    expect(all[0]!.sourceIds.map((s) => [s.source, s.sourceId])).toEqual([
      ["hubspot", "101"],
      ["zendesk", "9"],
    ]);
    expect(await db.prisma.metricObservation.count({ where: { accountId: all[0]!.id } })).toBe(1);

    // The next syncs find them by their source ids, even when the domain changes.
    await syncAs("zendesk", accounts({ sourceId: "9", domain: "acme.io" }));
    await syncAs("hubspot", accounts({ sourceId: "101", name: "Acme Corporation" }));
    const again = await allAccounts();
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ name: "Acme Corporation", domain: "acme.io" });
  });

  it("matches an imported account by domain, and a source's own id by external id", async () => {
    await upsertAccounts(db.prisma, workspaceId, [
      {
        accountId: "A1",
        name: "Acme",
        domain: "acme.com",
        segment: "enterprise",
        owner: null,
        mrr: 100,
        seats: null,
        renewalDate: null,
        createdAt: null,
        status: "active",
        churnedAt: null,
        statusGiven: false,
      },
    ]);
    await syncAs("stripe", accounts({ sourceId: "cus_1", domain: "acme.com", mrr: 250 }));
    await syncAs("hubspot", accounts({ sourceId: "7", externalId: "A1", name: "Acme Inc" }));
    const all = await allAccounts();
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ externalId: "A1", name: "Acme Inc", segment: "enterprise" });
    expect(Number(all[0]!.mrr)).toBe(250);
    expect(all[0]!.sourceIds.map((s) => `${s.source}:${s.sourceId}`)).toEqual(["hubspot:7", "stripe:cus_1"]);
  });

  it("gives an account a connector made the customer's own id when the warehouse names it", async () => {
    await syncAs("hubspot", accounts({ sourceId: "202", name: "Beta", domain: "beta.io" }));
    // The SQL connector's source ids are the customer's account ids.
    await syncAs("sql", {
      read: 2,
      accounts: [{ sourceId: "B7", name: "Beta GmbH", domain: "beta.io" }],
      metrics: [{ sourceAccountId: "B7", metric: "m", value: 1, observedOn: parseDay("2026-06-01")! }],
    });
    const all = await allAccounts();
    expect(all.map((a) => [a.externalId, a.name])).toEqual([["B7", "Beta GmbH"]]);
    // HubSpot still finds it by its own id; SQL needs no mapping (its ids are external ids).
    expect(all[0]!.sourceIds.map((s) => `${s.source}:${s.sourceId}`)).toEqual(["hubspot:202"]);
    await syncAs("hubspot", accounts({ sourceId: "202", segment: "smb" }));
    expect(await allAccounts()).toMatchObject([{ externalId: "B7", segment: "smb" }]);
  });

  it("keeps two customers with their own ids apart even on one domain", async () => {
    await syncAs("sql", accounts({ sourceId: "G1", name: "Gamma US", domain: "gamma.com" }));
    await syncAs("sql", accounts({ sourceId: "G2", name: "Gamma EU", domain: "gamma.com" }));
    // A source without the customer's id takes the oldest of them.
    await syncAs("zendesk", accounts({ sourceId: "55", domain: "gamma.com" }));
    const all = await allAccounts();
    expect(all.map((a) => a.externalId)).toEqual(["G1", "G2"]);
    expect(all[0]!.sourceIds.map((s) => s.sourceId)).toEqual(["55"]);
  });

  it("creates one account per new customer in a page, `<kind>:<sourceId>`, and nothing on a re-run", async () => {
    const page = accounts(
      { sourceId: "cus_1", name: "Delta", domain: "delta.dev" },
      { sourceId: "cus_2", domain: "delta.dev" }, // a second Stripe customer of the same company
      { sourceId: "cus_3", name: "Epsilon" },
    );
    await syncAs("stripe", page);
    await syncAs("stripe", page);
    const all = await allAccounts();
    expect(all.map((a) => [a.externalId, a.name])).toEqual([
      ["stripe:cus_1", "Delta"],
      ["stripe:cus_3", "Epsilon"],
    ]);
    expect(all[0]!.sourceIds.map((s) => s.sourceId)).toEqual(["cus_1", "cus_2"]);
    expect(await db.prisma.accountSourceId.count()).toBe(3);
  });

  it("keeps fields a source leaves out, clears those it sets to null, and rejects bad records", async () => {
    await syncAs(
      "hubspot",
      accounts({ sourceId: "1", name: "Zeta", domain: "zeta.app", owner: "a@zeta.app", seats: 10 }),
    );
    const result = await syncAs("hubspot", {
      read: 4,
      accounts: [
        { sourceId: "1", owner: null },
        { sourceId: "2", name: "Bad", domain: "not a domain" },
        { sourceId: "", name: "No id" },
      ],
      metrics: [{ sourceAccountId: "404", metric: "m", value: 1, observedOn: parseDay("2026-06-01")! }],
    });
    expect(result).toMatchObject({ read: 4, written: 1, rejected: 3 });
    expect(result.rejections.map((r) => r.reason)).toEqual([
      "domain: not a domain such as acme.com",
      "sourceId: must not be empty",
      'unknown account "404"',
    ]);
    expect(await allAccounts()).toMatchObject([{ name: "Zeta", domain: "zeta.app", owner: null, seats: 10 }]);
  });
});
