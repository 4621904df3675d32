// A fake of the Stripe API's read side, over real HTTP on loopback, for connector integration tests.
// Shapes follow https://docs.stripe.com/api (API version 2024-06-20, before "basil" moved
// current_period_* to the items and invoice.subscription under parent): list objects and cursors from
// https://docs.stripe.com/api/pagination, errors from https://docs.stripe.com/api/errors and
// https://docs.stripe.com/error-codes, 429 from https://docs.stripe.com/rate-limits, list filters from
// https://docs.stripe.com/api/subscriptions/list, /invoices/list and /events/list.
import {
  clone,
  credentialsOf,
  intParam,
  isRec,
  Refusal,
  VendorFake,
  type HttpFailure,
  type Rec,
  type Reply,
  type VendorRequest,
} from "./vendor-http.ts";

export type StripeInterval = "day" | "week" | "month" | "year";
export type StripeSubscriptionStatus =
  "active" | "past_due" | "canceled" | "trialing" | "unpaid" | "incomplete" | "incomplete_expired" | "paused";
export type StripeInvoiceStatus = "draft" | "open" | "paid" | "uncollectible" | "void";

export interface StripeCustomer {
  id: string;
  object: "customer";
  created: number;
  email: string | null;
  name: string | null;
  description: string | null;
  currency: string | null;
  livemode: false;
  metadata: Record<string, string>;
}
export interface StripePrice {
  id: string;
  object: "price";
  unit_amount: number;
  currency: string;
  recurring: { interval: StripeInterval; interval_count: number };
  product: string;
}
export interface StripeSubscriptionItem {
  id: string;
  object: "subscription_item";
  price: StripePrice;
  quantity: number;
  subscription: string;
  created: number;
}
export interface StripeSubscription {
  id: string;
  object: "subscription";
  customer: string;
  status: StripeSubscriptionStatus;
  created: number;
  start_date: number;
  current_period_start: number;
  current_period_end: number;
  cancel_at_period_end: boolean;
  cancel_at: number | null;
  canceled_at: number | null;
  ended_at: number | null;
  trial_end: number | null;
  currency: string;
  collection_method: "charge_automatically";
  livemode: false;
  metadata: Record<string, string>;
  items: {
    object: "list";
    data: StripeSubscriptionItem[];
    has_more: false;
    total_count: number;
    url: string;
  };
}
export interface StripeInvoice {
  id: string;
  object: "invoice";
  customer: string;
  subscription: string | null;
  status: StripeInvoiceStatus;
  amount_due: number;
  amount_paid: number;
  amount_remaining: number;
  currency: string;
  due_date: number | null;
  created: number;
  attempt_count: number;
  attempted: boolean;
  collection_method: "charge_automatically" | "send_invoice";
  livemode: false;
}
export interface StripeEvent {
  id: string;
  object: "event";
  api_version: string;
  type: string;
  created: number;
  livemode: false;
  pending_webhooks: 0;
  request: { id: null; idempotency_key: null };
  data: { object: Rec; previous_attributes?: Rec };
}

export interface PriceInput {
  unit_amount: number;
  currency?: string;
  interval?: StripeInterval;
  interval_count?: number;
  id?: string;
}
export interface FakeStripeOptions {
  /** Secret keys accepted (Bearer, or Basic with the key as user). Default ["sk_test_fake"]. */
  apiKeys?: string[];
  /** The clock's start. Default 2025-01-15T12:00:00Z. */
  now?: Date | number | string;
}

const API_VERSION = "2024-06-20";
const LIST_PATHS = {
  "/v1/customers": "customer",
  "/v1/subscriptions": "subscription",
  "/v1/invoices": "invoice",
  "/v1/events": "event",
} as const;
type ListPath = keyof typeof LIST_PATHS;
type Listed = { id: string; created: number };
const RANGE_OPS: Record<string, (a: number, b: number) => boolean> = {
  gt: (a, b) => a > b,
  gte: (a, b) => a >= b,
  lt: (a, b) => a < b,
  lte: (a, b) => a <= b,
};

const stripeError = (status: number, error: Rec, headers?: Record<string, string>): Reply => ({
  status,
  body: { error },
  headers,
});
const invalid = (message: string, param?: string, code?: string): never => {
  throw new Refusal(stripeError(400, { type: "invalid_request_error", message, param, code }));
};
/** Stripe shows a key's first 8 characters, asterisks, and its last 4. */
const redact = (key: string) =>
  `${key.slice(0, 8)}${"*".repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`;
const addPeriod = (from: number, interval: StripeInterval, count: number): number => {
  const d = new Date(from * 1000);
  if (interval === "day") d.setUTCDate(d.getUTCDate() + count);
  if (interval === "week") d.setUTCDate(d.getUTCDate() + 7 * count);
  if (interval === "month") d.setUTCMonth(d.getUTCMonth() + count);
  if (interval === "year") d.setUTCFullYear(d.getUTCFullYear() + count);
  return Math.floor(d.getTime() / 1000);
};

// What a malformed page carries: a record missing a field or with one of the wrong type.
const CORRUPT: Record<ListPath, (r: Rec) => Rec> = {
  "/v1/customers": ({ created: _c, ...r }) => ({ ...r, email: 42 }),
  "/v1/subscriptions": ({ customer: _c, ...r }) => ({ ...r, items: null }),
  "/v1/invoices": (r) => ({ ...r, amount_due: "12.00" }),
  "/v1/events": ({ data: _d, ...r }) => ({ ...r, created: "yesterday" }),
};

class FakeStripeServer extends VendorFake {
  private keys: Set<string>;
  private readonly expired = new Set<string>();
  private readonly customers = new Map<string, StripeCustomer>();
  private readonly deleted = new Set<string>();
  private readonly subscriptions = new Map<string, StripeSubscription>();
  private readonly invoices = new Map<string, StripeInvoice>();
  private readonly events = new Map<string, StripeEvent>();
  /** Creation order of every object, the tie-break under equal `created`, as Stripe's ids are. */
  private readonly order = new Map<string, number>();
  private seq = 0;

  constructor(options: FakeStripeOptions) {
    super(options.now);
    this.keys = new Set(options.apiKeys ?? ["sk_test_fake"]);
  }

  // ---- credentials ----
  /** Every key now answers 401 api_key_expired, as a rolled key does. */
  revokeCredentials(): void {
    for (const key of this.keys) this.expired.add(key);
    this.keys.clear();
  }
  /** Old keys expire; these are accepted from now on. */
  rotateCredentials(apiKeys: string[]): void {
    this.revokeCredentials();
    this.keys = new Set(apiKeys);
  }

  // ---- seeding: each change appends the event Stripe would send ----
  addCustomer(input: {
    email?: string;
    name?: string;
    metadata?: Record<string, string>;
    created?: number;
    id?: string;
  }): StripeCustomer {
    const customer: StripeCustomer = {
      id: input.id ?? this.id("cus"),
      object: "customer",
      created: input.created ?? this.clock.seconds(),
      email: input.email ?? null,
      name: input.name ?? null,
      description: null,
      currency: null,
      livemode: false,
      metadata: input.metadata ?? {},
    };
    this.track(this.customers, customer);
    this.emit("customer.created", customer);
    return clone(customer);
  }
  updateCustomer(
    id: string,
    patch: Partial<Pick<StripeCustomer, "email" | "name" | "metadata">>,
  ): StripeCustomer {
    return this.patch(this.customers, id, patch, "customer.updated");
  }
  /** Gone from lists; GET /v1/customers/:id answers {id, object, deleted: true}. */
  deleteCustomer(id: string): void {
    const customer = this.get(this.customers, id);
    this.customers.delete(id);
    this.deleted.add(id);
    this.emit("customer.deleted", customer);
  }

  addSubscription(input: {
    customer: string;
    items: { price: PriceInput; quantity?: number }[];
    status?: StripeSubscriptionStatus;
    created?: number;
    current_period_start?: number;
    current_period_end?: number;
    cancel_at_period_end?: boolean;
    trial_end?: number;
    metadata?: Record<string, string>;
  }): StripeSubscription {
    const id = this.id("sub");
    const created = input.created ?? this.clock.seconds();
    const items = input.items.map((i) => this.item(id, i.price, i.quantity ?? 1, created));
    const { interval, interval_count } = items[0]?.price.recurring ?? {
      interval: "month",
      interval_count: 1,
    };
    const start = input.current_period_start ?? created;
    const subscription: StripeSubscription = {
      id,
      object: "subscription",
      customer: input.customer,
      status: input.status ?? "active",
      created,
      start_date: created,
      current_period_start: start,
      current_period_end: input.current_period_end ?? addPeriod(start, interval, interval_count),
      cancel_at_period_end: input.cancel_at_period_end ?? false,
      cancel_at: null,
      canceled_at: null,
      ended_at: null,
      trial_end: input.trial_end ?? null,
      currency: items[0]?.price.currency ?? "usd",
      collection_method: "charge_automatically",
      livemode: false,
      metadata: input.metadata ?? {},
      items: { object: "list", data: items, has_more: false, total_count: items.length, url: "" },
    };
    subscription.items.url = `/v1/subscription_items?subscription=${id}`;
    this.track(this.subscriptions, subscription);
    this.emit("customer.subscription.created", subscription);
    return clone(subscription);
  }
  /** Any change of fields; customer.subscription.updated with the old values as previous_attributes. */
  updateSubscription(id: string, patch: Partial<Omit<StripeSubscription, "id" | "object" | "items">>) {
    return this.patch(this.subscriptions, id, patch, "customer.subscription.updated");
  }
  /** A new quantity and/or price on one item (the first by default). */
  changeSubscription(id: string, change: { quantity?: number; price?: PriceInput; item?: number }) {
    const sub = this.get(this.subscriptions, id);
    const items = clone(sub.items);
    const item = items.data[change.item ?? 0];
    if (!item) throw new Error(`no item ${change.item ?? 0} on ${id}`);
    if (change.quantity !== undefined) item.quantity = change.quantity;
    if (change.price) item.price = this.price(change.price);
    return this.patch(this.subscriptions, id, { items }, "customer.subscription.updated");
  }
  /** Now (customer.subscription.deleted), or at period end (cancel_at_period_end, an update). */
  cancelSubscription(id: string, options: { atPeriodEnd?: boolean } = {}): StripeSubscription {
    const sub = this.get(this.subscriptions, id);
    const now = this.clock.seconds();
    if (options.atPeriodEnd) {
      const patch = { cancel_at_period_end: true, cancel_at: sub.current_period_end, canceled_at: now };
      return this.patch(this.subscriptions, id, patch, "customer.subscription.updated");
    }
    Object.assign(sub, { status: "canceled", canceled_at: now, ended_at: now });
    this.emit("customer.subscription.deleted", sub);
    return clone(sub);
  }
  /** A failed renewal: an open invoice whose payment failed (invoice.payment_failed), then past_due. */
  markPastDue(id: string, options: { amountDue?: number; dueDate?: number } = {}): StripeInvoice {
    const sub = this.get(this.subscriptions, id);
    const amount = sub.items.data.reduce((sum, i) => sum + i.price.unit_amount * i.quantity, 0);
    const invoice = this.addInvoice({
      customer: sub.customer,
      subscription: id,
      amount_due: options.amountDue ?? amount,
      due_date: options.dueDate,
      currency: sub.currency,
    });
    this.failInvoicePayment(invoice.id);
    this.updateSubscription(id, { status: "past_due" });
    return clone(this.get(this.invoices, invoice.id));
  }
  addInvoice(input: {
    customer: string;
    amount_due: number;
    subscription?: string;
    status?: StripeInvoiceStatus;
    amount_paid?: number;
    due_date?: number;
    attempt_count?: number;
    currency?: string;
    created?: number;
  }): StripeInvoice {
    const amountPaid = input.amount_paid ?? (input.status === "paid" ? input.amount_due : 0);
    const invoice: StripeInvoice = {
      id: this.id("in"),
      object: "invoice",
      customer: input.customer,
      subscription: input.subscription ?? null,
      status: input.status ?? "open",
      amount_due: input.amount_due,
      amount_paid: amountPaid,
      amount_remaining: input.amount_due - amountPaid,
      currency: input.currency ?? "usd",
      due_date: input.due_date ?? null,
      created: input.created ?? this.clock.seconds(),
      attempt_count: input.attempt_count ?? 0,
      attempted: (input.attempt_count ?? 0) > 0,
      collection_method: "charge_automatically",
      livemode: false,
    };
    this.track(this.invoices, invoice);
    this.emit("invoice.created", invoice);
    return clone(invoice);
  }
  failInvoicePayment(id: string): StripeInvoice {
    const invoice = this.get(this.invoices, id);
    Object.assign(invoice, { status: "open", attempt_count: invoice.attempt_count + 1, attempted: true });
    this.emit("invoice.payment_failed", invoice);
    return clone(invoice);
  }
  /** Paid in full (invoice.paid); a past_due subscription it belongs to becomes active again. */
  payInvoice(id: string): StripeInvoice {
    const invoice = this.get(this.invoices, id);
    Object.assign(invoice, { status: "paid", amount_paid: invoice.amount_due, amount_remaining: 0 });
    this.emit("invoice.paid", invoice);
    const sub = invoice.subscription ? this.subscriptions.get(invoice.subscription) : undefined;
    if (sub?.status === "past_due") this.updateSubscription(sub.id, { status: "active" });
    return clone(invoice);
  }
  /** Events so far, oldest first. */
  allEvents(): StripeEvent[] {
    return clone([...this.events.values()]);
  }

  // ---- HTTP ----
  protected failure(failure: HttpFailure, request: VendorRequest): Reply {
    if (failure.status === 401) return this.expiredKey(this.keyOf(request) ?? "sk_test_unknown");
    if (failure.status === 429) {
      const headers =
        failure.retryAfter === undefined ? undefined : { "retry-after": String(failure.retryAfter) };
      const message =
        "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.";
      return stripeError(429, { type: "rate_limit_error", code: "rate_limit", message }, headers);
    }
    const message = "Sorry, something went wrong. We've already been notified of the problem.";
    return stripeError(failure.status, { type: "api_error", message });
  }

  protected authenticate(request: VendorRequest): Reply | undefined {
    const key = this.keyOf(request);
    const basic = { "www-authenticate": 'Basic realm="Stripe"' };
    if (!key) {
      const message =
        "You did not provide an API key. You need to provide your API key in the Authorization header, " +
        "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').";
      return stripeError(401, { type: "invalid_request_error", message }, basic);
    }
    if (this.keys.has(key)) return undefined;
    if (this.expired.has(key)) return this.expiredKey(key);
    const message = `Invalid API Key provided: ${redact(key)}`;
    return stripeError(401, { type: "invalid_request_error", message }, basic);
  }

  protected route(request: VendorRequest): Reply {
    const { method, path, query } = request;
    const customerId = /^\/v1\/customers\/([^/]+)$/.exec(path)?.[1];
    if (method === "GET" && customerId) return { status: 200, body: this.retrieveCustomer(customerId) };
    if (method !== "GET" || !(path in LIST_PATHS)) {
      const message = `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs.`;
      return stripeError(404, { type: "invalid_request_error", message });
    }
    const listPath = path as ListPath;
    const one = (name: string) => query.get(name) ?? undefined;
    const rows: Listed[] =
      listPath === "/v1/customers"
        ? [...this.customers.values()].filter((c) => !one("email") || c.email === one("email"))
        : listPath === "/v1/subscriptions"
          ? this.subscriptionRows(query)
          : listPath === "/v1/invoices"
            ? [...this.invoices.values()].filter(
                (i) =>
                  (!one("status") || i.status === one("status")) &&
                  (!one("customer") || i.customer === one("customer")) &&
                  (!one("subscription") || i.subscription === one("subscription")),
              )
            : this.eventRows(query);
    return {
      status: 200,
      body: this.page(listPath, rows, query),
    };
  }

  protected malform(reply: Reply, request: VendorRequest): Reply {
    const corrupt = CORRUPT[request.path as ListPath];
    if (!corrupt || !isRec(reply.body) || !Array.isArray(reply.body.data)) return reply;
    const rows = reply.body.data as Rec[];
    const stub = { id: "obj_malformed", object: LIST_PATHS[request.path as ListPath] };
    return { ...reply, body: { ...reply.body, data: [corrupt(rows[0] ?? stub), ...rows.slice(1)] } };
  }

  // ---- lists ----
  /** Newest first; cursors are object ids; created[gt|gte|lt|lte] or created=<exact>. */
  private page(path: ListPath, rows: Listed[], query: URLSearchParams): Rec {
    const limit = intParam(query, "limit", 10, 1, 100);
    if (Number.isNaN(limit)) invalid("Invalid limit: must be an integer between 1 and 100.", "limit");
    const after = query.get("starting_after");
    const before = query.get("ending_before");
    if (after && before)
      invalid("You may only specify one of these parameters: ending_before, starting_after.");
    const key = (r: { id: string; created: number }): [number, number] => [
      r.created,
      this.order.get(r.id) ?? 0,
    ];
    const newerFirst = (a: [number, number], b: [number, number]) => b[0] - a[0] || b[1] - a[1];
    const sorted = rows
      .filter((r) => this.inCreatedRange(r.created, query))
      .sort((a, b) => newerFirst(key(a), key(b)));
    const cursorId = after ?? before;
    let data: Listed[];
    let hasMore: boolean;
    if (cursorId) {
      const param = after ? "starting_after" : "ending_before";
      const cursor =
        this.anyObject(cursorId) ??
        invalid(`No such ${LIST_PATHS[path]}: '${cursorId}'`, param, "resource_missing");
      // starting_after: the older objects; ending_before: the newer ones, the page nearest the cursor.
      const side = sorted.filter((r) => (after ? -1 : 1) * newerFirst(key(cursor), key(r)) > 0);
      data = after ? side.slice(0, limit) : side.slice(-limit);
      hasMore = side.length > limit;
    } else {
      data = sorted.slice(0, limit);
      hasMore = sorted.length > limit;
    }
    return { object: "list", data: clone(data), has_more: hasMore, url: path };
  }

  private inCreatedRange(created: number, query: URLSearchParams): boolean {
    const exact = query.get("created");
    if (exact !== null) return created === this.integer(exact, "created");
    return Object.entries(RANGE_OPS).every(([op, test]) => {
      const raw = query.get(`created[${op}]`);
      return raw === null || test(created, this.integer(raw, `created[${op}]`));
    });
  }

  private integer(raw: string, param: string): number {
    return /^\d+$/.test(raw) ? Number(raw) : invalid(`Invalid integer: ${raw}`, param);
  }

  /** Not canceled by default (https://docs.stripe.com/api/subscriptions/list); status=all for all. */
  private subscriptionRows(query: URLSearchParams): StripeSubscription[] {
    const status = query.get("status");
    const customer = query.get("customer");
    const price = query.get("price");
    const ended = ["canceled", "incomplete_expired"];
    const statusOk = (s: StripeSubscription) =>
      status === "all" ||
      (status === "ended"
        ? ended.includes(s.status)
        : status
          ? s.status === status
          : s.status !== "canceled");
    return [...this.subscriptions.values()].filter(
      (s) =>
        statusOk(s) &&
        (!customer || s.customer === customer) &&
        (!price || s.items.data.some((i) => i.price.id === price)),
    );
  }

  /** `type` may end in a wildcard (customer.subscription.*); `types[]` (or types[0]...) up to 20, not both. */
  private eventRows(query: URLSearchParams): StripeEvent[] {
    const type = query.get("type");
    const types = [...query].filter(([k]) => /^types\[\d*\]$/.test(k)).map(([, v]) => v);
    if (type && types.length) invalid("You may pass either type or types, but not both.", "types");
    if (types.length > 20) invalid("You may pass at most 20 types.", "types");
    const wanted = (t: string) =>
      type
        ? type.endsWith("*")
          ? t.startsWith(type.slice(0, -1))
          : t === type
        : !types.length || types.includes(t);
    return [...this.events.values()].filter((e) => wanted(e.type));
  }

  private retrieveCustomer(id: string): object {
    if (this.deleted.has(id)) return { id, object: "customer", deleted: true };
    return clone(this.customers.get(id) ?? invalid(`No such customer: '${id}'`, "id", "resource_missing"));
  }

  // ---- helpers ----
  private keyOf(request: VendorRequest): string | undefined {
    const { bearer, user } = credentialsOf(request.authorization);
    return bearer ?? (user || undefined);
  }
  private expiredKey(key: string): Reply {
    const message = `Expired API Key provided: ${redact(key)}`;
    return stripeError(401, { type: "invalid_request_error", code: "api_key_expired", message });
  }
  private id(prefix: string): string {
    return `${prefix}_${String(++this.seq).padStart(14, "0")}`;
  }
  private track<T extends { id: string }>(store: Map<string, T>, object: T): void {
    store.set(object.id, object);
    this.order.set(object.id, this.order.size);
  }
  private anyObject(id: string): { id: string; created: number } | undefined {
    return (
      this.customers.get(id) ?? this.subscriptions.get(id) ?? this.invoices.get(id) ?? this.events.get(id)
    );
  }
  private get<T>(store: Map<string, T>, id: string): T {
    const found = store.get(id);
    if (!found) throw new Error(`no Stripe object ${id}`);
    return found;
  }
  private price(input: PriceInput): StripePrice {
    return {
      id: input.id ?? this.id("price"),
      object: "price",
      unit_amount: input.unit_amount,
      currency: input.currency ?? "usd",
      recurring: { interval: input.interval ?? "month", interval_count: input.interval_count ?? 1 },
      product: this.id("prod"),
    };
  }
  private item(
    subscription: string,
    price: PriceInput,
    quantity: number,
    created: number,
  ): StripeSubscriptionItem {
    return {
      id: this.id("si"),
      object: "subscription_item",
      price: this.price(price),
      quantity,
      subscription,
      created,
    };
  }
  /** Applies a patch and emits `type` with the changed fields' old values as previous_attributes. */
  private patch<T extends object>(
    store: Map<string, T>,
    id: string,
    patch: NoInfer<Partial<T>>,
    type: string,
  ): T {
    const object = this.get(store, id) as T & Rec;
    const previous: Rec = {};
    for (const [k, v] of Object.entries(patch)) {
      if (JSON.stringify(object[k]) !== JSON.stringify(v)) previous[k] = clone(object[k]);
    }
    Object.assign(object, clone(patch));
    if (Object.keys(previous).length) this.emit(type, object, previous);
    return clone(object);
  }
  private emit(type: string, object: object, previous?: Rec): void {
    const event: StripeEvent = {
      id: this.id("evt"),
      object: "event",
      api_version: API_VERSION,
      type,
      created: this.clock.seconds(),
      livemode: false,
      pending_webhooks: 0,
      request: { id: null, idempotency_key: null },
      data: { object: clone(object) as Rec, ...(previous ? { previous_attributes: previous } : {}) },
    };
    this.track(this.events, event);
  }
}

export type FakeStripe = FakeStripeServer;

/** Starts the fake on 127.0.0.1, on a free port. Point the client at `fake.baseUrl` (paths start /v1/). */
export async function startFakeStripe(options: FakeStripeOptions = {}): Promise<FakeStripe> {
  return new FakeStripeServer(options).listen();
}
