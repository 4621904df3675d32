// A fake of the Zendesk Support API's organizations, incremental exports and satisfaction ratings,
// over real HTTP on loopback, for connector integration tests. Shapes follow
// https://developer.zendesk.com/api-reference/introduction/pagination/ (cursor pagination: page[size],
// page[after], meta.has_more/after_cursor/before_cursor, links.next/prev; offset pagination without
// page[size]), https://developer.zendesk.com/api-reference/ticketing/organizations/organizations/,
// https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/ and
// https://developer.zendesk.com/documentation/ticketing/managing-tickets/using-the-incremental-export-api
// (cursor and time-based exports; items changed in the minute before the request are left out, and a
// start_time must be at least a minute old), https://developer.zendesk.com/api-reference/ticketing/ticket-management/satisfaction_ratings/
// (score and start_time/end_time filters), https://developer.zendesk.com/api-reference/introduction/rate-limits
// (429 with Retry-After) and https://support.zendesk.com/hc/en-us/articles/4408831452954 (authentication).
import { STATUS_CODES } from "node:http";
import {
  b64,
  clone,
  credentialsOf,
  intParam,
  isoSeconds,
  isRec,
  Refusal,
  unb64,
  VendorFake,
  type HttpFailure,
  type Rec,
  type Reply,
  type VendorRequest,
} from "./vendor-http.ts";

export type ZendeskTicketStatus = "new" | "open" | "pending" | "hold" | "solved" | "closed";
export type ZendeskScore = "offered" | "unoffered" | "good" | "bad";
export interface ZendeskOrganization {
  id: number;
  url: string;
  name: string;
  domain_names: string[];
  external_id: string | null;
  details: string | null;
  notes: string | null;
  group_id: number | null;
  shared_tickets: boolean;
  shared_comments: boolean;
  tags: string[];
  organization_fields: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}
export interface ZendeskTicket {
  id: number;
  url: string;
  external_id: string | null;
  type: "problem" | "incident" | "question" | "task" | null;
  subject: string;
  raw_subject: string;
  description: string;
  priority: "urgent" | "high" | "normal" | "low" | null;
  status: ZendeskTicketStatus;
  requester_id: number;
  submitter_id: number;
  assignee_id: number | null;
  organization_id: number | null;
  group_id: number | null;
  tags: string[];
  satisfaction_rating: { id: number; score: ZendeskScore; comment: string | null } | null;
  created_at: string;
  updated_at: string;
}
export interface ZendeskSatisfactionRating {
  id: number;
  url: string;
  assignee_id: number | null;
  group_id: number | null;
  requester_id: number;
  ticket_id: number;
  score: ZendeskScore;
  comment: string | null;
  reason: string | null;
  created_at: string;
  updated_at: string;
}
export interface FakeZendeskOptions {
  /** Basic auth is `{email}/token:{apiToken}`. Defaults agent@example.com and "zd-api-token". */
  email?: string;
  apiToken?: string;
  /** OAuth access tokens accepted as Bearer. Default ["zd-oauth-token"]. */
  oauthTokens?: string[];
  /** The clock's start. Default 2025-01-15T12:00:00Z. */
  now?: Date | number | string;
}
type When = Date | number | string;
type OrganizationInput = Partial<Omit<ZendeskOrganization, "id" | "url" | "created_at" | "updated_at">>;
type TicketInput = Partial<
  Omit<ZendeskTicket, "id" | "url" | "created_at" | "updated_at" | "satisfaction_rating">
>;

const API = "/api/v2";
/** Incremental exports leave out what changed in the last minute, and want a start_time that old. */
const SETTLE_SECONDS = 60;
const LIST_KEY = (path: string) =>
  path.includes("tickets")
    ? "tickets"
    : path.includes("satisfaction")
      ? "satisfaction_ratings"
      : "organizations";
const CORRUPT: Record<string, (r: Rec) => Rec> = {
  organizations: (r) => ({ ...r, domain_names: "malformed.example" }),
  tickets: (r) => ({ ...r, organization_id: "x" }),
  satisfaction_ratings: (r) => ({ ...r, score: 5 }),
};

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const zendeskError = (status: number, error: string, description: string): Reply => ({
  status,
  body: { error, description },
});
const refuse = (error: string, description: string): never => {
  throw new Refusal(zendeskError(400, error, description));
};
/** Cursor of the incremental ticket export, shaped like Zendesk's: base64 of "<updated_at>.0||<id>|". */
const exportCursor = (t: { id: number; updated_at: string }) => b64(`${seconds(t.updated_at)}.0||${t.id}|`);
const readExportCursor = (cursor: string): [number, number] => {
  const m = /^(\d+)\.0\|\|(\d+)\|$/.exec(unb64(cursor));
  return m ? [Number(m[1]), Number(m[2])] : refuse("InvalidPaginationParameter", "Invalid cursor");
};
const listCursor = (id: number) => b64(JSON.stringify({ o: "id", v: id }));
const readListCursor = (cursor: string): number => {
  try {
    const v: unknown = JSON.parse(unb64(cursor));
    if (isRec(v) && typeof v.v === "number") return v.v;
  } catch {
    // reported below
  }
  return refuse("InvalidPaginationParameter", "Invalid cursor");
};
/** The score filter: offered, unoffered, received, good, bad, each optionally _with_comment / _without_comment. */
const scoreFilter = (filter: string | null): ((r: ZendeskSatisfactionRating) => boolean) => {
  if (!filter) return () => true;
  const m = /^(offered|unoffered|received|good|bad)(_with_comment|_without_comment)?$/.exec(filter);
  if (!m) return refuse("InvalidValue", `Invalid score: ${filter}`);
  const [, base, comment] = m;
  return (r) =>
    (base === "received" ? r.score === "good" || r.score === "bad" : r.score === base) &&
    (!comment || (comment === "_with_comment") === Boolean(r.comment));
};
const byUpdate = (a: { id: number; updated_at: string }, b: { id: number; updated_at: string }) =>
  seconds(a.updated_at) - seconds(b.updated_at) || a.id - b.id;

class FakeZendeskServer extends VendorFake {
  private basic: { user: string; password: string } | undefined;
  private oauth: Set<string>;
  private readonly organizations = new Map<number, Omit<ZendeskOrganization, "url">>();
  private readonly tickets = new Map<number, Omit<ZendeskTicket, "url">>();
  private readonly ratings = new Map<number, Omit<ZendeskSatisfactionRating, "url">>();
  private readonly seq = { organization: 0, ticket: 0, rating: 0 };

  constructor(options: FakeZendeskOptions) {
    super(options.now);
    this.basic = {
      user: `${options.email ?? "agent@example.com"}/token`,
      password: options.apiToken ?? "zd-api-token",
    };
    this.oauth = new Set(options.oauthTokens ?? ["zd-oauth-token"]);
  }

  // ---- credentials ----
  /** No credential is accepted any more: every request answers 401. */
  revokeCredentials(): void {
    this.basic = undefined;
    this.oauth.clear();
  }
  rotateCredentials(next: { email?: string; apiToken?: string; oauthTokens?: string[] }): void {
    this.revokeCredentials();
    if (next.apiToken)
      this.basic = { user: `${next.email ?? "agent@example.com"}/token`, password: next.apiToken };
    this.oauth = new Set(next.oauthTokens ?? []);
  }

  // ---- seeding: updates bump updated_at to the clock's now ----
  addOrganization(input: OrganizationInput & { name: string; created_at?: When }): ZendeskOrganization {
    const at = this.at(input.created_at);
    const organization = {
      external_id: null,
      details: null,
      notes: null,
      group_id: null,
      shared_tickets: false,
      shared_comments: false,
      domain_names: [],
      tags: [],
      organization_fields: {},
      ...input,
      id: 360_000_000_000 + ++this.seq.organization,
      created_at: at,
      updated_at: at,
    };
    this.organizations.set(organization.id, organization);
    return this.withUrl("organizations", organization);
  }
  updateOrganization(id: number, patch: OrganizationInput): ZendeskOrganization {
    const organization = this.find(this.organizations, id);
    Object.assign(organization, clone(patch), { updated_at: this.at() });
    return this.withUrl("organizations", organization);
  }
  addTicket(input: TicketInput & { created_at?: When } = {}): ZendeskTicket {
    const at = this.at(input.created_at);
    const subject = input.subject ?? `Ticket ${this.seq.ticket + 1}`;
    const ticket = {
      external_id: null,
      type: null,
      raw_subject: subject,
      description: subject,
      priority: null,
      status: "new" as const,
      requester_id: 7_000_001,
      submitter_id: input.requester_id ?? 7_000_001,
      assignee_id: null,
      organization_id: null,
      group_id: null,
      tags: [],
      ...input,
      subject,
      id: ++this.seq.ticket,
      satisfaction_rating: null,
      created_at: at,
      updated_at: at,
    };
    this.tickets.set(ticket.id, ticket);
    return this.withUrl("tickets", ticket);
  }
  updateTicket(id: number, patch: TicketInput): ZendeskTicket {
    const ticket = this.find(this.tickets, id);
    Object.assign(ticket, clone(patch), { updated_at: this.at() });
    return this.withUrl("tickets", ticket);
  }
  /** A rating of a ticket; the ticket's satisfaction_rating follows and its updated_at moves. */
  addRating(input: {
    ticket_id: number;
    score: ZendeskScore;
    comment?: string;
    reason?: string;
    created_at?: When;
  }): ZendeskSatisfactionRating {
    const ticket = this.find(this.tickets, input.ticket_id);
    const at = this.at(input.created_at);
    const rating = {
      id: 35_000 + ++this.seq.rating,
      assignee_id: ticket.assignee_id,
      group_id: ticket.group_id,
      requester_id: ticket.requester_id,
      ticket_id: ticket.id,
      score: input.score,
      comment: input.comment ?? null,
      reason: input.reason ?? null,
      created_at: at,
      updated_at: at,
    };
    this.ratings.set(rating.id, rating);
    this.rateTicket(rating);
    return this.withUrl("satisfaction_ratings", rating);
  }
  /** E.g. an offered rating that the customer answers: score and comment change, updated_at moves. */
  updateRating(
    id: number,
    patch: { score?: ZendeskScore; comment?: string | null },
  ): ZendeskSatisfactionRating {
    const rating = this.find(this.ratings, id);
    Object.assign(rating, patch, { updated_at: this.at() });
    this.rateTicket(rating);
    return this.withUrl("satisfaction_ratings", rating);
  }

  // ---- HTTP ----
  protected failure(failure: HttpFailure): Reply {
    if (failure.status === 401) return this.unauthorized();
    // Zendesk answers its rate limit in plain text, always with Retry-After (seconds).
    if (failure.status === 429) {
      const headers = { "retry-after": String(failure.retryAfter ?? 1) };
      return { status: 429, body: "Number of allowed API requests per minute exceeded", headers };
    }
    return { status: failure.status, body: STATUS_CODES[failure.status] ?? "error" };
  }

  protected authenticate(request: VendorRequest): Reply | undefined {
    const { bearer, user, password } = credentialsOf(request.authorization);
    if (bearer !== undefined && this.oauth.has(bearer)) return undefined;
    if (this.basic && user === this.basic.user && password === this.basic.password) return undefined;
    return this.unauthorized();
  }

  protected route(request: VendorRequest): Reply {
    const path = request.path.replace(/\.json$/, "");
    const { query } = request;
    if (request.method === "GET") {
      if (path === `${API}/organizations`)
        return this.list("organizations", this.organizations, query, request.url);
      if (path === `${API}/satisfaction_ratings`) return this.ratingList(query, request.url);
      if (path === `${API}/incremental/tickets/cursor`) return this.ticketExport(query);
      if (path === `${API}/incremental/organizations`) return this.organizationExport(query);
    }
    return zendeskError(404, "InvalidEndpoint", "Not found");
  }

  protected malform(reply: Reply, request: VendorRequest): Reply {
    const key = LIST_KEY(request.path);
    const corrupt = CORRUPT[key];
    if (!corrupt || !isRec(reply.body) || !Array.isArray(reply.body[key])) return reply;
    const [first = { id: 0 }, ...rest] = reply.body[key] as Rec[];
    return { ...reply, body: { ...reply.body, [key]: [corrupt(first), ...rest] } };
  }

  // ---- endpoints ----
  private ratingList(query: URLSearchParams, url: URL): Reply {
    const score = scoreFilter(query.get("score"));
    const [from, to] = [this.epoch(query, "start_time"), this.epoch(query, "end_time")];
    // "Time of the oldest/most recent satisfaction rating": read as bounds on created_at.
    const rows = [...this.ratings.values()].filter(
      (r) =>
        score(r as ZendeskSatisfactionRating) &&
        (from === undefined || seconds(r.created_at) >= from) &&
        (to === undefined || seconds(r.created_at) <= to),
    );
    return this.list("satisfaction_ratings", new Map(rows.map((r) => [r.id, r])), query, url);
  }

  /** Cursor pagination with page[size] (≤ 100), else offset pagination (page, per_page); by id. */
  private list<T extends { id: number }>(
    key: string,
    store: Map<number, T>,
    query: URLSearchParams,
    url: URL,
  ) {
    const rows = [...store.values()].sort((a, b) => a.id - b.id);
    const cursorMode = ["page[size]", "page[after]", "page[before]"].some((p) => query.has(p));
    if (!cursorMode) {
      const page = intParam(query, "page", 1, 1, 100);
      const perPage = intParam(query, "per_page", 100, 1, 100);
      if (Number.isNaN(page) || Number.isNaN(perPage)) refuse("InvalidPaginationParameter", "Invalid page");
      const link = (n: number) => this.link(url, { page: String(n), per_page: String(perPage) });
      const more = rows.length > page * perPage;
      const body = {
        [key]: rows.slice((page - 1) * perPage, page * perPage).map((r) => this.withUrl(key, r)),
        next_page: more ? link(page + 1) : null,
        previous_page: page > 1 ? link(page - 1) : null,
        count: rows.length,
      };
      return { status: 200, body };
    }
    const size = intParam(query, "page[size]", 100, 1, 100);
    if (Number.isNaN(size)) refuse("InvalidPaginationParameter", "page[size] must be between 1 and 100");
    const after = query.get("page[after]");
    const before = query.get("page[before]");
    let page: T[];
    let hasMore: boolean;
    if (before) {
      const side = rows.filter((r) => r.id < readListCursor(before));
      [page, hasMore] = [side.slice(-size), side.length > size];
    } else {
      const side = after ? rows.filter((r) => r.id > readListCursor(after)) : rows;
      [page, hasMore] = [side.slice(0, size), side.length > size];
    }
    const [first, last] = [page[0], page.at(-1)];
    const cursorLink = (dir: string, c: string) =>
      this.link(url, { "page[size]": String(size), [dir]: c }, true);
    const body = {
      [key]: page.map((r) => this.withUrl(key, r)),
      meta: {
        has_more: hasMore,
        after_cursor: last ? listCursor(last.id) : null,
        before_cursor: first ? listCursor(first.id) : null,
      },
      links: {
        next: last ? cursorLink("page[after]", listCursor(last.id)) : null,
        prev: first ? cursorLink("page[before]", listCursor(first.id)) : null,
      },
    };
    return { status: 200, body };
  }

  /** GET /api/v2/incremental/tickets/cursor: by updated_at, then id; a cursor resumes after its ticket. */
  private ticketExport(query: URLSearchParams): Reply {
    const perPage = intParam(query, "per_page", 1000, 1, 1000);
    if (Number.isNaN(perPage)) refuse("InvalidValue", "per_page must be between 1 and 1000");
    const cursor = query.get("cursor");
    const horizon = this.clock.seconds() - SETTLE_SECONDS;
    let after: (t: { id: number; updated_at: string }) => boolean;
    if (cursor) {
      const [at, id] = readExportCursor(cursor);
      after = (t) => seconds(t.updated_at) > at || (seconds(t.updated_at) === at && t.id > id);
    } else {
      const start = this.startTime(query);
      after = (t) => seconds(t.updated_at) >= start;
    }
    const rows = [...this.tickets.values()]
      .filter((t) => after(t) && seconds(t.updated_at) <= horizon)
      .sort(byUpdate);
    const page = rows.slice(0, perPage);
    const last = page.at(-1);
    const afterCursor = last ? exportCursor(last) : cursor;
    const url = (c: string | null) =>
      c
        ? `${this.baseUrl}${API}/incremental/tickets/cursor.json?${new URLSearchParams({ cursor: c }).toString()}`
        : null;
    return {
      status: 200,
      body: {
        tickets: page.map((t) => this.withUrl("tickets", t)),
        after_cursor: afterCursor,
        before_cursor: cursor,
        after_url: url(afterCursor),
        before_url: url(cursor),
        end_of_stream: rows.length <= perPage,
      },
    };
  }

  /** GET /api/v2/incremental/organizations (time-based): next_page restarts at end_time, so repeats occur. */
  private organizationExport(query: URLSearchParams): Reply {
    const perPage = intParam(query, "per_page", 1000, 1, 1000);
    if (Number.isNaN(perPage)) refuse("InvalidValue", "per_page must be between 1 and 1000");
    const start = this.startTime(query);
    const horizon = this.clock.seconds() - SETTLE_SECONDS;
    const rows = [...this.organizations.values()]
      .filter((o) => seconds(o.updated_at) >= start && seconds(o.updated_at) <= horizon)
      .sort(byUpdate);
    const page = rows.slice(0, perPage);
    const last = page.at(-1);
    const endTime = last ? seconds(last.updated_at) : start;
    const next = new URLSearchParams({ start_time: String(endTime) });
    if (query.has("per_page")) next.set("per_page", String(perPage));
    return {
      status: 200,
      body: {
        organizations: page.map((o) => this.withUrl("organizations", o)),
        next_page: `${this.baseUrl}${API}/incremental/organizations.json?${next.toString()}`,
        count: page.length,
        end_of_stream: page.length < perPage,
        end_time: endTime,
      },
    };
  }

  // ---- helpers ----
  private startTime(query: URLSearchParams): number {
    const start = this.epoch(query, "start_time") ?? refuse("InvalidValue", "start_time is required");
    if (start > this.clock.seconds() - SETTLE_SECONDS)
      refuse("InvalidValue", "Too recent start_time. Use a start_time older than 1 minute.");
    return start;
  }
  private epoch(query: URLSearchParams, name: string): number | undefined {
    const raw = query.get(name);
    if (raw === null) return undefined;
    return /^\d+$/.test(raw) ? Number(raw) : refuse("InvalidValue", `${name} must be a Unix epoch time`);
  }
  private at(when?: When): string {
    return isoSeconds(when === undefined ? this.clock.now() : new Date(when).getTime());
  }
  private find<T>(store: Map<number, T>, id: number): T {
    const found = store.get(id);
    if (!found) throw new Error(`no Zendesk record ${id}`);
    return found;
  }
  private rateTicket(rating: Omit<ZendeskSatisfactionRating, "url">): void {
    const ticket = this.find(this.tickets, rating.ticket_id);
    ticket.satisfaction_rating = { id: rating.id, score: rating.score, comment: rating.comment };
    ticket.updated_at = rating.updated_at;
  }
  private withUrl<T extends { id: number }>(key: string, record: T): T & { url: string } {
    return { url: `${this.baseUrl}${API}/${key}/${record.id}.json`, ...clone(record) };
  }
  private link(url: URL, params: Record<string, string>, dropCursors = false): string {
    const next = new URL(url.href);
    if (dropCursors) ["page[after]", "page[before]"].forEach((p) => next.searchParams.delete(p));
    for (const [k, v] of Object.entries(params)) next.searchParams.set(k, v);
    return next.href;
  }
  private unauthorized(): Reply {
    return { status: 401, body: { error: "Couldn't authenticate you" } };
  }
}

export type FakeZendesk = FakeZendeskServer;

/** Starts the fake on 127.0.0.1, on a free port. Point the client at `fake.baseUrl` (paths start /api/v2/). */
export async function startFakeZendesk(options: FakeZendeskOptions = {}): Promise<FakeZendesk> {
  return new FakeZendeskServer(options).listen();
}
