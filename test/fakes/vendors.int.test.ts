// The Stripe, HubSpot and Zendesk fakes, driven with plain fetch the way a connector would drive the
// vendors: pagination to the end, auth refusals, 429 with Retry-After, 5xx, malformed pages, and the
// incremental filters under a controlled clock.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeHubSpot, type FakeHubSpot, type HubSpotCompany, type HubSpotOwner } from "./hubspot-api.ts";
import {
  startFakeStripe,
  type FakeStripe,
  type StripeCustomer,
  type StripeEvent,
  type StripeInvoice,
  type StripeSubscription,
} from "./stripe-api.ts";
import {
  startFakeZendesk,
  type FakeZendesk,
  type ZendeskOrganization,
  type ZendeskSatisfactionRating,
  type ZendeskTicket,
} from "./zendesk-api.ts";

interface Answer<T> {
  status: number;
  headers: Headers;
  body: T;
}
async function call<T = Record<string, unknown>>(url: string, init: RequestInit = {}): Promise<Answer<T>> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // a plain-text answer stays text
  }
  return { status: res.status, headers: res.headers, body: body as T };
}
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const basic = (user: string, password: string) => ({
  headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` },
});
const MINUTE = 60_000;

type StripeList<T> = { object: "list"; data: T[]; has_more: boolean; url: string };
type StripeErrorBody = { error: { type: string; message: string; code?: string; param?: string } };

describe("fake Stripe API", () => {
  let stripe: FakeStripe;
  const KEY = bearer("sk_test_fake");
  const get = <T = StripeList<StripeCustomer>>(path: string, init: RequestInit = KEY) =>
    call<T>(`${stripe.baseUrl}${path}`, init);

  beforeEach(async () => {
    stripe = await startFakeStripe();
  });
  afterEach(() => stripe.close());

  it("pages newest first with starting_after and ending_before, and filters by created", async () => {
    const made: StripeCustomer[] = [];
    for (let i = 1; i <= 25; i++) {
      made.push(stripe.addCustomer({ email: `c${i}@example.com`, name: `Customer ${i}` }));
      stripe.clock.advance(1000);
    }
    const newestFirst = made.map((c) => c.id).reverse();
    const pages: string[][] = [];
    const more: boolean[] = [];
    let after: string | undefined;
    do {
      const { status, body } = await get(`/v1/customers?limit=10${after ? `&starting_after=${after}` : ""}`);
      expect(status).toBe(200);
      expect(body).toMatchObject({ object: "list", url: "/v1/customers" });
      pages.push(body.data.map((c) => c.id));
      more.push(body.has_more);
      after = body.has_more ? body.data.at(-1)?.id : undefined;
    } while (after);
    expect(pages).toEqual([newestFirst.slice(0, 10), newestFirst.slice(10, 20), newestFirst.slice(20)]);
    expect(more).toEqual([true, true, false]);
    expect((await get("/v1/customers")).body.data).toHaveLength(10); // the default limit

    const back = await get(`/v1/customers?limit=3&ending_before=${newestFirst[10]}`);
    expect(back.body.data.map((c) => c.id)).toEqual(newestFirst.slice(7, 10));
    expect(back.body.has_more).toBe(true);

    const [c20, c23] = [made[19], made[22]];
    const range = await get(`/v1/customers?created[gte]=${c20?.created}&created[lt]=${c23?.created}`);
    expect(range.body.data.map((c) => c.email)).toEqual([
      "c22@example.com",
      "c21@example.com",
      "c20@example.com",
    ]);

    const tooMany = await get<StripeErrorBody>("/v1/customers?limit=101");
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error).toMatchObject({ type: "invalid_request_error", param: "limit" });
    const lost = await get<StripeErrorBody>("/v1/customers?starting_after=cus_nobody");
    expect(lost.status).toBe(400);
    expect(lost.body.error).toMatchObject({ code: "resource_missing", param: "starting_after" });
  });

  it("takes the key as Bearer or Basic user and refuses missing, wrong and revoked keys", async () => {
    expect((await get("/v1/customers", basic("sk_test_fake", ""))).status).toBe(200);
    const none = await get<StripeErrorBody>("/v1/customers", {});
    expect(none.status).toBe(401);
    expect(none.body.error.message).toMatch(/^You did not provide an API key/);
    const wrong = await get<StripeErrorBody>("/v1/customers", bearer("sk_test_wrongkey1234"));
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toEqual({
      type: "invalid_request_error",
      message: "Invalid API Key provided: sk_test_********1234",
    });

    stripe.rotateCredentials(["sk_test_rolled"]);
    const old = await get<StripeErrorBody>("/v1/customers");
    expect(old.status).toBe(401);
    expect(old.body.error).toMatchObject({ code: "api_key_expired" });
    expect((await get("/v1/customers", bearer("sk_test_rolled"))).status).toBe(200);
    expect(stripe.requests.map((r) => [r.auth, r.status])).toEqual([
      ["basic", 200],
      ["none", 401],
      ["bearer", 401],
      ["bearer", 401],
      ["bearer", 200],
    ]);
  });

  it("answers injected 429s (Retry-After when given), 5xx and an expired key, then recovers", async () => {
    stripe.failNext("/v1/customers", { status: 429, retryAfter: 3 });
    stripe.failNext("/v1/customers", { status: 429 });
    const limited = await get<StripeErrorBody>("/v1/customers");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("3");
    expect(limited.body.error).toMatchObject({ type: "rate_limit_error", code: "rate_limit" });
    const again = await get("/v1/customers");
    expect([again.status, again.headers.get("retry-after")]).toEqual([429, null]);
    expect((await get("/v1/customers")).status).toBe(200);

    stripe.failNext(/^\/v1\//, { status: 503 }, 2);
    expect((await get("/v1/invoices")).status).toBe(503);
    const second = await get<StripeErrorBody>("/v1/events");
    expect([second.status, second.body.error.type]).toEqual([503, "api_error"]);
    expect((await get("/v1/events")).status).toBe(200);

    stripe.failNext("/v1/subscriptions", { status: 401 });
    expect((await get<StripeErrorBody>("/v1/subscriptions")).body.error.code).toBe("api_key_expired");
    expect((await get("/v1/subscriptions")).status).toBe(200);
    expect(stripe.requestsTo("/v1/customers").map((r) => r.status)).toEqual([429, 429, 200]);
  });

  it("records subscription changes as events, for an incremental sync through /v1/events", async () => {
    const acme = stripe.addCustomer({ email: "ops@acme.test", name: "Acme" });
    const globex = stripe.addCustomer({ email: "it@globex.test", name: "Globex" });
    const seat = { unit_amount: 5000, interval: "month" as const };
    const grow = stripe.addSubscription({ customer: acme.id, items: [{ price: seat, quantity: 3 }] });
    const late = stripe.addSubscription({ customer: globex.id, items: [{ price: seat, quantity: 2 }] });
    const gone = stripe.addSubscription({ customer: globex.id, items: [{ price: seat }] });
    expect(grow).toMatchObject({
      status: "active",
      current_period_end: grow.current_period_start + 31 * 86_400, // 2025-01-15 → 2025-02-15
      items: { object: "list", data: [{ quantity: 3, price: { recurring: { interval: "month" } } }] },
    });
    const since = stripe.clock.seconds();
    stripe.clock.advance(MINUTE);

    stripe.changeSubscription(grow.id, { quantity: 5 });
    const invoice = stripe.markPastDue(late.id);
    stripe.cancelSubscription(gone.id);

    type Events = StripeList<StripeEvent>;
    const changed = await get<Events>(
      `/v1/events?created[gt]=${since}&types[]=customer.subscription.updated&types[]=invoice.payment_failed`,
    );
    expect(changed.body.data.map((e) => [e.type, (e.data.object as { id: string }).id])).toEqual([
      ["customer.subscription.updated", late.id],
      ["invoice.payment_failed", invoice.id],
      ["customer.subscription.updated", grow.id],
    ]);
    const [pastDue, , quantity] = changed.body.data;
    expect(pastDue?.data).toMatchObject({
      object: { status: "past_due" },
      previous_attributes: { status: "active" },
    });
    expect(quantity?.data.previous_attributes).toMatchObject({ items: { data: [{ quantity: 3 }] } });
    const wildcard = await get<Events>(`/v1/events?created[gt]=${since}&type=customer.subscription.*`);
    expect(wildcard.body.data.map((e) => e.type)).toEqual([
      "customer.subscription.deleted",
      "customer.subscription.updated",
      "customer.subscription.updated",
    ]);
    expect((await get<Events>(`/v1/events?created[lte]=${since}`)).body.data).toHaveLength(5);
    expect((await get<StripeErrorBody>("/v1/events?type=a&types[]=b")).status).toBe(400);

    type Subs = StripeList<StripeSubscription>;
    const live = await get<Subs>("/v1/subscriptions");
    expect(live.body.data.map((s) => [s.id, s.status])).toEqual([
      [late.id, "past_due"],
      [grow.id, "active"],
    ]);
    const all = await get<Subs>(`/v1/subscriptions?status=all&customer=${globex.id}`);
    expect(all.body.data.map((s) => [s.id, s.status])).toEqual([
      [gone.id, "canceled"],
      [late.id, "past_due"],
    ]);
    expect(all.body.data[0]).toMatchObject({ canceled_at: since + 60, ended_at: since + 60 });

    const open = await get<StripeList<StripeInvoice>>(`/v1/invoices?status=open&customer=${globex.id}`);
    expect(open.body.data).toEqual([
      expect.objectContaining({
        id: invoice.id,
        amount_due: 10_000,
        amount_remaining: 10_000,
        attempt_count: 1,
      }),
    ]);
    stripe.payInvoice(invoice.id);
    expect((await get<Subs>(`/v1/subscriptions?status=past_due`)).body.data).toEqual([]);
  });

  it("serves one malformed page when told, and deleted customers as Stripe does", async () => {
    const acme = stripe.addCustomer({ name: "Acme" });
    stripe.addSubscription({ customer: acme.id, items: [{ price: { unit_amount: 100 } }] });
    stripe.failNext("/v1/subscriptions", { malformed: true });
    const [broken] = (await get<StripeList<Record<string, unknown>>>("/v1/subscriptions")).body.data;
    expect(broken).not.toHaveProperty("customer");
    const [fine] = (await get<StripeList<StripeSubscription>>("/v1/subscriptions")).body.data;
    expect(fine?.customer).toBe(acme.id);

    stripe.deleteCustomer(acme.id);
    expect((await get("/v1/customers")).body.data).toEqual([]);
    expect((await get(`/v1/customers/${acme.id}`)).body).toEqual({
      id: acme.id,
      object: "customer",
      deleted: true,
    });
    expect(stripe.allEvents().map((e) => e.type)).toEqual([
      "customer.created",
      "customer.subscription.created",
      "customer.deleted",
    ]);
  });
});

type HubSpotPage<T> = { results: T[]; paging?: { next: { after: string; link?: string } } };
type HubSpotSearch = HubSpotPage<HubSpotCompany> & { total: number };
type HubSpotError = {
  status: string;
  message: string;
  category?: string;
  errorType?: string;
  policyName?: string;
};

describe("fake HubSpot API", () => {
  let hubspot: FakeHubSpot;
  const TOKEN = bearer("pat-na1-fake");
  const get = <T = HubSpotPage<HubSpotCompany>>(path: string, init: RequestInit = TOKEN) =>
    call<T>(path.startsWith("http") ? path : `${hubspot.baseUrl}${path}`, init);
  const search = <T = HubSpotSearch>(body: unknown) =>
    call<T>(`${hubspot.baseUrl}/crm/v3/objects/companies/search`, {
      method: "POST",
      headers: { ...TOKEN.headers, "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  beforeEach(async () => {
    hubspot = await startFakeHubSpot();
  });
  afterEach(() => hubspot.close());

  it("pages companies with paging.next, showing only the requested properties", async () => {
    const ids = ["Acme", "Globex", "Initech", "Umbrella", "Hooli"].map(
      (name, i) =>
        hubspot.addCompany({
          name,
          domain: `${name.toLowerCase()}.test`,
          renewal_date: i ? null : "2025-06-30",
        }).id,
    );
    const pages: string[][] = [];
    let url: string | undefined = "/crm/v3/objects/companies?limit=2&properties=name,renewal_date";
    while (url) {
      const page: Answer<HubSpotPage<HubSpotCompany>> = await get(url);
      expect(page.status).toBe(200);
      pages.push(page.body.results.map((c) => c.id));
      url = page.body.paging?.next.link;
      if (url) expect(url).toContain(`after=${page.body.paging?.next.after}`);
    }
    expect(pages).toEqual([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4)]);

    const first = (await get("/crm/v3/objects/companies?properties=name,renewal_date")).body.results;
    expect(first[0]).toEqual({
      id: ids[0],
      properties: {
        name: "Acme",
        renewal_date: "2025-06-30",
        createdate: "2025-01-15T12:00:00.000Z",
        hs_lastmodifieddate: "2025-01-15T12:00:00.000Z",
        hs_object_id: ids[0],
      },
      createdAt: "2025-01-15T12:00:00.000Z",
      updatedAt: "2025-01-15T12:00:00.000Z",
      archived: false,
    });
    expect(first[1]?.properties.renewal_date).toBeNull();
    const defaults = (await get("/crm/v3/objects/companies")).body.results[0];
    expect(Object.keys(defaults?.properties ?? {}).sort()).toEqual(
      ["createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"].sort(),
    );
    const over = await get<HubSpotError>("/crm/v3/objects/companies?limit=101");
    expect([over.status, over.body.category]).toEqual([400, "VALIDATION_ERROR"]);
  });

  it("searches by hs_lastmodifieddate for an incremental sync, sorted, paged, capped at 10,000", async () => {
    const [acme, globex, initech] = ["Acme", "Globex", "Initech"].map((name) =>
      hubspot.addCompany({ name, lifecyclestage: "customer", hubspot_owner_id: "41000001" }),
    );
    hubspot.clock.advance(60 * MINUTE);
    const since = hubspot.clock.now();
    hubspot.updateCompany(initech?.id ?? "", { lifecyclestage: "evangelist" });
    hubspot.clock.advance(MINUTE);
    hubspot.updateCompany(acme?.id ?? "", { hubspot_owner_id: "41000002" });

    const changed = await search({
      filterGroups: [
        { filters: [{ propertyName: "hs_lastmodifieddate", operator: "GTE", value: String(since) }] },
      ],
      sorts: [{ propertyName: "hs_lastmodifieddate", direction: "DESCENDING" }],
      properties: ["name", "hubspot_owner_id"],
      limit: 1,
    });
    expect(changed.status).toBe(200);
    expect(changed.body.total).toBe(2);
    expect(changed.body.results.map((c) => c.properties.name)).toEqual(["Acme"]);
    expect(changed.body.results[0]?.properties).toMatchObject({ hubspot_owner_id: "41000002" });
    expect(changed.body.paging).toEqual({ next: { after: "1" } });
    const rest = await search({
      filterGroups: [
        { filters: [{ propertyName: "hs_lastmodifieddate", operator: "GTE", value: String(since) }] },
      ],
      sorts: ["-hs_lastmodifieddate"],
      limit: 1,
      after: "1",
    });
    expect(rest.body.results.map((c) => c.properties.name)).toEqual(["Initech"]);
    expect(rest.body).not.toHaveProperty("paging");

    // ISO values work too; filter groups are ORed, filters within one ANDed.
    const either = await search({
      filterGroups: [
        {
          filters: [
            { propertyName: "hs_lastmodifieddate", operator: "LT", value: new Date(since).toISOString() },
          ],
        },
        { filters: [{ propertyName: "lifecyclestage", operator: "EQ", value: "evangelist" }] },
      ],
    });
    expect(either.body.results.map((c) => c.id)).toEqual([globex?.id, initech?.id]);

    const beyond = await search<HubSpotError>({ after: "10000" });
    expect([beyond.status, beyond.body.category]).toEqual([400, "VALIDATION_ERROR"]);
    expect((await search<HubSpotError>({ limit: 201 })).status).toBe(400);
    expect((await search<HubSpotError>({ limit: 200 })).status).toBe(200);
  });

  it("lists owners, by email too", async () => {
    const owners = ["ana", "ben", "cy"].map((n) =>
      hubspot.addOwner({ email: `${n}@vendor.test`, firstName: n }),
    );
    const page = await get<HubSpotPage<HubSpotOwner>>("/crm/v3/owners?limit=2");
    expect(page.body.results.map((o) => o.email)).toEqual(["ana@vendor.test", "ben@vendor.test"]);
    expect(page.body.paging?.next.after).toBe(owners[2]?.id);
    const ben = await get<HubSpotPage<HubSpotOwner>>("/crm/v3/owners?email=BEN@vendor.test");
    expect(ben.body.results).toEqual([
      expect.objectContaining({ id: owners[1]?.id, firstName: "ben", type: "PERSON", archived: false }),
    ]);
    expect(typeof ben.body.results[0]?.userId).toBe("number");
  });

  it("refuses missing and revoked tokens, rate limits, fails and serves a malformed page as told", async () => {
    hubspot.addCompany({ name: "Acme" });
    const none = await get<HubSpotError>("/crm/v3/objects/companies", {});
    expect([none.status, none.body.category]).toEqual([401, "INVALID_AUTHENTICATION"]);
    expect(none.body.message).toMatch(/^Authentication credentials not found/);

    hubspot.failNext("/crm/v3/objects/companies", { status: 429, retryAfter: 2 });
    hubspot.failNext("/crm/v3/objects/companies", { status: 502 });
    hubspot.failNext("/crm/v3/objects/companies", { malformed: true });
    const limited = await get<HubSpotError>("/crm/v3/objects/companies");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("2");
    expect(limited.body).toMatchObject({
      status: "error",
      message: "You have reached your secondly limit.",
      errorType: "RATE_LIMIT",
      policyName: "SECONDLY",
    });
    expect((await get("/crm/v3/objects/companies")).status).toBe(502);
    const broken = (await get("/crm/v3/objects/companies")).body.results[0];
    expect(broken).toBeDefined();
    expect(broken).not.toHaveProperty("properties");
    expect((await get("/crm/v3/objects/companies")).body.results[0]?.properties.name).toBe("Acme");

    hubspot.revokeCredentials();
    const expired = await get<HubSpotError>("/crm/v3/objects/companies");
    expect([expired.status, expired.body.category]).toEqual([401, "EXPIRED_AUTHENTICATION"]);
  });
});

type ZendeskCursorPage<K extends string, T> = Record<K, T[]> & {
  meta: { has_more: boolean; after_cursor: string | null; before_cursor: string | null };
  links: { next: string | null; prev: string | null };
};
type TicketExport = {
  tickets: ZendeskTicket[];
  after_cursor: string | null;
  after_url: string | null;
  before_cursor: string | null;
  end_of_stream: boolean;
};
type ZendeskErrorBody = { error: string; description?: string };

describe("fake Zendesk API", () => {
  let zendesk: FakeZendesk;
  const AUTH = basic("agent@example.com/token", "zd-api-token");
  const get = <T>(path: string, init: RequestInit = AUTH) =>
    call<T>(path.startsWith("http") ? path : `${zendesk.baseUrl}${path}`, init);

  beforeEach(async () => {
    zendesk = await startFakeZendesk();
  });
  afterEach(() => zendesk.close());

  it("pages organizations by cursor until has_more is false, and by offset without page[size]", async () => {
    const ids = ["Acme", "Globex", "Initech", "Umbrella", "Hooli"].map(
      (name) =>
        zendesk.addOrganization({ name, domain_names: [`${name.toLowerCase()}.test`], external_id: name }).id,
    );
    type Orgs = ZendeskCursorPage<"organizations", ZendeskOrganization>;
    const pages: number[][] = [];
    let page = await get<Orgs>("/api/v2/organizations.json?page[size]=2");
    for (;;) {
      expect(page.status).toBe(200);
      pages.push(page.body.organizations.map((o) => o.id));
      if (!page.body.meta.has_more) break;
      page = await get<Orgs>(page.body.links.next ?? "");
    }
    expect(pages).toEqual([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4)]);
    expect(page.body.organizations[0]).toMatchObject({
      name: "Hooli",
      domain_names: ["hooli.test"],
      external_id: "Hooli",
      created_at: "2025-01-15T12:00:00Z",
      url: `${zendesk.baseUrl}/api/v2/organizations/${ids[4]}.json`,
    });
    const back = await get<Orgs>(
      `/api/v2/organizations?page[size]=2&page[before]=${page.body.meta.before_cursor}`,
    );
    expect(back.body.organizations.map((o) => o.id)).toEqual(ids.slice(2, 4));

    type Offset = { organizations: ZendeskOrganization[]; next_page: string | null; count: number };
    const offset = await get<Offset>("/api/v2/organizations.json?per_page=3");
    expect([offset.body.organizations.length, offset.body.count]).toEqual([3, 5]);
    const last = await get<Offset>(offset.body.next_page ?? "");
    expect([last.body.organizations.map((o) => o.id), last.body.next_page]).toEqual([ids.slice(3), null]);
  });

  it("exports tickets incrementally by cursor, leaving out the last minute", async () => {
    const start = zendesk.clock.seconds();
    const acme = zendesk.addOrganization({ name: "Acme" });
    const tickets = [1, 2, 3].map((n) => {
      zendesk.clock.advance(1000);
      return zendesk.addTicket({ subject: `Help ${n}`, organization_id: acme.id, status: "open" });
    });
    const tooSoon = await get<ZendeskErrorBody>(
      `/api/v2/incremental/tickets/cursor.json?start_time=${start}`,
    );
    expect([tooSoon.status, tooSoon.body.error]).toEqual([400, "InvalidValue"]);
    zendesk.clock.advance(2 * MINUTE);

    const first = await get<TicketExport>(
      `/api/v2/incremental/tickets/cursor.json?start_time=${start}&per_page=2`,
    );
    expect(first.body.tickets.map((t) => t.id)).toEqual([tickets[0]?.id, tickets[1]?.id]);
    expect(first.body.end_of_stream).toBe(false);
    expect(first.body.tickets[0]).toMatchObject({
      organization_id: acme.id,
      status: "open",
      subject: "Help 1",
    });
    const second = await get<TicketExport>(first.body.after_url ?? "");
    expect(second.body.tickets.map((t) => t.id)).toEqual([tickets[2]?.id]);
    expect(second.body.end_of_stream).toBe(true);
    const cursor = second.body.after_cursor ?? "";

    zendesk.updateTicket(tickets[0]?.id ?? 0, { status: "solved" });
    const settling = await get<TicketExport>(`/api/v2/incremental/tickets/cursor.json?cursor=${cursor}`);
    expect([settling.body.tickets, settling.body.after_cursor, settling.body.end_of_stream]).toEqual([
      [],
      cursor,
      true,
    ]);
    zendesk.clock.advance(MINUTE + 1000);
    const next = await get<TicketExport>(`/api/v2/incremental/tickets/cursor.json?cursor=${cursor}`);
    expect(next.body.tickets.map((t) => [t.id, t.status])).toEqual([[tickets[0]?.id, "solved"]]);
    expect(next.body.after_cursor).not.toBe(cursor);
  });

  it("exports organizations by time, with next_page and end_time", async () => {
    const start = zendesk.clock.seconds();
    const [a, b] = ["Acme", "Globex"].map((name) => zendesk.addOrganization({ name }));
    zendesk.clock.advance(10 * MINUTE);
    zendesk.updateOrganization(a?.id ?? 0, { tags: ["churn-risk"] });
    zendesk.clock.advance(2 * MINUTE);
    type Export = {
      organizations: ZendeskOrganization[];
      next_page: string;
      end_time: number;
      count: number;
      end_of_stream: boolean;
    };
    const page = await get<Export>(`/api/v2/incremental/organizations.json?start_time=${start}&per_page=1`);
    expect(page.body).toMatchObject({ count: 1, end_of_stream: false, end_time: start });
    expect(page.body.organizations.map((o) => o.id)).toEqual([b?.id]);
    const rest = await get<Export>(page.body.next_page);
    expect(rest.body.organizations.map((o) => [o.id, o.tags])).toEqual([
      [b?.id, []], // time-based exports repeat what shares the boundary second
    ]);
    const later = await get<Export>(`/api/v2/incremental/organizations.json?start_time=${start + 1}`);
    expect(later.body.organizations.map((o) => [o.id, o.tags])).toEqual([[a?.id, ["churn-risk"]]]);
    expect(later.body.end_of_stream).toBe(true);
  });

  it("lists satisfaction ratings by score and time, and a rating moves its ticket", async () => {
    const ticket = zendesk.addTicket({ subject: "Slow exports" });
    const offered = zendesk.addRating({ ticket_id: ticket.id, score: "offered" });
    zendesk.clock.advance(60 * MINUTE);
    const t1 = zendesk.clock.seconds();
    zendesk.updateRating(offered.id, { score: "bad", comment: "Still slow" });
    const other = zendesk.addTicket({ subject: "Thanks" });
    const good = zendesk.addRating({ ticket_id: other.id, score: "good" });

    type Ratings = ZendeskCursorPage<"satisfaction_ratings", ZendeskSatisfactionRating>;
    const received = await get<Ratings>("/api/v2/satisfaction_ratings.json?score=received&page[size]=1");
    expect(received.body.satisfaction_ratings.map((r) => [r.id, r.score, r.comment])).toEqual([
      [offered.id, "bad", "Still slow"],
    ]);
    expect(received.body.meta.has_more).toBe(true);
    const since = await get<Ratings>(`/api/v2/satisfaction_ratings?start_time=${t1}&page[size]=10`);
    expect(since.body.satisfaction_ratings.map((r) => r.id)).toEqual([good.id]);
    const withComment = await get<Ratings>(
      "/api/v2/satisfaction_ratings?score=bad_with_comment&page[size]=10",
    );
    expect(withComment.body.satisfaction_ratings).toHaveLength(1);

    zendesk.clock.advance(2 * MINUTE);
    const exported = await get<TicketExport>(`/api/v2/incremental/tickets/cursor.json?start_time=${t1}`);
    expect(exported.body.tickets.map((t) => [t.id, t.satisfaction_rating])).toEqual([
      [ticket.id, { id: offered.id, score: "bad", comment: "Still slow" }],
      [other.id, { id: good.id, score: "good", comment: null }],
    ]);
  });

  it("authenticates by API token or OAuth, refuses the rest, and fails as told", async () => {
    zendesk.addTicket({ organization_id: 1 });
    const path = "/api/v2/organizations.json";
    expect((await get(path, bearer("zd-oauth-token"))).status).toBe(200);
    const wrong = await get<ZendeskErrorBody>(path, basic("agent@example.com/token", "nope"));
    expect([wrong.status, wrong.body]).toEqual([401, { error: "Couldn't authenticate you" }]);
    expect((await get(path, basic("agent@example.com", "zd-api-token"))).status).toBe(401);

    zendesk.failNext("/api/v2/organizations", { status: 429, retryAfter: 7 });
    zendesk.failNext("/api/v2/organizations", { status: 429 });
    zendesk.failNext(/incremental\/tickets/, { status: 500 });
    zendesk.failNext(/incremental\/tickets/, { malformed: true });
    const limited = await get<string>(path);
    expect([limited.status, limited.headers.get("retry-after"), limited.body]).toEqual([
      429,
      "7",
      "Number of allowed API requests per minute exceeded",
    ]);
    expect((await get(path)).headers.get("retry-after")).toBe("1");
    expect((await get(path)).status).toBe(200);
    zendesk.clock.advance(2 * MINUTE);
    const exportPath = `/api/v2/incremental/tickets/cursor.json?start_time=0`;
    expect((await get(exportPath)).status).toBe(500);
    expect((await get<TicketExport>(exportPath)).body.tickets[0]?.organization_id).toBe("x");
    expect((await get<TicketExport>(exportPath)).body.tickets[0]?.organization_id).toBe(1);

    zendesk.revokeCredentials();
    expect((await get(path)).status).toBe(401);
    expect((await get(path, bearer("zd-oauth-token"))).status).toBe(401);
    expect(zendesk.requestsTo(path).map((r) => r.auth)).toContain("bearer");
  });
});
