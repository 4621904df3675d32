// Salesforce: Accounts to accounts (name, Website as the domain, the owner's email, and the segment,
// revenue, renewal date and the customer's own id from configurable fields), deleted accounts to
// churned ones and merged accounts to their winners; with read_cases, Cases as support load
// (cases.ts); with renewal_opportunity_types, renewal dates from Opportunities
// (renewals.ts). docs/connectors.md, "Salesforce", says the same for admins.
//
// A sync gets an access token (auth.ts: refresh token or JWT bearer flow), checks the
// settings' fields against the org's describe of Account, then reads Accounts through queryAll in
// (SystemModstamp, Id) order from the cursor, following nextRecordsUrl; each batch is a page,
// committed with the position of its last record. The first sync reads live accounts only; later
// ones also see the deleted (IsDeleted) and merged (MasterRecordId) ones, and start a few minutes
// before the last position, as a record's SystemModstamp is stamped before its transaction commits.
import { z } from "zod";
import { dateToDay, type Day } from "../../domain/dates.ts";
import {
  ConnectorConfigError,
  type ConnectorDefinition,
  type SourceAccount,
  type SourceRemoval,
  type SyncContext,
  type SyncPage,
} from "../contract.ts";
import { baseUrlSchema, commonSettingsShape, parsedUrl } from "../common-settings.ts";
import {
  audienceOf,
  classifySalesforceError,
  salesforceSecretSchema,
  SalesforceSession,
  type SalesforceSecret,
} from "./auth.ts";
import { casesStateSchema, readCases } from "./cases.ts";
import { queryBatches, type SalesforceRead } from "./query.ts";
import { readRenewals } from "./renewals.ts";
import { checkRecords, envelope, normaliseDomain, round2, vendorDay } from "../vendor-common.ts";

/** A field of Account by its API name (custom ones end in __c); no relationship paths. */
const field = z
  .string()
  .trim()
  .regex(/^[A-Za-z][A-Za-z0-9_]*$/, "must be a field's API name on Account, such as ARR__c");
const settingsObject = z.strictObject({
  ...commonSettingsShape,
  /** The org's My Domain URL (https://acme.my.salesforce.com): token endpoint and REST API alike. */
  base_url: baseUrlSchema.refine(
    (url) => !/^(login|test)\.salesforce\.com$/i.test(parsedUrl(url)?.hostname ?? ""),
    {
      message: "must be your org's My Domain URL (https://<domain>.my.salesforce.com), not the login server",
    },
  ),
  api_version: z
    .string()
    .regex(/^v\d{2,3}\.0$/, 'must be a REST API version such as "v62.0"')
    .default("v62.0"),
  /** A text or picklist field whose value selects the scoring model's segment overrides. */
  segment_field: field.optional(),
  /** A number or currency field with the account's recurring revenue. */
  revenue_field: field.optional(),
  /** Whether revenue_field holds annual (ARR, divided by 12) or monthly (MRR) revenue. */
  revenue_period: z.enum(["annual", "monthly"]).default("annual"),
  /** A date or datetime field with the next renewal. */
  renewal_date_field: field.optional(),
  /** Or: Opportunity types whose open opportunities' earliest CloseDate is the renewal date. */
  renewal_opportunity_types: z.array(z.string().trim().min(1)).min(1).optional(),
  /** A text field holding the customer's own account id (matched with other sources' ids). */
  account_id_field: field.optional(),
  /**
   * The share of the org's rolling 24-hour API allowance (Sforce-Limit-Info) past which a sync stops
   * after its current page, leaving the rest to the org's other integrations; the next sync resumes.
   */
  max_api_usage: z.number().gt(0).max(1).default(0.9),
  /** Read Cases as support load: open_tickets, open_tickets_high, tickets_created (needs Read on Case). */
  read_cases: z.boolean().default(false),
  /** Case priorities counted in open_tickets_high. */
  high_priorities: z.array(z.string().trim().min(1)).min(1).default(["High"]),
  /** Values of Account.Type that make an account a customer; unset: every account is one. */
  customer_types: z.array(z.string().trim().min(1)).min(1).optional(),
});
const settingsSchema = settingsObject.refine((s) => !(s.renewal_date_field && s.renewal_opportunity_types), {
  message: "give renewal_date_field or renewal_opportunity_types, not both",
  path: ["renewal_opportunity_types"],
});
const cursorSchema = z.object({
  /** "initial": the first pass over live accounts; "incremental": every change since. */
  phase: z.enum(["initial", "incremental"]),
  /** The SystemModstamp of the last account read (whole seconds, UTC); null before the first. */
  since: z.iso.datetime().nullable(),
  /** The Id of the last account read at `since` within a pass; null once a pass has ended. */
  after_id: z.string().nullable(),
  /** What the last read of Cases left for the next (read_cases). */
  cases: casesStateSchema.optional(),
  /** When the last read of renewal opportunities started (renewal_opportunity_types). */
  opportunities_since: z.iso.datetime().optional(),
});

export type SalesforceSettings = z.output<typeof settingsSchema>;
export type SalesforceCursor = z.infer<typeof cursorSchema>;
type Context = SyncContext<SalesforceSettings, SalesforceSecret, SalesforceCursor>;

// ---- Salesforce's answers (developer.salesforce.com/docs/platform/api-rest), lenient ----
const describeSchema = z.looseObject({
  fields: z.array(z.looseObject({ name: z.string(), type: z.string() })),
});
const recordSchema = z.looseObject({
  Id: z.string().min(15),
  Name: z.string().nullish(),
  Website: z.string().nullish(),
  Type: z.string().nullish(),
  IsDeleted: z.boolean(),
  MasterRecordId: z.string().nullish(),
  SystemModstamp: z.string(),
  Owner: z.looseObject({ Email: z.string().nullish() }).nullish(),
});
type AccountRecord = z.infer<typeof recordSchema>;

/** Field types each mapping accepts, as describe names them. */
const TYPES = {
  segment_field: ["string", "picklist", "textarea", "combobox"],
  revenue_field: ["currency", "double", "int", "long", "percent"],
  renewal_date_field: ["date", "datetime"],
  account_id_field: ["string", "id", "reference", "textarea"],
} as const;
const STANDARD = [
  "Id",
  "Name",
  "Website",
  "Type",
  "IsDeleted",
  "MasterRecordId",
  "SystemModstamp",
  "Owner.Email",
];
/** Later syncs start this much before the last SystemModstamp read (see the file's comment). */
const LAG_MS = 5 * 60_000;
/** Salesforce's largest batch of query results. */
const BATCH = 2000;

export const salesforceConnector: ConnectorDefinition<
  SalesforceSettings,
  SalesforceSecret,
  SalesforceCursor
> = {
  kind: "salesforce",
  title: "Salesforce",
  settings: settingsSchema,
  secret: salesforceSecretSchema,
  cursor: cursorSchema,
  defaultBaseUrl: null,
  // The access token comes from the token endpoint at each sync (SalesforceSession).
  authHeaders: () => ({}),
  classifyError: classifySalesforceError,
  check: async (context) => {
    await openMapping(
      new SalesforceSession(context.http, context.secret, audienceOf(context.settings.base_url)),
      context.settings,
    );
  },
  sync: (context) => syncSalesforce(context),
};

async function* syncSalesforce(ctx: Context): AsyncGenerator<SyncPage<SalesforceCursor>> {
  const session = new SalesforceSession(ctx.http, ctx.secret, audienceOf(ctx.settings.base_url));
  const api = `/services/data/${ctx.settings.api_version}`;
  const usage = new ApiUsage(ctx.settings.max_api_usage);
  const mapper = await openMapping(session, ctx.settings, usage);
  const cursor = ctx.cursor ?? { phase: "initial" as const, since: null, after_id: null };
  if (usage.spent(ctx)) return;
  const read: SalesforceRead = (path, query) =>
    session.json<unknown>({ path, query, headers: BATCH_HEADER, onHeaders: usage.read });
  let position = { since: cursor.since, id: cursor.after_id };
  let last: SalesforceCursor = cursor;
  for await (const batch of queryBatches(read, api, "queryAll", accountQuery(mapper.fields, cursor))) {
    const mapped = mapper.page(batch.records);
    if (mapped.last) position = mapped.last;
    last = batch.done
      ? {
          ...cursor, // the Cases' and Opportunities' state, moved on below
          phase: "incremental",
          since: position.since ?? stamp(new Date(ctx.now.getTime() - LAG_MS)),
          after_id: null,
        }
      : { ...cursor, since: position.since, after_id: position.id };
    if (batch.records.length || cursor.phase === "initial" || !batch.done)
      yield { ...mapped.page, cursor: last };
    if (!batch.done && usage.spent(ctx)) return;
  }
  // Cases after every account, so the accounts they name are known; skipped when the allowance is short.
  if (ctx.settings.read_cases && !usage.spent(ctx)) {
    const cases = await readCases(
      read,
      api,
      ctx.settings.high_priorities,
      cursor.cases ?? null,
      dateToDay(ctx.now),
    );
    last = { ...last, cases: cases.state };
    yield { ...cases.page, cursor: last };
  }
  const types = ctx.settings.renewal_opportunity_types;
  if (types && !usage.spent(ctx)) {
    // From a little before the last read began: an opportunity closed while it ran is not missed.
    const since = cursor.opportunities_since;
    const from = since ? stamp(new Date(Date.parse(since) - LAG_MS)) : null;
    const renewals = await readRenewals(read, api, types, from);
    yield {
      read: renewals.read,
      accountUpdates: renewals.updates,
      rejected: renewals.rejected,
      cursor: { ...last, opportunities_since: stamp(ctx.now) },
    };
  }
}

/** The org's API usage as Salesforce reports it on each answer (Sforce-Limit-Info: api-usage=18/5000). */
class ApiUsage {
  private used = 0;
  private limit = 0;

  constructor(private readonly maxShare: number) {}

  readonly read = (headers: Headers): void => {
    const m = /api-usage=(\d+)\/(\d+)/.exec(headers.get("sforce-limit-info") ?? "");
    if (m) [this.used, this.limit] = [Number(m[1]), Number(m[2])];
  };

  /** True (and logged) when the sync should stop here for the org's other integrations. */
  spent(ctx: Context): boolean {
    if (!this.limit || this.used / this.limit < this.maxShare) return false;
    ctx.log.warn("Salesforce API allowance nearly spent: the sync stops here and resumes at the next run", {
      used: this.used,
      limit: this.limit,
      max_api_usage: this.maxShare,
    });
    return true;
  }
}

/** The settings' mapping checked against the org's describe of Account (throws ConnectorConfigError). */
async function openMapping(
  session: SalesforceSession,
  settings: SalesforceSettings,
  usage?: ApiUsage,
): Promise<AccountMapper> {
  const path = `/services/data/${settings.api_version}/sobjects/Account/describe`;
  const answer = await session.json({ path, onHeaders: usage?.read });
  const describe = envelope(describeSchema, answer, `Salesforce ${path}`);
  return new AccountMapper(settings, describe.fields);
}

const BATCH_HEADER = { "sforce-query-options": `batchSize=${BATCH}` };

/** SOQL's datetime literal: whole seconds, UTC. */
const stamp = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, "Z");

function accountQuery(fields: readonly string[], cursor: SalesforceCursor): string {
  const where: string[] = [];
  if (cursor.phase === "initial") where.push("IsDeleted = false");
  if (cursor.since !== null && cursor.after_id !== null) {
    // Within a pass: after the last record read, in (SystemModstamp, Id) order.
    const since = stamp(new Date(cursor.since));
    where.push(`(SystemModstamp > ${since} OR (SystemModstamp = ${since} AND Id > '${cursor.after_id}'))`);
  } else if (cursor.since !== null) {
    where.push(`SystemModstamp >= ${stamp(new Date(Date.parse(cursor.since) - LAG_MS))}`);
  }
  return [
    `SELECT ${fields.join(", ")} FROM Account`,
    ...(where.length ? [`WHERE ${where.join(" AND ")}`] : []),
    "ORDER BY SystemModstamp ASC, Id ASC",
  ].join(" ");
}

/** Accounts to accounts and removals, under the connector's settings checked against the describe. */
class AccountMapper {
  readonly fields: string[];
  private readonly types: Set<string> | null;

  constructor(
    private readonly settings: SalesforceSettings,
    described: readonly { name: string; type: string }[],
  ) {
    const byName = new Map(described.map((f) => [f.name.toLowerCase(), f]));
    const problems: string[] = [];
    for (const key of Object.keys(TYPES) as (keyof typeof TYPES)[]) {
      const name = settings[key];
      if (name === undefined) continue;
      const found = byName.get(name.toLowerCase());
      const accepted: readonly string[] = TYPES[key];
      if (!found)
        problems.push(`settings.${key}: Account has no field "${name}" (or this user cannot see it)`);
      else if (!accepted.includes(found.type))
        problems.push(
          `settings.${key}: Account.${found.name} is a ${found.type} field; it must be one of: ${accepted.join(", ")}`,
        );
      else settings = { ...settings, [key]: found.name }; // the API name as Salesforce spells it
    }
    if (problems.length)
      throw new ConnectorConfigError(
        `the Salesforce field mapping does not fit this org:\n  ${problems.join("\n  ")}`,
      );
    this.settings = settings;
    const mapped = [
      settings.segment_field,
      settings.revenue_field,
      settings.renewal_date_field,
      settings.account_id_field,
    ];
    this.fields = [...new Set([...STANDARD, ...mapped.filter((f) => f !== undefined)])];
    this.types = settings.customer_types
      ? new Set(settings.customer_types.map((t) => t.toLowerCase()))
      : null;
  }

  page(records: readonly unknown[]): {
    page: Omit<SyncPage<SalesforceCursor>, "cursor">;
    last: { since: string; id: string } | null;
  } {
    const checked = checkRecords(records, recordSchema, "account");
    const rejected = checked.rejected;
    const accounts: SourceAccount[] = [];
    const removals: SourceRemoval[] = [];
    let last: { since: string; id: string } | null = null;
    for (const record of checked.records) {
      const modified = Date.parse(record.SystemModstamp);
      if (Number.isNaN(modified)) {
        rejected.push({
          record: `account ${record.Id}`,
          reason: `SystemModstamp: not a time: ${record.SystemModstamp}`,
        });
        continue;
      }
      last = { since: stamp(new Date(modified)), id: record.Id };
      if (record.IsDeleted) {
        removals.push({
          sourceId: record.Id,
          on: dateToDay(new Date(modified)),
          mergedInto: record.MasterRecordId ?? null,
        });
        continue;
      }
      const mapped = this.account(record);
      if (typeof mapped === "string") rejected.push({ record: `account ${record.Id}`, reason: mapped });
      else if (mapped) accounts.push(mapped);
    }
    return { page: { read: records.length, accounts, removals, rejected }, last };
  }

  /** The account, null for one whose Type is not a customer's, or why it cannot be used. */
  private account(r: AccountRecord): SourceAccount | null | string {
    if (this.types && !this.types.has((r.Type ?? "").trim().toLowerCase())) return null;
    const s = this.settings;
    const value = (name: string | undefined): unknown =>
      name ? (r as Record<string, unknown>)[name] : undefined; // looseObject keeps the mapped fields
    const text = (name: string | undefined): string | null | undefined => {
      if (!name) return undefined;
      const v = value(name);
      if (v === null || v === undefined) return null;
      return (typeof v === "string" ? v : JSON.stringify(v)).trim() || null;
    };
    const revenue = value(s.revenue_field);
    if (revenue !== undefined && revenue !== null && typeof revenue !== "number")
      return `${s.revenue_field}: not a number: ${JSON.stringify(revenue)}`;
    const renewalText = text(s.renewal_date_field);
    const renewalDate: Day | null | undefined =
      renewalText === undefined ? undefined : renewalText === null ? null : vendorDay(renewalText);
    if (renewalDate === null && renewalText)
      return `${s.renewal_date_field}: not a date: ${JSON.stringify(renewalText)}`;
    return {
      sourceId: r.Id,
      name: r.Name?.trim() || null,
      domain: normaliseDomain(r.Website),
      owner: r.Owner?.Email?.trim().toLowerCase() || null,
      ...(s.segment_field ? { segment: text(s.segment_field) } : {}),
      ...(s.account_id_field ? { externalId: text(s.account_id_field) } : {}),
      ...(s.revenue_field
        ? {
            mrr:
              typeof revenue === "number"
                ? round2(s.revenue_period === "annual" ? revenue / 12 : revenue)
                : null,
          }
        : {}),
      ...(s.renewal_date_field ? { renewalDate } : {}),
      status: "active",
      churnedAt: null,
    };
  }
}
