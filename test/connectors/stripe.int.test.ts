// The Stripe connector against the fake Stripe API over real HTTP: the first sync (customers, MRR,
// churn, failed invoices), incremental syncs from the event stream, and the source's faults.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConnectorAuthError, type SyncPage } from "../../src/connectors/contract.ts";
import { createSourceHttp } from "../../src/connectors/http.ts";
import { stripeConnector, type StripeCursor } from "../../src/connectors/stripe.ts";
import { dateToDay, parseDay } from "../../src/domain/dates.ts";
import { silentLogger } from "../../src/log.ts";
import { startFakeStripe, type FakeStripe } from "../fakes/stripe-api.ts";

const SECRET = { api_key: "sk_test_fake" };
const day = (text: string) => parseDay(text)!;

let stripe: FakeStripe;
let waits: number[];

beforeEach(async () => {
  stripe = await startFakeStripe({ now: "2025-01-15T12:00:00Z" });
  waits = [];
});
afterEach(() => stripe.close());

async function sync(cursor: StripeCursor | null): Promise<SyncPage<StripeCursor>[]> {
  const http = createSourceHttp({
    baseUrl: stripe.baseUrl,
    headers: stripeConnector.authHeaders(SECRET),
    source: "Stripe",
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  });
  const pages: SyncPage<StripeCursor>[] = [];
  const context = {
    settings: stripeConnector.settings.parse({}),
    secret: SECRET,
    cursor: cursor === null ? null : stripeConnector.cursor.parse(cursor),
    http,
    now: new Date(stripe.clock.now()),
    signal: new AbortController().signal,
    log: silentLogger,
  };
  for await (const page of stripeConnector.sync(context)) pages.push(page);
  return pages;
}

const accountsOf = (pages: SyncPage<unknown>[]) => pages.flatMap((p) => p.accounts ?? []);
const metricsOf = (pages: SyncPage<unknown>[]) => pages.flatMap((p) => p.metrics ?? []);
const rejectedOf = (pages: SyncPage<unknown>[]) => pages.flatMap((p) => p.rejected ?? []);
const lastCursor = (pages: SyncPage<StripeCursor>[]) => pages.at(-1)!.cursor;
const account = (pages: SyncPage<unknown>[], id: string) => accountsOf(pages).find((a) => a.sourceId === id);
const monthly = (
  unit_amount: number,
  interval: "day" | "week" | "month" | "year" = "month",
  interval_count = 1,
) => ({
  unit_amount,
  interval,
  interval_count,
});

describe("Stripe connector: first sync", () => {
  it("reads every customer across pages, with identity fields and MRR, and ends on the event stream", async () => {
    for (let i = 1; i <= 230; i++) {
      stripe.addCustomer({ email: `billing@c${i}.example`, name: `Customer ${i}` });
      stripe.clock.advance(1000);
    }
    const acme = stripe.addCustomer({
      email: "Jane@Acme.COM",
      name: "Acme",
      metadata: { account_id: "A-42" },
    });
    const gmail = stripe.addCustomer({ email: "founder@gmail.com", name: "Solo" });
    const meta = stripe.addCustomer({
      email: "x@gmail.com",
      metadata: { domain: "https://www.Initech.com/" },
    });
    stripe.addSubscription({ customer: acme.id, items: [{ price: monthly(5000), quantity: 3 }] });

    const pages = await sync(null);

    const customerRequests = stripe.requestsTo("/v1/customers");
    expect(customerRequests).toHaveLength(3);
    expect(customerRequests[1]!.query.starting_after).toBeDefined();
    expect(accountsOf(pages)).toHaveLength(233);
    expect(new Set(accountsOf(pages).map((a) => a.sourceId)).size).toBe(233);
    expect(pages.map((p) => p.cursor.phase)).toEqual(["customers", "customers", "invoices", "events"]);
    expect(pages.reduce((n, p) => n + p.read, 0)).toBe(233 + 1); // customers and the subscription

    expect(account(pages, acme.id)).toMatchObject({
      name: "Acme",
      domain: "acme.com",
      externalId: "A-42",
      mrr: 150,
      status: "active",
      createdAt: dateToDay(new Date(stripe.clock.now())),
    });
    expect(account(pages, gmail.id)).toMatchObject({ domain: null, externalId: null, mrr: 0 });
    expect(account(pages, gmail.id)?.status).toBeUndefined();
    expect(account(pages, meta.id)?.domain).toBe("initech.com");
    expect(account(pages, "cus_00000000000001")?.domain).toBe("c1.example");
    expect(metricsOf(pages)).toContainEqual({
      sourceAccountId: acme.id,
      metric: "mrr",
      value: 150,
      observedOn: day("2025-01-15"),
    });
    // The event stream resumes after the newest event, with every id at its second (four share it).
    const newest = stripe.allEvents().at(-1)!;
    const atNewest = stripe.allEvents().filter((e) => e.created === newest.created);
    expect(atNewest).toHaveLength(4);
    const cursor = lastCursor(pages);
    expect(cursor.phase).toBe("events");
    expect(cursor.mark.created).toBe(newest.created);
    expect([...cursor.mark.ids].sort()).toEqual(atNewest.map((e) => e.id).sort());
  });

  it("normalises MRR to a month across intervals, interval counts, quantities and currencies", async () => {
    const c = (name: string) => stripe.addCustomer({ name, email: `${name}@${name}.example` }).id;
    const cases: [string, number][] = [];
    const add = (
      items: {
        price: Parameters<FakeStripe["addSubscription"]>[0]["items"][0]["price"];
        quantity?: number;
      }[],
      mrr: number,
      status?: "trialing" | "past_due" | "unpaid" | "incomplete",
    ) => {
      const id = c(`n${cases.length}`);
      stripe.addSubscription({ customer: id, items, status });
      cases.push([id, mrr]);
    };
    add([{ price: monthly(5000), quantity: 3 }], 150);
    add([{ price: monthly(120_000, "year") }], 100);
    add([{ price: monthly(1000, "week", 2), quantity: 2 }], 43.33); // 10 × 2 × 52/12 / 2
    add([{ price: monthly(100, "day") }], 30.44); // 1 × 30.4375
    add([{ price: monthly(30_000, "month", 3) }], 100);
    add([{ price: monthly(240_000, "year", 2), quantity: 5 }], 500);
    add([{ price: monthly(1000) }, { price: monthly(12_000, "year"), quantity: 2 }], 30);
    add([{ price: { ...monthly(3000), currency: "jpy" } }], 3000);
    add([{ price: monthly(2000) }], 20, "trialing");
    add([{ price: monthly(2000) }], 20, "past_due");
    add([{ price: monthly(2000) }], 0, "unpaid");
    add([{ price: monthly(2000) }], 0, "incomplete");

    const pages = await sync(null);

    for (const [id, mrr] of cases) expect({ id, mrr: account(pages, id)?.mrr }).toEqual({ id, mrr });
  });

  it("marks a customer churned when all its subscriptions ended, on the last end", async () => {
    const gone = stripe.addCustomer({ name: "Gone" }).id;
    const a = stripe.addSubscription({ customer: gone, items: [{ price: monthly(1000) }] });
    const b = stripe.addSubscription({ customer: gone, items: [{ price: monthly(2000) }] });
    const partly = stripe.addCustomer({ name: "Partly" }).id;
    const c = stripe.addSubscription({ customer: partly, items: [{ price: monthly(1000) }] });
    stripe.addSubscription({ customer: partly, items: [{ price: monthly(4000) }] });
    stripe.cancelSubscription(a.id);
    stripe.clock.set("2025-01-20T09:00:00Z");
    stripe.cancelSubscription(b.id);
    stripe.cancelSubscription(c.id);

    const pages = await sync(null);

    expect(account(pages, gone)).toMatchObject({ status: "churned", churnedAt: day("2025-01-20"), mrr: 0 });
    expect(account(pages, partly)).toMatchObject({ status: "active", churnedAt: null, mrr: 40 });
  });

  it("counts failed and past-due invoices as failed_payments on the day they failed", async () => {
    const cus = stripe.addCustomer({ name: "Late" }).id;
    const sub = stripe.addSubscription({ customer: cus, items: [{ price: monthly(1000) }] });
    stripe.clock.set("2025-01-10T08:00:00Z");
    stripe.markPastDue(sub.id);
    stripe.addInvoice({
      customer: cus,
      amount_due: 500,
      status: "uncollectible",
      created: Date.parse("2025-01-10T09:00:00Z") / 1000,
    });
    const unattempted = Date.parse("2025-01-02T00:00:00Z") / 1000;
    stripe.addInvoice({
      customer: cus,
      amount_due: 700,
      due_date: unattempted,
      created: unattempted - 86_400 * 30,
    });
    stripe.addInvoice({ customer: cus, amount_due: 900 }); // open, not yet attempted nor due: not failed
    stripe.addInvoice({ customer: cus, amount_due: 900, status: "paid" });
    stripe.clock.set("2025-01-15T12:00:00Z");

    const pages = await sync(null);

    const failed = metricsOf(pages).filter((m) => m.metric === "failed_payments");
    expect(failed).toEqual(
      expect.arrayContaining([
        { sourceAccountId: cus, metric: "failed_payments", value: 2, observedOn: day("2025-01-10") },
        { sourceAccountId: cus, metric: "failed_payments", value: 1, observedOn: day("2025-01-02") },
      ]),
    );
    expect(failed).toHaveLength(2);
  });
});

describe("Stripe connector: incremental syncs from events", () => {
  it("reads only what changed, with MRR moves on the day and a cursor at the newest event", async () => {
    const stay = stripe.addCustomer({ name: "Stay", email: "a@stay.example" }).id;
    const down = stripe.addCustomer({ name: "Down" }).id;
    const up = stripe.addCustomer({ name: "Up" }).id;
    const leave = stripe.addCustomer({ name: "Leave" }).id;
    const late = stripe.addCustomer({ name: "Late" }).id;
    stripe.addSubscription({ customer: stay, items: [{ price: monthly(1000) }] });
    const downSub = stripe.addSubscription({
      customer: down,
      items: [{ price: monthly(1000), quantity: 10 }],
    });
    const upSub = stripe.addSubscription({ customer: up, items: [{ price: monthly(12_000, "year") }] });
    const leaveSub = stripe.addSubscription({ customer: leave, items: [{ price: monthly(9900) }] });
    const lateSub = stripe.addSubscription({ customer: late, items: [{ price: monthly(5000) }] });
    const first = await sync(null);
    const requestsBefore = stripe.requests.length;

    stripe.clock.set("2025-01-16T10:00:00Z");
    stripe.updateCustomer(stay, { name: "Stay Inc", metadata: { account_id: "S-1" } });
    stripe.changeSubscription(downSub.id, { quantity: 4 }); // 100 → 40
    stripe.changeSubscription(upSub.id, { price: monthly(2500) }); // 10 → 25
    stripe.cancelSubscription(leaveSub.id);
    stripe.markPastDue(lateSub.id);
    const fresh = stripe.addCustomer({ name: "Fresh", email: "ops@fresh.example" }).id;
    stripe.addSubscription({ customer: fresh, items: [{ price: monthly(3000) }] });

    const pages = await sync(lastCursor(first));

    expect(stripe.requests.slice(requestsBefore).some((r) => r.path === "/v1/customers")).toBe(false);
    expect(
      accountsOf(pages)
        .map((a) => a.sourceId)
        .sort(),
    ).toEqual([stay, down, up, leave, late, fresh].sort());
    expect(account(pages, stay)).toMatchObject({
      name: "Stay Inc",
      externalId: "S-1",
      domain: "stay.example",
    });
    expect(account(pages, down)).toMatchObject({ mrr: 40, status: "active" });
    expect(account(pages, up)?.mrr).toBe(25);
    expect(account(pages, leave)).toMatchObject({ mrr: 0, status: "churned", churnedAt: day("2025-01-16") });
    expect(account(pages, late)).toMatchObject({ mrr: 50, status: "active" }); // past_due still counts
    expect(account(pages, fresh)).toMatchObject({ name: "Fresh", domain: "fresh.example", mrr: 30 });
    const on16 = (metric: string) =>
      metricsOf(pages).filter((m) => m.metric === metric && m.observedOn === day("2025-01-16"));
    expect(on16("mrr_contraction")).toEqual([
      { sourceAccountId: down, metric: "mrr_contraction", value: 60, observedOn: day("2025-01-16") },
    ]);
    expect(on16("mrr_expansion")).toEqual([
      { sourceAccountId: up, metric: "mrr_expansion", value: 15, observedOn: day("2025-01-16") },
    ]);
    expect(on16("mrr_churned")).toEqual([
      { sourceAccountId: leave, metric: "mrr_churned", value: 99, observedOn: day("2025-01-16") },
    ]);
    expect(on16("failed_payments")).toEqual([
      { sourceAccountId: late, metric: "failed_payments", value: 1, observedOn: day("2025-01-16") },
    ]);
    expect(on16("mrr").find((m) => m.sourceAccountId === down)?.value).toBe(40);

    const newest = stripe.allEvents().at(-1)!;
    const cursor = lastCursor(pages);
    expect(cursor.phase).toBe("events");
    expect(cursor.mark.created).toBe(newest.created);
    expect(cursor.mark.ids).toEqual(
      stripe
        .allEvents()
        .filter((e) => e.created === newest.created && /^(customer|invoice\.payment_failed)/.test(e.type))
        .map((e) => e.id),
    );
    expect(await sync(cursor)).toEqual([]); // nothing new: no page
  });

  it("applies events sharing a second once, across syncs", async () => {
    const cus = stripe.addCustomer({ name: "Same Second" }).id;
    const first = await sync(null);
    stripe.updateCustomer(cus, { name: "Two" }); // same second as the mark
    const second = await sync(lastCursor(first));
    expect(accountsOf(second).map((a) => a.name)).toEqual(["Two"]);
    stripe.updateCustomer(cus, { name: "Three" }); // still the same second
    const third = await sync(lastCursor(second));
    expect(accountsOf(third).map((a) => a.name)).toEqual(["Three"]);
    expect(lastCursor(third).mark.ids).toHaveLength(3);
    expect(await sync(lastCursor(third))).toEqual([]);
  });

  it("keeps a day's failed_payments whole when its failures arrive in different syncs", async () => {
    const cus = stripe.addCustomer({ name: "Fails" }).id;
    const a = stripe.addSubscription({ customer: cus, items: [{ price: monthly(1000) }] });
    const b = stripe.addSubscription({ customer: cus, items: [{ price: monthly(2000) }] });
    let cursor = lastCursor(await sync(null));
    stripe.clock.set("2025-01-16T08:00:00Z");
    const invoice = stripe.markPastDue(a.id);
    cursor = lastCursor(await sync(cursor));
    stripe.clock.set("2025-01-16T15:00:00Z");
    stripe.markPastDue(b.id);
    stripe.failInvoicePayment(invoice.id); // a retry of the first invoice: not another failed invoice
    const pages = await sync(cursor);
    expect(metricsOf(pages).filter((m) => m.metric === "failed_payments")).toEqual([
      { sourceAccountId: cus, metric: "failed_payments", value: 2, observedOn: day("2025-01-16") },
    ]);
    stripe.clock.set("2025-01-17T08:00:00Z");
    stripe.failInvoicePayment(stripe.addInvoice({ customer: cus, amount_due: 100 }).id);
    const next = await sync(lastCursor(pages));
    expect(metricsOf(next).filter((m) => m.metric === "failed_payments")).toEqual([
      { sourceAccountId: cus, metric: "failed_payments", value: 1, observedOn: day("2025-01-17") },
    ]);
  });

  it("commits long event streams in chunks, each cursor safe to resume from", async () => {
    const cus = stripe.addCustomer({ name: "Busy" }).id;
    const cursor = lastCursor(await sync(null));
    for (let i = 0; i < 250; i++) {
      stripe.clock.advance(1000);
      stripe.updateCustomer(cus, { name: `Busy ${i}` });
    }
    const pages = await sync(cursor);
    expect(pages.map((p) => p.read)).toEqual([100, 100, 50]);
    expect(accountsOf(pages).map((a) => a.name)).toEqual(["Busy 99", "Busy 199", "Busy 249"]);
    // Resuming from the first chunk's cursor reads the other 150 only.
    const resumed = await sync(pages[0]!.cursor);
    expect(resumed.reduce((n, p) => n + p.read, 0)).toBe(150);
    expect(accountsOf(resumed).at(-1)?.name).toBe("Busy 249");
  });
});

describe("Stripe connector: faults", () => {
  it("waits Retry-After on 429 and retries 5xx", async () => {
    stripe.addCustomer({ name: "One" });
    stripe.failNext("/v1/customers", { status: 429, retryAfter: 7 });
    stripe.failNext("/v1/subscriptions", { status: 503 });
    const pages = await sync(null);
    expect(waits[0]).toBeGreaterThanOrEqual(0);
    expect(waits).toContain(7000);
    expect(waits).toHaveLength(2);
    expect(accountsOf(pages)).toHaveLength(1);
    expect(stripe.requestsTo("/v1/customers").map((r) => r.status)).toEqual([429, 200]);
  });

  it("throws ConnectorAuthError when the key has expired", async () => {
    stripe.addCustomer({ name: "One" });
    stripe.revokeCredentials();
    await expect(sync(null)).rejects.toBeInstanceOf(ConnectorAuthError);
  });

  it("rejects malformed records with reasons and uses the rest of the page", async () => {
    const ids = [0, 1, 2, 3, 4].map((i) => stripe.addCustomer({ name: `C${i}` }).id);
    // The newest (malformed) subscription is C0's; the newest (malformed) customer is C4.
    for (const cus of [...ids].reverse())
      stripe.addSubscription({ customer: cus, items: [{ price: monthly(1000) }] });
    stripe.failNext("/v1/customers", { malformed: true });
    stripe.failNext("/v1/subscriptions", { malformed: true });
    const pages = await sync(null);
    const rejected = rejectedOf(pages);
    expect(rejected).toEqual([
      {
        record: expect.stringMatching(/^subscription sub_/) as string,
        reason: expect.stringMatching(/^no customer; items: /) as string,
      },
      {
        record: expect.stringMatching(/^customer cus_/) as string,
        reason: expect.stringMatching(/^no created; email: expected string/) as string,
      },
    ]);
    expect(accountsOf(pages)).toHaveLength(4);
    expect(accountsOf(pages).map((a) => [a.name, a.mrr])).toEqual([
      ["C3", 10],
      ["C2", 10],
      ["C1", 10],
      ["C0", 0], // its only subscription was unusable
    ]);
    expect(pages[0]!.read).toBe(10);

    const cus = stripe.addCustomer({ name: "Later" }).id;
    stripe.updateCustomer(cus, { name: "Later 2" });
    stripe.failNext("/v1/events", { malformed: true });
    const next = await sync(lastCursor(pages));
    expect(rejectedOf(next)).toEqual([
      {
        record: expect.stringMatching(/^event evt_/) as string,
        reason: expect.stringMatching(/^created: /) as string,
      },
    ]);
    expect(next[0]!.read).toBe(2);
    expect(accountsOf(next)).toHaveLength(1);
  });
});
