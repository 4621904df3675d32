// A fake of HubSpot's CRM v3 companies, companies search and owners endpoints, over real HTTP on
// loopback, for connector integration tests. Shapes follow
// https://developers.hubspot.com/docs/api/crm/companies (list: results, paging.next.after/link),
// https://developers.hubspot.com/docs/api/crm/search (filterGroups, sorts, limit ≤ 200, `after` an offset,
// 10,000 results at most per query, 400 beyond), https://developers.hubspot.com/docs/api/crm/owners,
// https://developers.hubspot.com/docs/api/error-handling (the {status:"error", message, correlationId,
// category} body) and https://developers.hubspot.com/docs/api/usage-details (the 429 body: errorType
// RATE_LIMIT, policyName). For write-back: https://developers.hubspot.com/docs/api/crm/properties
// (GET/POST /crm/v3/properties/companies and /groups; 409 OBJECT_ALREADY_EXISTS) and the batch update
// (POST /crm/v3/objects/companies/batch/update, 100 inputs at most; 200 COMPLETE, 207 with errors
// for ids not found, 400 VALIDATION_ERROR "Property values were not valid" for a property missing or
// a value of the wrong type, 403 MISSING_SCOPES without the write scope).
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
/** A property definition as /crm/v3/properties answers it (the fields css-bot reads and writes). */
export interface HubSpotProperty {
  name: string;
  label: string;
  type: "string" | "number" | "date" | "datetime" | "enumeration" | "bool";
  fieldType: string;
  groupName: string;
  description: string;
  hubspotDefined?: boolean;
}
export interface HubSpotPropertyGroup {
  name: string;
  label: string;
  displayOrder: number;
  archived: boolean;
}
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
const PROPERTIES = "/crm/v3/properties/companies";
const GROUPS = `${PROPERTIES}/groups`;
const BATCH_UPDATE = `${COMPANIES}/batch/update`;
const BATCH_LIMIT = 100;
// HubSpot's own company properties the fake knows (a portal has many more).
const BUILT_IN: HubSpotProperty[] = ["name", "domain", "lifecyclestage", "hubspot_owner_id"].map((name) => ({
  name,
  label: name,
  type: "string",
  fieldType: "text",
  groupName: "companyinformation",
  description: "",
  hubspotDefined: true,
}));

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
  private readonly properties = new Map<string, HubSpotProperty>(BUILT_IN.map((p) => [p.name, p]));
  private readonly groups = new Map<string, HubSpotPropertyGroup>([
    [
      "companyinformation",
      { name: "companyinformation", label: "Company information", displayOrder: 0, archived: false },
    ],
  ]);
  /** Scopes the token lacks: calls needing them answer 403 MISSING_SCOPES. */
  private readonly missingScopes = new Set<string>();

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

  // ---- properties ----
  /** A property as a portal's admin could have made it (e.g. one of css-bot's with the wrong type). */
  addProperty(
    property: Omit<HubSpotProperty, "label" | "description" | "groupName"> & Partial<HubSpotProperty>,
  ) {
    this.properties.set(property.name, {
      label: property.name,
      description: "",
      groupName: "companyinformation",
      ...property,
    });
  }
  property(name: string): HubSpotProperty | undefined {
    return clone(this.properties.get(name));
  }
  group(name: string): HubSpotPropertyGroup | undefined {
    return clone(this.groups.get(name));
  }
  /** The token loses a scope: crm.objects.companies.write (batch update) or crm.schemas.companies.write (creating properties). */
  revokeScope(scope: string): void {
    this.missingScopes.add(scope);
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
    if (method === "GET" && path === PROPERTIES) return this.results([...this.properties.values()]);
    if (method === "GET" && path === GROUPS) return this.results([...this.groups.values()]);
    if (method === "POST" && path === PROPERTIES) return this.createProperty(request.body);
    if (method === "POST" && path === GROUPS) return this.createGroup(request.body);
    if (method === "POST" && path === BATCH_UPDATE) return this.batchUpdate(request.body);
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

  private results(rows: unknown[]): Reply {
    return { status: 200, body: { results: clone(rows) } };
  }

  private createGroup(body: unknown): Reply {
    this.needScope("crm.schemas.companies.write");
    if (!isRec(body) || typeof body.name !== "string" || typeof body.label !== "string")
      return this.refuse("Invalid input JSON: name and label are required.");
    if (this.groups.has(body.name))
      return this.conflict(`Property group named '${body.name}' already exists.`);
    const group = {
      name: body.name,
      label: body.label,
      displayOrder: Number(body.displayOrder ?? -1),
      archived: false,
    };
    this.groups.set(group.name, group);
    return { status: 201, body: clone(group) };
  }

  private createProperty(body: unknown): Reply {
    this.needScope("crm.schemas.companies.write");
    if (!isRec(body)) return this.refuse("Invalid input JSON: the body must be a JSON object.");
    const { name, label, type, fieldType, groupName } = body;
    for (const [field, value] of Object.entries({ name, label, type, fieldType, groupName }))
      if (typeof value !== "string") this.refuse(`Invalid input JSON: ${field} is required.`);
    if (!["string", "number", "date", "datetime", "enumeration", "bool"].includes(String(type)))
      this.refuse(`Invalid property type: ${String(type)}`);
    if (!this.groups.has(String(groupName)))
      this.refuse(`Property group ${String(groupName)} does not exist.`);
    if (this.properties.has(String(name)))
      return this.conflict(`Property named '${String(name)}' already exists.`);
    const property = {
      name: String(name),
      label: String(label),
      type: type as HubSpotProperty["type"],
      fieldType: String(fieldType),
      groupName: String(groupName),
      description: typeof body.description === "string" ? body.description : "",
    };
    this.properties.set(property.name, property);
    return { status: 201, body: clone(property) };
  }

  /** All or nothing for invalid values (a 400 names each), ids not found reported in a 207. */
  private batchUpdate(body: unknown): Reply {
    this.needScope("crm.objects.companies.write");
    const inputs = isRec(body) && Array.isArray(body.inputs) ? (body.inputs as unknown[]) : null;
    if (!inputs) return this.refuse("Invalid input JSON: inputs is required.");
    if (inputs.length > BATCH_LIMIT)
      this.refuse(`Batch input limit of ${BATCH_LIMIT} exceeded: ${inputs.length}.`);
    const invalid: Rec[] = [];
    for (const input of inputs) {
      if (!isRec(input) || typeof input.id !== "string" || !isRec(input.properties))
        return this.refuse("Invalid input JSON: each input needs an id and properties.");
      for (const [name, value] of Object.entries(input.properties)) {
        const problem = this.valueProblem(name, value);
        if (problem) invalid.push({ isValid: false, name, ...problem });
      }
    }
    if (invalid.length) this.refuse(`Property values were not valid: ${JSON.stringify(invalid)}`);
    const missing: string[] = [];
    const results: HubSpotCompany[] = [];
    for (const input of inputs as { id: string; properties: Record<string, PropertyValue> }[]) {
      const company = this.companies.get(input.id);
      if (!company || company.archivedAt !== undefined) {
        missing.push(input.id);
        continue;
      }
      company.updatedAt = this.clock.now();
      this.setProps(company, input.properties);
      results.push(this.view(company, Object.keys(input.properties)));
    }
    const at = iso(this.clock.now());
    const done = { status: "COMPLETE", results, startedAt: at, completedAt: at };
    if (!missing.length) return { status: 200, body: done };
    const error = {
      status: "error",
      category: "OBJECT_NOT_FOUND",
      message:
        "Could not get some COMPANY objects, they may be deleted or not exist. Check that ids are valid.",
      context: { ids: missing },
    };
    return { status: 207, body: { ...done, numErrors: 1, errors: [error] } };
  }

  private valueProblem(name: string, value: unknown): { message: string; error: string } | null {
    const property = this.properties.get(name);
    if (!property) return { message: `Property "${name}" does not exist`, error: "PROPERTY_DOESNT_EXIST" };
    if (value === null || value === "") return null;
    if (property.type === "number" && !Number.isFinite(Number(value)))
      return { message: `${JSON.stringify(value)} was not a valid number.`, error: "INVALID_FLOAT" };
    return null;
  }

  // ---- helpers ----
  private needScope(scope: string): void {
    if (!this.missingScopes.has(scope)) return;
    const message =
      "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.";
    throw new Refusal({
      status: 403,
      body: {
        status: "error",
        message,
        correlationId: this.correlationId(),
        errors: [
          {
            message: "One or more of the following scopes are required.",
            context: { requiredGranularScopes: [scope] },
          },
        ],
        category: "MISSING_SCOPES",
      },
    });
  }
  private conflict(message: string): Reply {
    return {
      status: 409,
      body: {
        status: "error",
        message,
        correlationId: this.correlationId(),
        category: "OBJECT_ALREADY_EXISTS",
      },
    };
  }
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
