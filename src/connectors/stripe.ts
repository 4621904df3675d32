// Stripe: customers to accounts (identity, MRR normalised to a month, churn from their subscriptions),
// failed invoices to `failed_payments`, and after the first sync the event stream for what changed:
// customer changes, subscription changes (MRR re-read; `mrr_churned`, `mrr_contraction` and
// `mrr_expansion` on the day) and payment failures. docs/connectors.md, "Stripe", says the same for admins.
//
// First sync: note the newest event (the mark), list subscriptions (status=all) into per-customer
// summaries, then customers page by page (each page committed with its position), then open and
// uncollectible invoices. Later syncs read /v1/events created at or after the mark (newest first, to
// the end), apply them oldest first and commit each chunk with the mark it reached. Events at the
// mark's second are told apart by id, so none is lost or applied twice.
import { z } from "zod";
import { dateToDay, type Day } from "../domain/dates.ts";
import type {
  CommonSettings,
  ConnectorDefinition,
  RejectedRecord,
  SourceAccount,
  SourceHttp,
  SourceMetric,
  SyncContext,
  SyncPage,
} from "./contract.ts";
import { commonSettingsShape } from "./common-settings.ts";
import {
  checkRecords,
  describeIssues,
  domainOfEmail,
  envelope,
  isObject,
  mergeAccounts,
  normaliseDomain,
  recordName,
  round2,
  unixToDay,
} from "./vendor-common.ts";

const settingsSchema = z.strictObject(commonSettingsShape);
const secretSchema = z.strictObject({
  api_key: z.string().regex(/^(sk|rk)_/, "a secret (sk_…) or restricted (rk_…) API key"),
});
const markSchema = z.object({ created: z.number().int().nonnegative(), ids: z.array(z.string()) });
/** Event-day totals of the latest event day, so a day's value stays whole across several syncs. */
const tallySchema = z.object({ day: z.number().int(), values: z.record(z.string(), z.number()) });
const cursorSchema = z.discriminatedUnion("phase", [
  z.object({ phase: z.literal("customers"), mark: markSchema, after: z.string().nullable() }),
  z.object({ phase: z.literal("invoices"), mark: markSchema, tally: tallySchema }),
  z.object({ phase: z.literal("events"), mark: markSchema, tally: tallySchema }),
]);

export type StripeSettings = CommonSettings;
export type StripeSecret = z.infer<typeof secretSchema>;
export type StripeCursor = z.infer<typeof cursorSchema>;
type Mark = z.infer<typeof markSchema>;
type TallyState = z.infer<typeof tallySchema>;
type Context = SyncContext<StripeSettings, StripeSecret, StripeCursor>;

// ---- Stripe's records (https://docs.stripe.com/api), lenient: unknown fields pass ----
const customerSchema = z.looseObject({
  id: z.string(),
  created: z.number().int(),
  email: z.string().nullish(),
  name: z.string().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
});
const itemSchema = z.looseObject({
  quantity: z.number().nonnegative().nullish(),
  price: z.looseObject({
    unit_amount: z.number().nullable(),
    currency: z.string(),
    recurring: z
      .looseObject({
        interval: z.enum(["day", "week", "month", "year"]),
        interval_count: z.number().int().positive(),
      })
      .nullable(),
  }),
});
const subscriptionSchema = z.looseObject({
  id: z.string(),
  customer: z.string(),
  status: z.string(),
  canceled_at: z.number().int().nullish(),
  ended_at: z.number().int().nullish(),
  items: z.looseObject({ data: z.array(itemSchema) }),
});
const invoiceSchema = z.looseObject({
  id: z.string(),
  customer: z.string(),
  status: z.string().nullable(),
  attempt_count: z.number().int(),
  due_date: z.number().int().nullable(),
  created: z.number().int(),
});
const eventSchema = z.looseObject({
  id: z.string(),
  type: z.string(),
  created: z.number().int(),
  data: z.looseObject({
    object: z.record(z.string(), z.unknown()),
    previous_attributes: z.record(z.string(), z.unknown()).optional(),
  }),
});
const listSchema = z.looseObject({ data: z.array(z.unknown()), has_more: z.boolean() });
type Customer = z.infer<typeof customerSchema>;
type Subscription = z.infer<typeof subscriptionSchema>;
type StripeEvent = z.infer<typeof eventSchema>;

const EVENT_TYPES = [
  "customer.created",
  "customer.updated",
  "customer.deleted",
  "customer.subscription.created",
  "customer.subscription.updated",
  "customer.subscription.deleted",
  "customer.subscription.paused",
  "customer.subscription.resumed",
  "invoice.payment_failed",
];
const PAGE = 100;
/** Subscriptions in these statuses make up MRR (a trial counts at its price). */
const IN_MRR = new Set(["active", "past_due", "trialing"]);
/** Over for good: a customer all of whose subscriptions are in these statuses has churned. */
const ENDED = new Set(["canceled", "incomplete_expired"]);
/** Currencies whose amounts are already whole units (https://docs.stripe.com/currencies#zero-decimal). */
const ZERO_DECIMAL = new Set("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split(" "));
const PER_MONTH = { day: 30.4375, week: 52 / 12, month: 1, year: 1 / 12 } as const;

export const stripeConnector: ConnectorDefinition<StripeSettings, StripeSecret, StripeCursor> = {
  kind: "stripe",
  title: "Stripe",
  settings: settingsSchema,
  secret: secretSchema,
  cursor: cursorSchema,
  defaultBaseUrl: "https://api.stripe.com",
  authHeaders: (secret) => ({ authorization: `Bearer ${secret.api_key}` }),
  sync: (context) => syncStripe(context),
};

async function* syncStripe(ctx: Context): AsyncGenerator<SyncPage<StripeCursor>> {
  const today = dateToDay(ctx.now);
  let cursor = ctx.cursor;
  if (cursor === null) {
    cursor = { phase: "customers", mark: await newestMark(ctx.http), after: null };
  }
  if (cursor.phase === "customers") {
    for await (const page of readCustomers(ctx, cursor.mark, cursor.after, today)) {
      yield page;
      cursor = page.cursor;
    }
  }
  if (cursor.phase === "invoices") {
    const page = await readFailedInvoices(ctx, cursor.mark, today);
    yield page;
    cursor = page.cursor;
  }
  if (cursor.phase === "events") yield* readEvents(ctx, cursor.mark, cursor.tally, today);
}

// ---- first sync ----

/** The newest event of the types read, with every id at its second: where the event stream resumes. */
async function newestMark(http: SourceHttp): Promise<Mark> {
  const query = { "types[]": EVENT_TYPES, limit: 10 };
  const newest = envelope(listSchema, await http.json({ path: "/v1/events", query }), "Stripe /v1/events");
  const times = newest.data.map((e) => (isObject(e) ? e.created : undefined));
  const created = Math.max(...times.filter((t): t is number => Number.isInteger(t)));
  if (!Number.isFinite(created)) return { created: 0, ids: [] };
  const ids: string[] = [];
  for await (const page of list(http, "/v1/events", { "types[]": EVENT_TYPES, created })) {
    for (const e of page) if (isObject(e) && typeof e.id === "string") ids.push(e.id);
  }
  return { created, ids };
}

async function* readCustomers(
  ctx: Context,
  mark: Mark,
  after: string | null,
  today: Day,
): AsyncGenerator<SyncPage<StripeCursor>> {
  // Every customer's subscriptions first (MRR needs them all); re-read if a first sync resumes.
  const subs = new Map<string, Subscription[]>();
  let pending = { read: 0, rejected: [] as RejectedRecord[] };
  for await (const page of list(ctx.http, "/v1/subscriptions", { status: "all" })) {
    const checked = checkRecords(page, subscriptionSchema, "subscription");
    pending = { read: pending.read + page.length, rejected: [...pending.rejected, ...checked.rejected] };
    for (const sub of checked.records) subs.set(sub.customer, [...(subs.get(sub.customer) ?? []), sub]);
  }
  let position = after;
  let last: SyncPage<StripeCursor> | undefined;
  for await (const page of list(ctx.http, "/v1/customers", {}, after)) {
    const { records, rejected } = checkRecords(page, customerSchema, "customer");
    const accounts: SourceAccount[] = [];
    const metrics: SourceMetric[] = [];
    for (const customer of records) {
      const own = subs.get(customer.id) ?? [];
      accounts.push({ ...customerAccount(customer), ...revenue(own) });
      if (own.length) metrics.push(mrrMetric(customer.id, own, today));
    }
    position = lastId(page) ?? position;
    if (last) yield last;
    last = {
      read: pending.read + page.length,
      accounts,
      metrics,
      rejected: [...pending.rejected, ...rejected],
      cursor: { phase: "customers", mark, after: position },
    };
    pending = { read: 0, rejected: [] };
  }
  // The last page moves on to the invoices, so a crash after it does not list customers again.
  const next: StripeCursor = { phase: "invoices", mark, tally: { day: today, values: {} } };
  yield last ? { ...last, cursor: next } : { read: pending.read, rejected: pending.rejected, cursor: next };
}

/**
 * Open invoices whose payment was attempted (and failed) or whose due date passed, and uncollectible
 * ones: one `failed_payments` per invoice, on the day it was created when a charge was attempted (an
 * automatic charge is attempted about an hour after that), else on its due date.
 */
async function readFailedInvoices(ctx: Context, mark: Mark, today: Day): Promise<SyncPage<StripeCursor>> {
  const nowSeconds = Math.floor(ctx.now.getTime() / 1000);
  const tally = new DayTally(today);
  const rejected: RejectedRecord[] = [];
  let read = 0;
  for (const status of ["open", "uncollectible"]) {
    for await (const page of list(ctx.http, "/v1/invoices", { status })) {
      const checked = checkRecords(page, invoiceSchema, "invoice");
      read += page.length;
      rejected.push(...checked.rejected);
      for (const invoice of checked.records) {
        const pastDue = invoice.due_date !== null && invoice.due_date < nowSeconds;
        if (status === "open" && invoice.attempt_count === 0 && !pastDue) continue;
        const failedOn = invoice.attempt_count === 0 && pastDue ? invoice.due_date : null;
        tally.add(invoice.customer, "failed_payments", unixToDay(failedOn ?? invoice.created), 1);
      }
    }
  }
  return {
    read,
    metrics: tally.takeTouched(),
    rejected,
    cursor: { phase: "events", mark, tally: tally.state() },
  };
}

// ---- later syncs ----

async function* readEvents(
  ctx: Context,
  mark: Mark,
  tallyState: TallyState,
  today: Day,
): AsyncGenerator<SyncPage<StripeCursor>> {
  const rejected: RejectedRecord[] = [];
  const events: StripeEvent[] = [];
  const seen = new Set(mark.ids);
  let index = 0;
  const query = { "types[]": EVENT_TYPES, "created[gte]": mark.created };
  for await (const page of list(ctx.http, "/v1/events", query)) {
    for (const raw of page) {
      const parsed = eventSchema.safeParse(raw);
      if (!parsed.success) rejected.push(rejectedEvent(raw, index, parsed.error));
      else if (!(parsed.data.created === mark.created && seen.has(parsed.data.id))) events.push(parsed.data);
      index++;
    }
  }
  events.reverse(); // newest first as listed; applied oldest first
  const tally = new DayTally(tallyState.day, { ...tallyState.values });
  let position = mark;
  for (let start = 0; start === 0 || start < events.length; start += PAGE) {
    const chunk = events.slice(start, start + PAGE);
    const page = await applyEvents(ctx.http, chunk, tally, today);
    for (const e of chunk) {
      position =
        e.created > position.created
          ? { created: e.created, ids: [e.id] }
          : { created: position.created, ids: [...position.ids, e.id] };
    }
    if (start === 0 && !chunk.length && !rejected.length) return; // nothing new
    yield {
      ...page,
      read: page.read + (start === 0 ? rejected.length : 0),
      rejected: [...(start === 0 ? rejected : []), ...page.rejected],
      cursor: { phase: "events", mark: position, tally: tally.state() },
    };
  }
}

async function applyEvents(
  http: SourceHttp,
  events: StripeEvent[],
  tally: DayTally,
  today: Day,
): Promise<{ read: number; accounts: SourceAccount[]; metrics: SourceMetric[]; rejected: RejectedRecord[] }> {
  const accounts: SourceAccount[] = [];
  const rejected: RejectedRecord[] = [];
  const touched = new Set<string>();
  const deleted = new Set<string>();
  const reject = (e: StripeEvent, reason: string) => rejected.push({ record: `event ${e.id}`, reason });
  for (const e of events) {
    const day = unixToDay(e.created);
    const object = e.data.object;
    if (e.type.startsWith("customer.subscription.")) {
      const sub = subscriptionSchema.safeParse(object);
      if (!sub.success) {
        reject(e, `subscription ${String(object.id)}: ${describeIssues(sub.error)}`);
        continue;
      }
      touched.add(sub.data.customer);
      const change = subscriptionChange(e, sub.data);
      if (change) tally.add(sub.data.customer, change.metric, day, change.amount);
    } else if (e.type === "customer.deleted") {
      if (typeof object.id !== "string") reject(e, "no customer id");
      else {
        deleted.add(object.id);
        accounts.push({ sourceId: object.id, status: "churned", churnedAt: day, mrr: 0 });
      }
    } else if (e.type.startsWith("customer.")) {
      const customer = customerSchema.safeParse(object);
      if (customer.success) accounts.push(customerAccount(customer.data));
      else reject(e, `customer ${String(object.id)}: ${describeIssues(customer.error)}`);
    } else if (e.type === "invoice.payment_failed") {
      const invoice = invoiceSchema.safeParse(object);
      if (!invoice.success) reject(e, `invoice ${String(object.id)}: ${describeIssues(invoice.error)}`);
      // Smart Retries fail the same invoice again: count an invoice on its first failure only.
      else if (invoice.data.attempt_count <= 1) tally.add(invoice.data.customer, "failed_payments", day, 1);
    }
  }
  // MRR is the customer's current subscriptions, re-read once per chunk (events carry one each).
  const metrics: SourceMetric[] = tally.takeTouched();
  let read = events.length;
  for (const customer of [...touched].filter((c) => !deleted.has(c))) {
    const subs: Subscription[] = [];
    for await (const page of list(http, "/v1/subscriptions", { customer, status: "all" })) {
      const checked = checkRecords(page, subscriptionSchema, "subscription");
      read += page.length;
      subs.push(...checked.records);
      rejected.push(...checked.rejected);
    }
    accounts.push({ sourceId: customer, ...revenue(subs) });
    metrics.push(mrrMetric(customer, subs, today));
  }
  return { read, accounts: mergeAccounts(accounts), metrics, rejected };
}

/**
 * What a subscription event did to recurring revenue: the monthly amount of a subscription that
 * ended (mrr_churned), lost by a downgrade of one that goes on (mrr_contraction), or gained by an
 * upgrade (mrr_expansion). A new subscription is new business, not expansion.
 */
function subscriptionChange(e: StripeEvent, now: Subscription): { metric: string; amount: number } | null {
  const live = (s: Subscription) => !ENDED.has(s.status) && s.status !== "incomplete";
  if (e.type === "customer.subscription.deleted") {
    const amount = monthly(now);
    return amount > 0 ? { metric: "mrr_churned", amount } : null;
  }
  if (e.type !== "customer.subscription.updated" || !e.data.previous_attributes) return null;
  const before = subscriptionSchema.safeParse({ ...e.data.object, ...e.data.previous_attributes });
  if (!before.success) return null;
  const [was, is] = [live(before.data) ? monthly(before.data) : 0, live(now) ? monthly(now) : 0];
  if (is < was) return { metric: is === 0 ? "mrr_churned" : "mrr_contraction", amount: round2(was - is) };
  if (is > was && was > 0) return { metric: "mrr_expansion", amount: round2(is - was) };
  return null;
}

// ---- mapping ----

function customerAccount(c: Customer): SourceAccount {
  const metadata = c.metadata ?? {};
  return {
    sourceId: c.id,
    name: c.name ?? null,
    domain: normaliseDomain(metadata.domain) ?? domainOfEmail(c.email),
    externalId: metadata.account_id?.trim() || null,
    createdAt: unixToDay(c.created),
  };
}

/** A customer's MRR, and its status when it has subscriptions: churned once all of them have ended. */
function revenue(subs: Subscription[]): Pick<SourceAccount, "mrr" | "status" | "churnedAt"> {
  const mrr = round2(subs.filter((s) => IN_MRR.has(s.status)).reduce((sum, s) => sum + monthly(s), 0));
  if (!subs.length) return { mrr };
  if (!subs.every((s) => ENDED.has(s.status))) return { mrr, status: "active", churnedAt: null };
  const ends = subs.map((s) => s.ended_at ?? s.canceled_at).filter((t) => typeof t === "number");
  return { mrr, status: "churned", churnedAt: ends.length ? unixToDay(Math.max(...ends)) : null };
}

/** The subscription's price per month in currency units (no currency conversion), whatever its status. */
export function monthly(sub: Subscription): number {
  let total = 0;
  for (const item of sub.items.data) {
    const { unit_amount, currency, recurring } = item.price;
    if (unit_amount === null || recurring === null) continue; // metered or one-off: not recurring revenue
    const units = ZERO_DECIMAL.has(currency.toLowerCase()) ? unit_amount : unit_amount / 100;
    total += (units * (item.quantity ?? 1) * PER_MONTH[recurring.interval]) / recurring.interval_count;
  }
  return round2(total);
}

const mrrMetric = (customer: string, subs: Subscription[], day: Day): SourceMetric => ({
  sourceAccountId: customer,
  metric: "mrr",
  value: revenue(subs).mrr ?? 0,
  observedOn: day,
});

function rejectedEvent(raw: unknown, index: number, error: z.ZodError): RejectedRecord {
  return { record: recordName("event", raw, index), reason: describeIssues(error) };
}

/**
 * Per-day totals (failed payments, MRR moved) per customer and metric. Metrics are stored per account,
 * metric and day, the last value winning, so the totals of the latest event day travel in the cursor
 * and a later sync adds to them instead of overwriting them.
 */
class DayTally {
  private readonly touched = new Set<string>();
  /** Days before the latest: only what this sync saw (events come in order, so these are rare). */
  private readonly earlier = new Map<string, number>();
  constructor(
    private day: Day,
    private values: Record<string, number> = {},
  ) {}

  add(customer: string, metric: string, day: Day, amount: number): void {
    if (day > this.day) [this.day, this.values] = [day, {}];
    const key = `${customer} ${metric} ${day}`;
    if (day < this.day) this.earlier.set(key, round2((this.earlier.get(key) ?? 0) + amount));
    else this.values[`${customer} ${metric}`] = round2((this.values[`${customer} ${metric}`] ?? 0) + amount);
    this.touched.add(key);
  }

  /** The totals of what was added since the last call. */
  takeTouched(): SourceMetric[] {
    const out = [...this.touched].map((key) => {
      const [customer = "", metric = "", dayText = ""] = key.split(" ");
      const day = Number(dayText);
      const value = day === this.day ? this.values[`${customer} ${metric}`] : this.earlier.get(key);
      return { sourceAccountId: customer, metric, value: value ?? 0, observedOn: day };
    });
    this.touched.clear();
    return out;
  }

  state(): TallyState {
    return { day: this.day, values: { ...this.values } };
  }
}

// ---- lists: newest first, `starting_after` the last id of a page, until has_more is false ----

async function* list(
  http: SourceHttp,
  path: string,
  query: Record<string, string | number | readonly string[]>,
  startingAfter: string | null = null,
): AsyncGenerator<unknown[]> {
  let after = startingAfter;
  for (;;) {
    const body = await http.json({
      path,
      query: { ...query, limit: PAGE, starting_after: after ?? undefined },
    });
    const page = envelope(listSchema, body, `Stripe ${path}`);
    yield page.data;
    const next = lastId(page.data);
    if (!page.has_more || next === undefined || next === after) return;
    after = next;
  }
}

function lastId(page: unknown[]): string | undefined {
  for (let i = page.length - 1; i >= 0; i--) {
    const item = page[i];
    if (isObject(item) && typeof item.id === "string") return item.id;
  }
  return undefined;
}
