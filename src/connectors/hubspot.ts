// HubSpot: companies in a customer lifecycle stage to accounts (name, domain, owner's email, renewal
// date, the customer's own account id and segment from configurable properties), and companies with
// a churn date to churned accounts. docs/connectors.md, "HubSpot", says the same for admins.
//
// First sync: the owners, then every company through the list endpoint (paging.next.after), each
// page committed with its position. Later syncs search companies by hs_lastmodifieddate, ascending,
// a page at a time; every page restarts the search from the last modified date read (skipping the
// companies already read at exactly that instant), so the 10,000-result cap of one search never
// applies and a company modified during the sync cannot shift a page over another.
import { z } from "zod";
import type { Day } from "../domain/dates.ts";
import type {
  ConnectorDefinition,
  RejectedRecord,
  SourceAccount,
  SourceHttp,
  SyncContext,
  SyncPage,
} from "./contract.ts";
import { commonSettingsShape } from "./common-settings.ts";
import { checkRecords, envelope, isObject, normaliseDomain, vendorDay } from "./vendor-common.ts";

const property = z.string().trim().min(1);
const settingsSchema = z.strictObject({
  ...commonSettingsShape,
  /** A date property with the next renewal. */
  renewal_date_property: property.default("renewal_date"),
  /** A property holding the customer's own account id (matched with other sources' ids). */
  account_id_property: property.optional(),
  /** A property whose value selects the scoring model's segment overrides. */
  segment_property: property.optional(),
  /** A date property set when the customer left: the account is then churned on that day. */
  churn_date_property: property.optional(),
  /** Lifecycle stages (internal values) whose companies are customers; others are not accounts. */
  customer_stages: z.array(property).min(1).default(["customer", "evangelist"]),
});
const secretSchema = z.strictObject({ access_token: z.string().trim().min(1) });
const cursorSchema = z.discriminatedUnion("mode", [
  /** The first sync, listing companies: `after` is the list's position, `since` where searches start. */
  z.object({ mode: z.literal("list"), after: z.string().nullable(), since: z.iso.datetime() }),
  /** Every company modified before `since` has been read. */
  z.object({ mode: z.literal("search"), since: z.iso.datetime() }),
]);

export type HubSpotSettings = z.output<typeof settingsSchema>;
export type HubSpotSecret = z.infer<typeof secretSchema>;
export type HubSpotCursor = z.infer<typeof cursorSchema>;
type Context = SyncContext<HubSpotSettings, HubSpotSecret, HubSpotCursor>;

// ---- HubSpot's records (developers.hubspot.com/docs/api/crm), lenient: unknown fields pass ----
const companySchema = z.looseObject({
  id: z.string(),
  properties: z.record(z.string(), z.string().nullable()),
  updatedAt: z.string().optional(),
});
const ownerSchema = z.looseObject({ id: z.string(), email: z.string() });
const pageSchema = z.looseObject({
  results: z.array(z.unknown()),
  paging: z.looseObject({ next: z.looseObject({ after: z.string() }).optional() }).optional(),
});
type Company = z.infer<typeof companySchema>;

const COMPANIES = "/crm/v3/objects/companies";
const LIST_PAGE = 100;
const SEARCH_PAGE = 200;
/** Searches start this much before the cursor: HubSpot's search index lags its writes by seconds. */
const SEARCH_LAG_MS = 2 * 60_000;
/** Since-dates of a first sync start this much before it, for the same reason. */
const FIRST_SYNC_MARGIN_MS = 60_000;

export const hubspotConnector: ConnectorDefinition<HubSpotSettings, HubSpotSecret, HubSpotCursor> = {
  kind: "hubspot",
  title: "HubSpot",
  settings: settingsSchema,
  secret: secretSchema,
  cursor: cursorSchema,
  defaultBaseUrl: "https://api.hubapi.com",
  authHeaders: (secret) => ({ authorization: `Bearer ${secret.access_token}` }),
  sync: (context) => syncHubSpot(context),
};

async function* syncHubSpot(ctx: Context): AsyncGenerator<SyncPage<HubSpotCursor>> {
  const owners = await readOwners(ctx.http);
  const mapper = new CompanyMapper(ctx.settings, owners.emails);
  let pending = { read: owners.read, rejected: owners.rejected };
  const withOwners = (page: SyncPage<HubSpotCursor>): SyncPage<HubSpotCursor> => {
    const out = {
      ...page,
      read: page.read + pending.read,
      rejected: [...pending.rejected, ...(page.rejected ?? [])],
    };
    pending = { read: 0, rejected: [] };
    return out;
  };
  const cursor = ctx.cursor ?? {
    mode: "list" as const,
    after: null,
    since: new Date(ctx.now.getTime() - FIRST_SYNC_MARGIN_MS).toISOString(),
  };
  if (cursor.mode === "list") {
    // What changes while the list is read is found by the next sync's search.
    for await (const page of listCompanies(ctx.http, mapper, cursor)) yield withOwners(page);
    return;
  }
  for await (const page of searchCompanies(ctx.http, mapper, Date.parse(cursor.since)))
    yield withOwners(page);
  if (pending.read || pending.rejected.length) yield withOwners({ read: 0, cursor });
}

async function readOwners(http: SourceHttp) {
  const emails = new Map<string, string>();
  const rejected: RejectedRecord[] = [];
  let read = 0;
  let after: string | undefined;
  do {
    const body = await http.json({ path: "/crm/v3/owners", query: { limit: 100, after } });
    const page = envelope(pageSchema, body, "HubSpot /crm/v3/owners");
    const checked = checkRecords(page.results, ownerSchema, "owner");
    for (const owner of checked.records) emails.set(owner.id, owner.email.trim().toLowerCase());
    read += page.results.length;
    rejected.push(...checked.rejected);
    after = page.paging?.next?.after;
  } while (after);
  return { emails, read, rejected };
}

async function* listCompanies(
  http: SourceHttp,
  mapper: CompanyMapper,
  start: Extract<HubSpotCursor, { mode: "list" }>,
): AsyncGenerator<SyncPage<HubSpotCursor>> {
  let after = start.after;
  for (;;) {
    const query = { limit: LIST_PAGE, properties: mapper.properties.join(","), after: after ?? undefined };
    const page = envelope(pageSchema, await http.json({ path: COMPANIES, query }), `HubSpot ${COMPANIES}`);
    after = page.paging?.next?.after ?? null;
    const cursor: HubSpotCursor = after
      ? { mode: "list", after, since: start.since }
      : { mode: "search", since: start.since };
    yield { ...mapper.page(page.results), cursor };
    if (!after) return;
  }
}

async function* searchCompanies(
  http: SourceHttp,
  mapper: CompanyMapper,
  sinceMs: number,
): AsyncGenerator<SyncPage<HubSpotCursor>> {
  let since = sinceMs - SEARCH_LAG_MS;
  let readAtSince = 0; // companies already read whose hs_lastmodifieddate is exactly `since`
  for (;;) {
    const body = {
      filterGroups: [
        { filters: [{ propertyName: "hs_lastmodifieddate", operator: "GTE", value: String(since) }] },
      ],
      sorts: [{ propertyName: "hs_lastmodifieddate", direction: "ASCENDING" }],
      properties: mapper.properties,
      limit: SEARCH_PAGE,
      ...(readAtSince ? { after: String(readAtSince) } : {}),
    };
    const answer = await http.json({ method: "POST", path: `${COMPANIES}/search`, body });
    const page = envelope(pageSchema, answer, `HubSpot ${COMPANIES}/search`);
    if (!page.results.length) return;
    const before = [since, readAtSince];
    for (const raw of page.results) {
      const modified = modifiedMs(raw);
      if (modified === null || modified < since) continue;
      if (modified > since) [since, readAtSince] = [modified, 0];
      readAtSince++;
    }
    yield { ...mapper.page(page.results), cursor: { mode: "search", since: new Date(since).toISOString() } };
    // Done when the search has no next page, or when no record could be placed (no progress).
    if (!page.paging?.next || (before[0] === since && before[1] === readAtSince)) return;
  }
}

function modifiedMs(raw: unknown): number | null {
  if (!isObject(raw)) return null;
  const props = isObject(raw.properties) ? raw.properties : {};
  const text = typeof props.hs_lastmodifieddate === "string" ? props.hs_lastmodifieddate : raw.updatedAt;
  const ms = typeof text === "string" ? Date.parse(text) : Number.NaN;
  return Number.isNaN(ms) ? null : ms;
}

/** Companies to accounts under the connector's settings. */
class CompanyMapper {
  readonly properties: string[];
  private readonly stages: Set<string>;

  constructor(
    private readonly settings: HubSpotSettings,
    private readonly owners: Map<string, string>,
  ) {
    const wanted = [
      "name",
      "domain",
      "hubspot_owner_id",
      "lifecyclestage",
      "hs_lastmodifieddate",
      "hs_lifecyclestage_customer_date",
      settings.renewal_date_property,
      settings.account_id_property,
      settings.segment_property,
      settings.churn_date_property,
    ];
    this.properties = [...new Set(wanted.filter((p) => p !== undefined))];
    this.stages = new Set(settings.customer_stages.map((s) => s.toLowerCase()));
  }

  page(results: unknown[]): Omit<SyncPage<HubSpotCursor>, "cursor"> {
    const { records, rejected } = checkRecords(results, companySchema, "company");
    const accounts: SourceAccount[] = [];
    for (const company of records) {
      const mapped = this.account(company);
      if (typeof mapped === "string") rejected.push({ record: `company ${company.id}`, reason: mapped });
      else if (mapped) accounts.push(mapped);
    }
    return { read: results.length, accounts, rejected };
  }

  /** The account, null for a company that is not a customer, or why the company cannot be used. */
  private account(company: Company): SourceAccount | null | string {
    const p = company.properties;
    const s = this.settings;
    const date = (name: string | undefined): Day | null | string => {
      const text = name ? p[name]?.trim() : undefined;
      if (!text) return null;
      return vendorDay(text) ?? `${name}: not a date: ${JSON.stringify(text)}`;
    };
    const churnedAt = date(s.churn_date_property);
    const renewalDate = date(s.renewal_date_property);
    const createdAt = date("hs_lifecyclestage_customer_date");
    for (const problem of [churnedAt, renewalDate, createdAt])
      if (typeof problem === "string") return problem;
    const stage = p.lifecyclestage?.trim().toLowerCase();
    if (churnedAt === null && !(stage && this.stages.has(stage))) return null;
    const text = (name: string | undefined) => (name ? p[name]?.trim() || null : undefined);
    const ownerId = p.hubspot_owner_id?.trim();
    return {
      sourceId: company.id,
      name: text("name"),
      domain: normaliseDomain(p.domain),
      owner: ownerId ? (this.owners.get(ownerId) ?? null) : null,
      externalId: text(s.account_id_property),
      segment: text(s.segment_property),
      renewalDate: renewalDate as Day | null,
      ...(createdAt === null ? {} : { createdAt: createdAt as Day }),
      status: churnedAt === null ? "active" : "churned",
      churnedAt: churnedAt as Day | null,
    };
  }
}
