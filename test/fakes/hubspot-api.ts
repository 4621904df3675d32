// A fake of HubSpot's CRM v3 companies, companies search and owners endpoints, over real HTTP on
// loopback, for connector integration tests. Shapes follow
// https://developers.hubspot.com/docs/api/crm/companies (list: results, paging.next.after/link),
// https://developers.hubspot.com/docs/api/crm/search (filterGroups, sorts, limit ≤ 200, `after` an offset,
// 10,000 results at most per query, 400 beyond), https://developers.hubspot.com/docs/api/crm/owners,
// https://developers.hubspot.com/docs/api/error-handling (the {status:"error", message, correlationId,
// category} body) and https://developers.hubspot.com/docs/api/usage-details (the 429 body: errorType
// RATE_LIMIT, policyName).
import {
  clone,
  credentialsOf,
  intParam,
  isRec,
  Refusal,
  uuidOf,
  VendorFake,
  type HttpFailure,
  type Rec,
  type Reply,
  type VendorRequest,
} from "./vendor-http.ts";

export interface HubSpotCompany {
  id: string;
  /** Only the requested properties (null when unset), plus hs_object_id, createdate, hs_lastmodifieddate. */
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
}
export interface HubSpotOwner {
  id: string;
  email: string;
  type: "PERSON";
  firstName: string;
  lastName: string;
  userId: number;
  userIdIncludingInactive: number;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  teams?: { id: string; name: string; primary: boolean }[];
}
export type PropertyValue = string | number | boolean | null | undefined;
export interface FakeHubSpotOptions {
  /** Private app (or OAuth) tokens accepted as Bearer. Default ["pat-na1-fake"]. */
  tokens?: string[];
  /** The clock's start. Default 2025-01-15T12:00:00Z. */
  now?: Date | number | string;
}

interface StoredCompany {
  id: string;
  props: Record<string, string>;
  createdAt: number;
  updatedAt: number;
  archivedAt?: number;
}
type Filter = {
  propertyName?: unknown;
  operator?: unknown;
  value?: unknown;
  highValue?: unknown;
  values?: unknown;
};

const COMPANIES = "/crm/v3/objects/companies";
const SEARCH = `${COMPANIES}/search`;
const OWNERS = "/crm/v3/owners";
// The companies search's default properties (developers.hubspot.com/docs/api/crm/search), and the list's.
const DEFAULT_PROPERTIES = ["name", "domain"];
const ALWAYS = ["createdate", "hs_lastmodifieddate", "hs_object_id"];
const SEARCH_CAP = 10_000;

const iso = (ms: number) => new Date(ms).toISOString();
/** Numbers and dates (ISO, or ms since the epoch as HubSpot filters take them) compare as numbers. */
const comparable = (v: string): number | string => {
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  const ms = /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v) : Number.NaN;
  return Number.isNaN(ms) ? v.toLowerCase() : ms;
};
const compare = (a: string, b: string): number => {
  const [x, y] = [comparable(a), comparable(b)];
  if (typeof x === "number" && typeof y === "number") return x - y;
  return String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
};
const OPERATORS: Record<string, (value: string | undefined, f: Filter) => boolean> = {
  EQ: (v, f) => v !== undefined && compare(v, String(f.value)) === 0,
  NEQ: (v, f) => v === undefined || compare(v, String(f.value)) !== 0,
  LT: (v, f) => v !== undefined && compare(v, String(f.value)) < 0,
  LTE: (v, f) => v !== undefined && compare(v, String(f.value)) <= 0,
  GT: (v, f) => v !== undefined && compare(v, String(f.value)) > 0,
  GTE: (v, f) => v !== undefined && compare(v, String(f.value)) >= 0,
  BETWEEN: (v, f) =>
    v !== undefined && compare(v, String(f.value)) >= 0 && compare(v, String(f.highValue)) <= 0,
  IN: (v, f) =>
    v !== undefined && Array.isArray(f.values) && f.values.some((x) => compare(v, String(x)) === 0),
  NOT_IN: (v, f) =>
    v === undefined || !Array.isArray(f.values) || f.values.every((x) => compare(v, String(x)) !== 0),
  HAS_PROPERTY: (v) => v !== undefined && v !== "",
  NOT_HAS_PROPERTY: (v) => v === undefined || v === "",
};

class FakeHubSpotServer extends VendorFake {
  private tokens: Set<string>;
  private readonly expired = new Set<string>();
  private readonly companies = new Map<string, StoredCompany>();
  private readonly owners = new Map<string, HubSpotOwner>();
  private readonly seq = { company: 0, owner: 0, correlation: 0 };

  constructor(options: FakeHubSpotOptions) {
    super(options.now);
    this.tokens = new Set(options.tokens ?? ["pat-na1-fake"]);
  }

  // ---- credentials ----
  /** Every token now answers 401 EXPIRED_AUTHENTICATION. */
  revokeCredentials(): void {
    for (const token of this.tokens) this.expired.add(token);
    this.tokens.clear();
  }
  rotateCredentials(tokens: string[]): void {
    this.revokeCredentials();
    this.tokens = new Set(tokens);
  }

  // ---- seeding ----
  /** Any properties (name, domain, hubspot_owner_id, lifecyclestage, custom ones); values are kept as strings. */
  addCompany(
    properties: Record<string, PropertyValue>,
    options: { createdAt?: Date | number | string } = {},
  ) {
    const at = options.createdAt === undefined ? this.clock.now() : new Date(options.createdAt).getTime();
    const company: StoredCompany = {
      id: String(1000 + ++this.seq.company),
      props: {},
      createdAt: at,
      updatedAt: at,
    };
    this.setProps(company, properties);
    this.companies.set(company.id, company);
    return this.view(company, undefined);
  }
  /** Sets properties (null or "" clears one) and bumps hs_lastmodifieddate/updatedAt to the clock's now. */
  updateCompany(id: string, properties: Record<string, PropertyValue>): HubSpotCompany {
    const company = this.company(id);
    company.updatedAt = this.clock.now();
    this.setProps(company, properties);
    return this.view(company, undefined);
  }
  /** Archived companies leave the list (unless archived=true) and search. */
  archiveCompany(id: string): void {
    const company = this.company(id);
    company.archivedAt = company.updatedAt = this.clock.now();
  }
  /** A company as the API would show it with these properties requested. */
  companyView(id: string, properties?: string[]): HubSpotCompany {
    return this.view(this.company(id), properties);
  }
  addOwner(input: {
    email: string;
    firstName?: string;
    lastName?: string;
    userId?: number;
    archived?: boolean;
    teams?: { id: string; name: string; primary: boolean }[];
  }): HubSpotOwner {
    const n = ++this.seq.owner;
    const at = iso(this.clock.now());
    const owner: HubSpotOwner = {
      id: String(41_000_000 + n),
      email: input.email,
      type: "PERSON",
      firstName: input.firstName ?? "",
      lastName: input.lastName ?? "",
      userId: input.userId ?? 9_000_000 + n,
      userIdIncludingInactive: input.userId ?? 9_000_000 + n,
      createdAt: at,
      updatedAt: at,
      archived: input.archived ?? false,
      ...(input.teams ? { teams: input.teams } : {}),
    };
    this.owners.set(owner.id, owner);
    return clone(owner);
  }

  // ---- HTTP ----
  protected failure(failure: HttpFailure): Reply {
    if (failure.status === 401) return this.unauthorized(true);
    if (failure.status === 429) {
      const body = {
        status: "error",
        message: "You have reached your secondly limit.",
        errorType: "RATE_LIMIT",
        correlationId: this.correlationId(),
        policyName: "SECONDLY",
        requestId: this.correlationId(),
      };
      const headers =
        failure.retryAfter === undefined ? undefined : { "retry-after": String(failure.retryAfter) };
      return { status: 429, body, headers };
    }
    const message = "The server encountered an error; pause for a few seconds, then retry.";
    return {
      status: failure.status,
      body: { status: "error", message, correlationId: this.correlationId() },
    };
  }

  protected authenticate(request: VendorRequest): Reply | undefined {
    const { bearer } = credentialsOf(request.authorization);
    if (bearer && this.tokens.has(bearer)) return undefined;
    return this.unauthorized(bearer !== undefined && this.expired.has(bearer));
  }

  protected route(request: VendorRequest): Reply {
    const { method, path } = request;
    if (method === "GET" && path === COMPANIES) return this.listCompanies(request.query, request.url);
    if (method === "POST" && path === SEARCH) return this.search(request.body);
    if (method === "GET" && (path === OWNERS || path === `${OWNERS}/`))
      return this.listOwners(request.query, request.url);
    return {
      status: 404,
      body: { status: "error", message: "Resource not found", correlationId: this.correlationId() },
    };
  }

  protected malform(reply: Reply, request: VendorRequest): Reply {
    if (!isRec(reply.body) || !Array.isArray(reply.body.results)) return reply;
    const [first, ...rest] = reply.body.results as Rec[];
    const broken = request.path.startsWith(OWNERS)
      ? (({ email: _e, ...r }) => ({ ...r, id: Number(r.id) }))(first ?? { id: "1" })
      : (({ properties: _p, ...r }) => r)(first ?? { id: "0", createdAt: iso(this.clock.now()) });
    return { ...reply, body: { ...reply.body, results: [broken, ...rest] } };
  }

  // ---- endpoints ----
  private listCompanies(query: URLSearchParams, url: URL): Reply {
    const limit = this.limit(query, 10, 100);
    const after = query.get("after");
    if (after !== null && !/^\d+$/.test(after)) this.refuse(`Invalid after value: ${after}`);
    const wanted = query
      .getAll("properties")
      .flatMap((p) => p.split(","))
      .filter(Boolean);
    const archived = query.get("archived") === "true";
    const rows = [...this.companies.values()]
      .filter(
        (c) => (c.archivedAt !== undefined) === archived && (after === null || Number(c.id) >= Number(after)),
      )
      .sort((a, b) => Number(a.id) - Number(b.id));
    const next = rows[limit];
    return {
      status: 200,
      body: {
        results: rows.slice(0, limit).map((c) => this.view(c, wanted.length ? wanted : undefined)),
        ...(next ? { paging: { next: { after: next.id, link: this.link(url, next.id) } } } : {}),
      },
    };
  }

  private search(body: unknown): Reply {
    if (!isRec(body)) return this.refuse("Invalid input JSON: the body must be a JSON object.");
    const limit = body.limit === undefined ? 10 : Number(body.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) this.refuse("limit must be between 1 and 200.");
    const offset = body.after === undefined || body.after === null ? 0 : Number(body.after);
    if (!Number.isInteger(offset) || offset < 0) this.refuse(`Invalid after value: ${String(body.after)}`);
    // "The search endpoints are limited to 10,000 total results for any given query" (a 400 beyond).
    if (offset >= SEARCH_CAP) this.refuse(`Search results are limited to ${SEARCH_CAP} total results.`);
    const groups = Array.isArray(body.filterGroups) ? (body.filterGroups as unknown[]) : [];
    if (groups.length > 5) this.refuse("Too many filter groups (maximum 5).");
    const filterSets = groups.map((g) =>
      isRec(g) && Array.isArray(g.filters) ? (g.filters as Filter[]) : [],
    );
    for (const f of filterSets.flat()) {
      if (typeof f.propertyName !== "string" || !OPERATORS[String(f.operator)])
        this.refuse(`Invalid filter: ${JSON.stringify(f)}`);
    }
    const matchesFilters = (c: StoredCompany) =>
      !filterSets.length ||
      filterSets.some((filters) =>
        filters.every((f) => OPERATORS[String(f.operator)]?.(this.prop(c, String(f.propertyName)), f)),
      );
    const rows = [...this.companies.values()].filter((c) => c.archivedAt === undefined && matchesFilters(c));
    rows.sort(this.sorter(body.sorts));
    const properties = Array.isArray(body.properties) ? body.properties.map(String) : undefined;
    const more = rows.length > offset + limit;
    return {
      status: 200,
      body: {
        total: rows.length,
        results: rows.slice(offset, offset + limit).map((c) => this.view(c, properties)),
        ...(more ? { paging: { next: { after: String(offset + limit) } } } : {}),
      },
    };
  }

  /** The first sort, as {propertyName, direction} or a string ("name", "-name" descending); by id by default. */
  private sorter(sorts: unknown): (a: StoredCompany, b: StoredCompany) => number {
    const first: unknown = Array.isArray(sorts) ? sorts[0] : undefined;
    let name = "hs_object_id";
    let sign = 1;
    if (typeof first === "string") [name, sign] = first.startsWith("-") ? [first.slice(1), -1] : [first, 1];
    if (isRec(first) && typeof first.propertyName === "string") {
      [name, sign] = [first.propertyName, first.direction === "DESCENDING" ? -1 : 1];
    }
    return (a, b) => {
      const [x, y] = [this.prop(a, name), this.prop(b, name)];
      if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1;
      return sign * compare(x, y) || Number(a.id) - Number(b.id);
    };
  }

  private listOwners(query: URLSearchParams, url: URL): Reply {
    const limit = this.limit(query, 100, 500);
    const after = query.get("after");
    const email = query.get("email")?.toLowerCase();
    const archived = query.get("archived") === "true";
    const rows = [...this.owners.values()]
      .filter((o) => o.archived === archived && (!email || o.email.toLowerCase() === email))
      .filter((o) => after === null || Number(o.id) >= Number(after))
      .sort((a, b) => Number(a.id) - Number(b.id));
    const next = rows[limit];
    return {
      status: 200,
      body: {
        results: clone(rows.slice(0, limit)),
        ...(next ? { paging: { next: { after: next.id, link: this.link(url, next.id) } } } : {}),
      },
    };
  }

  // ---- helpers ----
  private view(c: StoredCompany, wanted: string[] | undefined): HubSpotCompany {
    const properties: Record<string, string | null> = {};
    for (const name of [...(wanted ?? DEFAULT_PROPERTIES), ...ALWAYS])
      properties[name] = this.prop(c, name) ?? null;
    return {
      id: c.id,
      properties,
      createdAt: iso(c.createdAt),
      updatedAt: iso(c.updatedAt),
      archived: c.archivedAt !== undefined,
      ...(c.archivedAt === undefined ? {} : { archivedAt: iso(c.archivedAt) }),
    };
  }
  private prop(c: StoredCompany, name: string): string | undefined {
    if (name === "hs_object_id") return c.id;
    if (name === "createdate") return iso(c.createdAt);
    if (name === "hs_lastmodifieddate") return iso(c.updatedAt);
    return c.props[name];
  }
  private setProps(c: StoredCompany, properties: Record<string, PropertyValue>): void {
    for (const [k, v] of Object.entries(properties)) {
      if (v === null || v === undefined || v === "") delete c.props[k];
      else c.props[k] = String(v);
    }
  }
  private company(id: string): StoredCompany {
    const company = this.companies.get(id);
    if (!company) throw new Error(`no HubSpot company ${id}`);
    return company;
  }
  private limit(query: URLSearchParams, fallback: number, max: number): number {
    const limit = intParam(query, "limit", fallback, 1, max);
    return Number.isNaN(limit) ? this.refuse(`limit must be between 1 and ${max}.`) : limit;
  }
  private link(url: URL, after: string): string {
    const next = new URL(url.href);
    next.searchParams.set("after", after);
    return next.href;
  }
  private correlationId(): string {
    return uuidOf(++this.seq.correlation);
  }
  private refuse(message: string): never {
    const body = {
      status: "error",
      message,
      correlationId: this.correlationId(),
      category: "VALIDATION_ERROR",
    };
    throw new Refusal({ status: 400, body });
  }
  private unauthorized(expired: boolean): Reply {
    const message = expired
      ? "The OAuth token used to make this call expired 0 second(s) ago."
      : "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview";
    const category = expired ? "EXPIRED_AUTHENTICATION" : "INVALID_AUTHENTICATION";
    return { status: 401, body: { status: "error", message, correlationId: this.correlationId(), category } };
  }
}

export type FakeHubSpot = FakeHubSpotServer;

/** Starts the fake on 127.0.0.1, on a free port. Point the client at `fake.baseUrl` (paths start /crm/v3/). */
export async function startFakeHubSpot(options: FakeHubSpotOptions = {}): Promise<FakeHubSpot> {
  return new FakeHubSpotServer(options).listen();
}
