// The HubSpot connector against the fake HubSpot API over real HTTP: the first sync through the
// companies list, incremental syncs through the search (its paging and 10,000-result cap), owners'
// emails, the mapping settings, and the source's faults.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConnectorAuthError, type SyncPage } from "../../src/connectors/contract.ts";
import { createSourceHttp } from "../../src/connectors/http.ts";
import { hubspotConnector, type HubSpotCursor } from "../../src/connectors/hubspot.ts";
import { parseDay } from "../../src/domain/dates.ts";
import { silentLogger } from "../../src/log.ts";
import { startFakeHubSpot, type FakeHubSpot } from "../fakes/hubspot-api.ts";

const SECRET = { access_token: "pat-na1-fake" };
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const day = (text: string) => parseDay(text)!;

let hubspot: FakeHubSpot;
let waits: number[];

beforeEach(async () => {
  hubspot = await startFakeHubSpot({ now: "2025-01-15T12:00:00Z" });
  waits = [];
});
afterEach(() => hubspot.close());

async function sync(cursor: HubSpotCursor | null, settings: object = {}): Promise<SyncPage<HubSpotCursor>[]> {
  const http = createSourceHttp({
    baseUrl: hubspot.baseUrl,
    headers: hubspotConnector.authHeaders(SECRET),
    source: "HubSpot",
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  });
  const pages: SyncPage<HubSpotCursor>[] = [];
  const context = {
    settings: hubspotConnector.settings.parse(settings),
    secret: SECRET,
    cursor: cursor === null ? null : hubspotConnector.cursor.parse(cursor),
    http,
    now: new Date(hubspot.clock.now()),
    signal: new AbortController().signal,
    log: silentLogger,
  };
  for await (const page of hubspotConnector.sync(context)) pages.push(page);
  return pages;
}

const accountsOf = (pages: SyncPage<unknown>[]) => pages.flatMap((p) => p.accounts ?? []);
const rejectedOf = (pages: SyncPage<unknown>[]) => pages.flatMap((p) => p.rejected ?? []);
const lastCursor = (pages: SyncPage<HubSpotCursor>[]) => pages.at(-1)!.cursor;
const account = (pages: SyncPage<unknown>[], id: string) => accountsOf(pages).find((a) => a.sourceId === id);
const searches = () => hubspot.requestsTo("/crm/v3/objects/companies/search");
const MAPPING = {
  account_id_property: "customer_account_id",
  segment_property: "tier",
  churn_date_property: "churn_date",
};

describe("HubSpot connector: first sync", () => {
  it("lists every company across pages and maps customers with their owners' emails", async () => {
    const owners = Array.from({ length: 120 }, (_, i) =>
      hubspot.addOwner({ email: `Rep${i}@Vendor.example` }),
    );
    const ids: string[] = [];
    for (let i = 0; i < 250; i++) {
      const stage = i % 5 === 0 ? "lead" : i % 5 === 1 ? "evangelist" : "customer";
      ids.push(
        hubspot.addCompany({ name: `Company ${i}`, domain: `c${i}.example`, lifecyclestage: stage }).id,
      );
    }
    const acme = hubspot.addCompany({
      name: "Acme",
      domain: "https://www.ACME.com/",
      lifecyclestage: "customer",
      hubspot_owner_id: owners[110]!.id,
      renewal_date: "2025-09-30",
      customer_account_id: "A-42",
      tier: "enterprise",
      hs_lifecyclestage_customer_date: "2023-04-01T10:00:00.000Z",
    }).id;
    const gone = hubspot.addCompany({ name: "Gone", lifecyclestage: "other", churn_date: "2024-12-31" }).id;
    const unknownOwner = hubspot.addCompany({
      name: "Orphan",
      lifecyclestage: "customer",
      hubspot_owner_id: "999",
    }).id;
    hubspot.clock.advance(HOUR);

    const pages = await sync(null, MAPPING);

    expect(hubspot.requestsTo("/crm/v3/owners")).toHaveLength(2);
    const lists = hubspot.requestsTo("/crm/v3/objects/companies");
    expect(lists).toHaveLength(3);
    expect(lists[1]!.query.after).toBe(ids[100]);
    expect(String(lists[0]!.query.properties).split(",")).toEqual(
      expect.arrayContaining([
        "name",
        "domain",
        "hubspot_owner_id",
        "lifecyclestage",
        "renewal_date",
        "customer_account_id",
        "tier",
        "churn_date",
      ]),
    );
    expect(pages.map((p) => p.cursor.mode)).toEqual(["list", "list", "search"]);
    expect(pages[0]!.cursor).toEqual({ mode: "list", after: ids[100], since: "2025-01-15T12:59:00.000Z" });
    expect(lastCursor(pages)).toEqual({ mode: "search", since: "2025-01-15T12:59:00.000Z" });
    expect(pages.reduce((n, p) => n + p.read, 0)).toBe(120 + 253);
    expect(searches()).toHaveLength(0); // the first sync is the list alone

    // Leads are not accounts; customers and evangelists are, and so is a churned former customer.
    expect(accountsOf(pages)).toHaveLength(200 + 3);
    expect(account(pages, ids[0]!)).toBeUndefined();
    expect(account(pages, ids[1]!)).toMatchObject({
      name: "Company 1",
      domain: "c1.example",
      status: "active",
      owner: null,
    });
    expect(account(pages, acme)).toEqual({
      sourceId: acme,
      name: "Acme",
      domain: "acme.com",
      owner: "rep110@vendor.example",
      externalId: "A-42",
      segment: "enterprise",
      renewalDate: day("2025-09-30"),
      createdAt: day("2023-04-01"),
      status: "active",
      churnedAt: null,
    });
    expect(account(pages, gone)).toMatchObject({ status: "churned", churnedAt: day("2024-12-31") });
    expect(account(pages, unknownOwner)?.owner).toBeNull();
  });

  it("reads the renewal date from the configured property, and leaves unset mappings undefined", async () => {
    const id = hubspot.addCompany({
      name: "R",
      lifecyclestage: "customer",
      next_renewal: "1759190400000",
      renewal_date: "2020-01-01",
    }).id;
    const pages = await sync(null, { renewal_date_property: "next_renewal", customer_stages: ["customer"] });
    const a = account(pages, id)!;
    expect(a.renewalDate).toBe(day("2025-09-30")); // HubSpot's milliseconds since the epoch
    expect(a.externalId).toBeUndefined();
    expect(a.segment).toBeUndefined();
    expect(String(hubspot.requestsTo("/crm/v3/objects/companies")[0]!.query.properties)).toContain(
      "next_renewal",
    );
  });
});

describe("HubSpot connector: incremental syncs", () => {
  it("searches only companies modified since the cursor, ascending, and moves the cursor", async () => {
    const a = hubspot.addCompany({ name: "A", lifecyclestage: "customer" }).id;
    const b = hubspot.addCompany({ name: "B", lifecyclestage: "lead" }).id;
    hubspot.addCompany({ name: "Untouched", lifecyclestage: "customer" });
    const c = hubspot.addCompany({ name: "C", lifecyclestage: "customer" }).id;
    hubspot.clock.advance(HOUR);
    const first = await sync(null, MAPPING);

    hubspot.clock.advance(HOUR);
    hubspot.updateCompany(a, { name: "A2", domain: "a2.example" });
    hubspot.clock.advance(10 * MINUTE);
    hubspot.updateCompany(b, { lifecyclestage: "customer" }); // won: now an account
    hubspot.clock.advance(10 * MINUTE);
    hubspot.updateCompany(c, { churn_date: "2025-01-15" });
    hubspot.clock.advance(10 * MINUTE);
    const d = hubspot.addCompany({ name: "D", lifecyclestage: "customer", customer_account_id: "D-1" }).id;
    const last = hubspot.clock.now();
    hubspot.clock.advance(HOUR);

    const pages = await sync(lastCursor(first), MAPPING);

    expect(accountsOf(pages).map((x) => [x.sourceId, x.name, x.status])).toEqual([
      [a, "A2", "active"],
      [b, "B", "active"],
      [c, "C", "churned"],
      [d, "D", "active"],
    ]);
    expect(account(pages, d)?.externalId).toBe("D-1");
    const search = searches()[0]!.body as {
      filterGroups: { filters: { operator: string; value: string }[] }[];
      sorts: unknown[];
    };
    expect(search.filterGroups[0]!.filters[0]).toMatchObject({ operator: "GTE" });
    expect(search.sorts).toEqual([{ propertyName: "hs_lastmodifieddate", direction: "ASCENDING" }]);
    expect(lastCursor(pages)).toEqual({ mode: "search", since: new Date(last).toISOString() });

    // Nothing changed since: the search, started two minutes early for HubSpot's index lag, finds D again.
    const again = await sync(lastCursor(pages), MAPPING);
    expect(accountsOf(again).map((x) => x.sourceId)).toEqual([d]);
  });

  it("pages past HubSpot's 10,000-result search cap and through companies modified at one instant", async () => {
    const start = Date.parse("2025-01-10T00:00:00Z");
    for (let i = 0; i < 10_150; i++)
      hubspot.addCompany({ name: `S${i}`, lifecyclestage: "customer" }, { createdAt: start + i * 1000 });
    // 450 more modified at the same millisecond: more than two search pages share one hs_lastmodifieddate.
    const tie = start + 20_000_000;
    for (let i = 0; i < 450; i++)
      hubspot.addCompany({ name: `T${i}`, lifecyclestage: "customer" }, { createdAt: tie });

    const pages = await sync({ mode: "search", since: new Date(start).toISOString() });

    const ids = accountsOf(pages).map((a) => a.sourceId);
    expect(new Set(ids).size).toBe(10_600);
    expect(ids).toHaveLength(10_600);
    expect(searches()).toHaveLength(53);
    expect(searches().every((r) => r.status === 200)).toBe(true);
    // Each search restarts from the last instant read; `after` only skips what was read at that instant.
    expect(
      searches()
        .map((r) => (r.body as { after?: string }).after)
        .filter(Boolean),
    ).toEqual([...Array<string>(50).fill("1"), "50", "250"]);
    expect(lastCursor(pages)).toEqual({ mode: "search", since: new Date(tie).toISOString() });
  }, 60_000);
});

describe("HubSpot connector: faults", () => {
  it("waits Retry-After on 429 and retries 5xx", async () => {
    hubspot.addCompany({ name: "A", lifecyclestage: "customer" });
    hubspot.failNext("/crm/v3/objects/companies", { status: 429, retryAfter: 3 });
    hubspot.failNext("/crm/v3/owners", { status: 502 });
    const pages = await sync(null);
    expect(waits).toContain(3000);
    expect(waits).toHaveLength(2);
    expect(accountsOf(pages)).toHaveLength(1);
  });

  it("throws ConnectorAuthError when the token has expired", async () => {
    hubspot.revokeCredentials();
    await expect(sync(null)).rejects.toBeInstanceOf(ConnectorAuthError);
    hubspot.rotateCredentials(["other"]);
    await expect(sync({ mode: "search", since: "2025-01-01T00:00:00.000Z" })).rejects.toThrow(
      /HubSpot refused the credentials \(HTTP 401/,
    );
  });

  it("rejects malformed companies, owners and dates with reasons and uses the rest", async () => {
    const owner = hubspot.addOwner({ email: "a@vendor.example" });
    hubspot.addOwner({ email: "b@vendor.example" });
    const bad = hubspot.addCompany({ name: "Bad", lifecyclestage: "customer" }).id;
    const good = hubspot.addCompany({
      name: "Good",
      lifecyclestage: "customer",
      hubspot_owner_id: owner.id,
    }).id;
    const soon = hubspot.addCompany({ name: "Soon", lifecyclestage: "customer", renewal_date: "soon" }).id;
    hubspot.failNext("/crm/v3/objects/companies", { malformed: true });
    hubspot.failNext("/crm/v3/owners", { malformed: true });

    const pages = await sync(null);

    expect(rejectedOf(pages)).toEqual([
      { record: `owner ${owner.id}`, reason: "id: expected string, received number; no email" },
      { record: `company ${bad}`, reason: "no properties" },
      { record: `company ${soon}`, reason: 'renewal_date: not a date: "soon"' },
    ]);
    expect(accountsOf(pages).map((a) => a.sourceId)).toEqual([good]);
    expect(account(pages, good)?.owner).toBeNull(); // its owner's record was the malformed one
    expect(pages[0]!.read).toBe(2 + 3);
  });
});
