// A fake of Salesforce's REST API for Accounts, Cases and Opportunities, over real HTTP on loopback, for connector integration
// tests. Shapes follow Salesforce's documentation:
// - the OAuth 2.0 refresh token flow (help.salesforce.com "OAuth 2.0 Refresh Token Flow for Renewed
//   Sessions"): POST /services/oauth2/token, form-encoded grant_type=refresh_token, client_id,
//   client_secret, refresh_token, or the JWT bearer flow (grant_type
//   urn:ietf:params:oauth:grant-type:jwt-bearer, an RS256 assertion with iss, sub, aud, exp); the answer { access_token, signature, scope, instance_url, id,
//   token_type, issued_at }; refusals as 400 { error, error_description } (invalid_grant "expired
//   access/refresh token", invalid_client_id, invalid_client, unsupported_grant_type);
// - the Query and QueryAll resources (developer.salesforce.com/docs/platform/api-rest/guide/
//   resources-query.md, dome-query.md): GET /services/data/vXX.X/query?q=SOQL and /queryAll?q=SOQL
//   (queryAll also returns deleted records, IsDeleted true, and merged ones with MasterRecordId),
//   { totalSize, done, nextRecordsUrl?, records: [{ attributes: { type, url }, ...fields }] }, up to
//   2,000 records a batch (`Sforce-Query-Options: batchSize=n`, 200..2,000; the batch "can include fewer
//   records ... based on the size and complexity of records queried": `maxBatch` here), the rest
//   through nextRecordsUrl;
// - the sObject Describe resource: GET /services/data/vXX.X/sobjects/Account/describe, { name, label,
//   keyPrefix, queryable, fields: [{ name, type, label, custom, nillable, ... }], urls };
// - sObject Collections update (resources_composite_sobjects_collections_update.htm): PATCH
//   /services/data/vXX.X/composite/sobjects { allOrNone, records: [{ attributes: { type }, id, ...fields }] },
//   200 records at most (400 EXCEEDED_ID_LIMIT beyond), answered 200 with one { id, success, errors:
//   [{ statusCode, message, fields }] } per record, in order: ENTITY_IS_DELETED for a deleted account,
//   INVALID_FIELD_FOR_INSERT_UPDATE for a field the user may not edit, INVALID_FIELD for one Account
//   lacks; with allOrNone a failure rolls back every record;
// - errors as a JSON array of { message, errorCode } (api_rest errorcodes.htm): 401 INVALID_SESSION_ID
//   "Session expired or invalid", 403 REQUEST_LIMIT_EXCEEDED "TotalRequests Limit exceeded.", 400
//   MALFORMED_QUERY and INVALID_FIELD, 404 NOT_FOUND; every REST answer carries `Sforce-Limit-Info:
//   api-usage=used/limit`.
// The SOQL understood is what the connector sends: SELECT fields (Owner.Email through the owner
// relationship) FROM Account, Case or Opportunity [WHERE ...] [ORDER BY f [ASC|DESC], ...] [LIMIT n], with AND, OR, NOT,
// parentheses, = != < <= > >= IN and string, number, boolean, null, date and datetime literals.
import { verify, type KeyObject } from "node:crypto";
import {
  clone,
  credentialsOf,
  isRec,
  VendorFake,
  type HttpFailure,
  type Rec,
  type Reply,
  type VendorRequest,
} from "./vendor-http.ts";

export type FieldType =
  | "id"
  | "string"
  | "picklist"
  | "textarea"
  | "url"
  | "email"
  | "reference"
  | "boolean"
  | "currency"
  | "double"
  | "int"
  | "percent"
  | "date"
  | "datetime";
export interface FieldDescribe {
  name: string;
  type: FieldType;
  label: string;
  custom: boolean;
  nillable: boolean;
  length: number;
  referenceTo: string[];
  relationshipName: string | null;
  /** Whether the user may write it (its field-level security; false for system fields). */
  updateable: boolean;
}
export type FieldValue = string | number | boolean | null;
export interface FakeSalesforceOptions {
  clientId?: string;
  clientSecret?: string;
  /** Refresh tokens accepted. Default ["5Aep861-fake-refresh"]. */
  refreshTokens?: string[];
  /**
   * Refresh token rotation (a connected app's OAuth setting): each refresh answers a new refresh
   * token and revokes the one used.
   */
  rotateRefreshTokens?: boolean;
  /** The org's daily API request allowance (Sforce-Limit-Info). Default 15,000. */
  dailyLimit?: number;
  /** The most records one batch holds whatever batchSize asks (Salesforce may send fewer). Default 2,000. */
  maxBatch?: number;
  now?: Date | number | string;
}

interface StoredAccount {
  Id: string;
  fields: Record<string, FieldValue>;
  OwnerId: string | null;
  IsDeleted: boolean;
  MasterRecordId: string | null;
  CreatedDate: number;
  SystemModstamp: number;
}
/** A Case or an Opportunity: its fields by API name; CreatedDate and SystemModstamp in ms. */
type StoredRow = Record<string, FieldValue> & { Id: string; IsDeleted: boolean; SystemModstamp: number };
const CASE_FIELDS = [
  "Id",
  "AccountId",
  "Priority",
  "Status",
  "IsClosed",
  "IsDeleted",
  "CreatedDate",
  "SystemModstamp",
];
const OPPORTUNITY_FIELDS = [
  ...["Id", "AccountId", "Name", "Type", "StageName", "CloseDate", "Amount"],
  ...["IsClosed", "IsWon", "IsDeleted", "CreatedDate", "SystemModstamp"],
];
const DATETIMES = new Set(["CreatedDate", "SystemModstamp"]);
interface Table {
  rows(): (StoredAccount | StoredRow)[];
  problem(field: string): string | null;
  value(row: StoredAccount | StoredRow, field: string): FieldValue;
  view(row: StoredAccount | StoredRow, fields: string[], version: string): Rec;
}

/** The query side of an object without relationships (Case, Opportunity). */
function simpleTable(object: string, rows: () => StoredRow[], names: readonly string[]): Table {
  const canonical = (f: string) => names.find((c) => c.toLowerCase() === f.toLowerCase());
  const value = (r: StoredRow, f: string): FieldValue => {
    const key = canonical(f)!;
    const v = r[key] ?? null;
    return DATETIMES.has(key) && typeof v === "number" ? sfDateTime(v) : v;
  };
  return {
    rows,
    problem: (f) => (canonical(f) ? null : `No such column '${f}' on entity '${object}'.`),
    value: (r, f) => value(r as StoredRow, f),
    view: (r, fields, version) => ({
      attributes: {
        type: object,
        url: `/services/data/${version}/sobjects/${object}/${(r as StoredRow).Id}`,
      },
      ...Object.fromEntries(fields.map((f) => [canonical(f)!, value(r as StoredRow, f)])),
    }),
  };
}
interface Locator {
  rows: Rec[];
  offset: number;
  batch: number;
  resource: "query" | "queryAll";
  version: string;
}

const STANDARD_FIELDS: [string, FieldType][] = [
  ["Id", "id"],
  ["IsDeleted", "boolean"],
  ["MasterRecordId", "reference"],
  ["Name", "string"],
  ["Type", "picklist"],
  ["Website", "url"],
  ["Industry", "picklist"],
  ["AnnualRevenue", "currency"],
  ["NumberOfEmployees", "int"],
  ["OwnerId", "reference"],
  ["CreatedDate", "datetime"],
  ["LastModifiedDate", "datetime"],
  ["SystemModstamp", "datetime"],
];
const USER_FIELDS = new Set(["Id", "Email", "Name"]);
const SYSTEM_FIELDS = new Set(["Id", "IsDeleted", "MasterRecordId", "SystemModstamp", "CreatedDate"]);
const COLLECTION_LIMIT = 200;
const TOKEN_PATH = "/services/oauth2/token";
const JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const REST = /^\/services\/data\/(v\d+\.\d)(\/.*)$/;

/** Salesforce's datetime in JSON: 2025-01-15T12:00:00.000+0000. */
export const sfDateTime = (ms: number): string => new Date(ms).toISOString().replace("Z", "+0000");

class FakeSalesforceServer extends VendorFake {
  readonly clientId: string;
  readonly clientSecret: string;
  private refreshTokens: Set<string>;
  private readonly accessTokens = new Set<string>();
  private readonly jwtClients = new Map<string, { publicKey: KeyObject; users: Set<string> }>();
  private readonly accounts = new Map<string, StoredAccount>();
  private readonly cases = new Map<string, StoredRow>();
  private readonly opportunities = new Map<string, StoredRow>();
  private readonly users = new Map<string, { Email: string; Name: string }>();
  private readonly fields = new Map<string, FieldDescribe>();
  private readonly locators = new Map<string, Locator>();
  private readonly seq = { account: 0, case: 0, opportunity: 0, user: 0, token: 0, locator: 0 };
  private apiUsed = 0;
  dailyLimit: number;
  private readonly rotation: boolean;
  maxBatch: number;

  constructor(options: FakeSalesforceOptions) {
    super(options.now);
    this.clientId = options.clientId ?? "3MVG9fake.client.id";
    this.clientSecret = options.clientSecret ?? "fake-client-secret";
    this.refreshTokens = new Set(options.refreshTokens ?? ["5Aep861-fake-refresh"]);
    this.dailyLimit = options.dailyLimit ?? 15_000;
    this.rotation = options.rotateRefreshTokens ?? false;
    this.maxBatch = options.maxBatch ?? 2000;
    for (const [name, type] of STANDARD_FIELDS) this.addField(name, type, { custom: false });
  }

  // ---- credentials ----
  /** Every refresh token is revoked (answered invalid_grant) and every session ends. */
  revokeRefreshTokens(): void {
    this.refreshTokens.clear();
    this.expireSessions();
  }
  /** A connected app with a certificate (its public key) and the users pre-authorised for the JWT bearer flow. */
  addJwtClient(clientId: string, publicKey: KeyObject, users: string[]): void {
    this.jwtClients.set(clientId, { publicKey, users: new Set(users) });
  }
  /** The refresh tokens accepted from now on (an admin connected the app again). */
  rotateRefreshTokens(tokens: string[]): void {
    this.refreshTokens = new Set(tokens);
  }
  /** Access tokens answer 401 INVALID_SESSION_ID, as after the org's session timeout. */
  expireSessions(): void {
    this.accessTokens.clear();
  }
  /** The API requests counted in the last 24 hours (Sforce-Limit-Info's first figure). */
  setApiUsage(used: number): void {
    this.apiUsed = used;
  }
  get apiUsage(): number {
    return this.apiUsed;
  }

  // ---- seeding ----
  /** A field on Account (custom ones end in __c). */
  addField(name: string, type: FieldType, options: { custom?: boolean; updateable?: boolean } = {}): void {
    const reference = type === "reference" || type === "id";
    this.fields.set(name.toLowerCase(), {
      name,
      type,
      label: name.replace(/__c$/, "").replace(/_/g, " "),
      custom: options.custom ?? name.endsWith("__c"),
      nillable: name !== "Id" && name !== "IsDeleted",
      length: type === "string" || type === "url" ? 255 : reference ? 18 : 0,
      referenceTo: name === "OwnerId" ? ["User"] : type === "reference" ? ["Account"] : [],
      relationshipName: name === "OwnerId" ? "Owner" : name === "MasterRecordId" ? "MasterRecord" : null,
      updateable: options.updateable ?? !SYSTEM_FIELDS.has(name),
    });
  }
  /** An account's field as stored (write-back's checks). */
  accountField(id: string, name: string): FieldValue {
    return this.value(this.account(id), name);
  }
  addUser(input: { email: string; name?: string }): string {
    const id = sfId("005", ++this.seq.user);
    this.users.set(id, { Email: input.email, Name: input.name ?? input.email });
    return id;
  }
  /** Any Account fields by API name (Name, Website, Type, custom ones...), and its owner's user id. */
  addAccount(
    fields: Record<string, FieldValue>,
    options: { ownerId?: string | null; at?: Date | number | string } = {},
  ): string {
    const at = options.at === undefined ? this.clock.now() : new Date(options.at).getTime();
    const stamp = Math.floor(at / 1000) * 1000; // SystemModstamp has whole seconds
    const account: StoredAccount = {
      Id: sfId("001", ++this.seq.account),
      fields: {},
      OwnerId: options.ownerId ?? null,
      IsDeleted: false,
      MasterRecordId: null,
      CreatedDate: stamp,
      SystemModstamp: stamp,
    };
    this.setFields(account, fields);
    this.accounts.set(account.Id, account);
    return account.Id;
  }
  updateAccount(id: string, fields: Record<string, FieldValue>, options: { ownerId?: string } = {}): void {
    const account = this.account(id);
    this.setFields(account, fields);
    if (options.ownerId !== undefined) account.OwnerId = options.ownerId;
    this.touch(account);
  }
  /** To the recycle bin: only queryAll shows it, with IsDeleted true. */
  deleteAccount(id: string): void {
    const account = this.account(id);
    account.IsDeleted = true;
    this.touch(account);
  }
  undeleteAccount(id: string): void {
    const account = this.account(id);
    account.IsDeleted = false;
    this.touch(account);
  }
  /** As Salesforce merges: the losers are deleted with MasterRecordId naming the winner, which is modified. */
  mergeAccounts(winner: string, ...losers: string[]): void {
    this.touch(this.account(winner));
    for (const id of losers) {
      const loser = this.account(id);
      loser.IsDeleted = true;
      loser.MasterRecordId = winner;
      this.touch(loser);
    }
  }

  /** A support case of an account (or of none), opened at the clock's now unless `at` says. */
  addCase(input: {
    accountId: string | null;
    priority?: string;
    closed?: boolean;
    at?: Date | number | string;
  }): string {
    const at =
      Math.floor((input.at === undefined ? this.clock.now() : new Date(input.at).getTime()) / 1000) * 1000;
    const id = sfId("500", ++this.seq.case);
    this.cases.set(id, {
      Id: id,
      AccountId: input.accountId,
      Priority: input.priority ?? "Medium",
      Status: input.closed ? "Closed" : "New",
      IsClosed: input.closed ?? false,
      IsDeleted: false,
      CreatedDate: at,
      SystemModstamp: at,
    });
    return id;
  }
  closeCase(id: string): void {
    Object.assign(this.row(this.cases, id), {
      IsClosed: true,
      Status: "Closed",
      SystemModstamp: this.stamp(),
    });
  }
  deleteCase(id: string): void {
    Object.assign(this.row(this.cases, id), { IsDeleted: true, SystemModstamp: this.stamp() });
  }
  /** An opportunity of an account; open unless its stage is Closed Won or Closed Lost. */
  addOpportunity(input: { accountId: string; type?: string; closeDate: string; stage?: string }): string {
    const id = sfId("006", ++this.seq.opportunity);
    const at = this.stamp();
    this.opportunities.set(id, {
      Id: id,
      AccountId: input.accountId,
      Name: `Opportunity ${this.seq.opportunity}`,
      Type: input.type ?? "Renewal",
      CloseDate: input.closeDate,
      Amount: null,
      IsDeleted: false,
      CreatedDate: at,
      SystemModstamp: at,
      ...this.stage(input.stage ?? "Negotiation/Review"),
    });
    return id;
  }
  /** A new stage (Closed Won / Closed Lost close it) or close date; SystemModstamp moves. */
  updateOpportunity(id: string, change: { stage?: string; closeDate?: string }): void {
    const row = this.row(this.opportunities, id);
    if (change.stage) Object.assign(row, this.stage(change.stage));
    if (change.closeDate) row.CloseDate = change.closeDate;
    row.SystemModstamp = this.stamp();
  }

  // ---- HTTP ----
  protected failure(failure: HttpFailure): Reply {
    if (failure.status === 401) return this.invalidSession();
    if (failure.status === 429)
      return this.restError(429, "REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded.");
    return this.restError(failure.status, "SERVER_UNAVAILABLE", "Server temporarily unavailable.");
  }

  protected authenticate(request: VendorRequest): Reply | undefined {
    if (request.path === TOKEN_PATH) return undefined;
    const { bearer } = credentialsOf(request.authorization);
    return bearer && this.accessTokens.has(bearer) ? undefined : this.invalidSession();
  }

  protected route(request: VendorRequest): Reply {
    if (request.path === TOKEN_PATH) {
      return request.method === "POST" ? this.token(request) : this.restError(405, "METHOD_NOT_ALLOWED", "");
    }
    const rest = REST.exec(request.path);
    const collection = rest?.[2] === "/composite/sobjects" && request.method === "PATCH";
    if (!rest || (request.method !== "GET" && !collection)) return this.notFound();
    // Every authenticated REST request counts against the org's daily allowance.
    if (this.apiUsed >= this.dailyLimit)
      return this.limited(this.restError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."));
    this.apiUsed++;
    const [, version, resource] = rest as unknown as [string, string, string];
    const batch = this.batchSize(request);
    let reply: Reply;
    if (collection) reply = this.updateCollection(request.body);
    else if (resource === "/query" || resource === "/query/")
      reply = this.query(request.query.get("q"), "query", version, batch);
    else if (resource === "/queryAll" || resource === "/queryAll/")
      reply = this.query(request.query.get("q"), "queryAll", version, batch);
    else if (/^\/(query|queryAll)\/[^/]+$/.test(resource)) reply = this.more(resource.split("/")[2]!);
    else if (/^\/sobjects\/account\/describe\/?$/i.test(resource)) reply = this.describe(version);
    else reply = this.notFound();
    return this.limited(reply);
  }

  protected malform(reply: Reply): Reply {
    if (!isRec(reply.body) || !Array.isArray(reply.body.records)) return reply;
    const [first, ...rest] = reply.body.records as Rec[];
    const broken = { ...first, Name: 42, Website: ["not", "a", "url"] };
    return { ...reply, body: { ...reply.body, records: [broken, ...rest] } };
  }

  // ---- endpoints ----
  private token(request: VendorRequest): Reply {
    const form = new URLSearchParams(typeof request.body === "string" ? request.body : "");
    const refuse = (error: string, description: string): Reply => ({
      status: 400,
      body: { error, error_description: description },
    });
    if (form.get("grant_type") === JWT_GRANT) {
      const problem = this.jwtProblem(form.get("assertion") ?? "");
      return problem ? refuse(...problem) : this.issue(undefined);
    }
    if (form.get("grant_type") !== "refresh_token")
      return refuse("unsupported_grant_type", "grant type not supported");
    if (form.get("client_id") !== this.clientId)
      return refuse("invalid_client_id", "client identifier invalid");
    if (form.get("client_secret") !== this.clientSecret)
      return refuse("invalid_client", "invalid client credentials");
    if (!this.refreshTokens.has(form.get("refresh_token") ?? ""))
      return refuse("invalid_grant", "expired access/refresh token");
    if (!this.rotation) return this.issue(null);
    this.refreshTokens.delete(form.get("refresh_token")!);
    const next = `5Aep861-rotated-${this.seq.token + 1}`;
    this.refreshTokens.add(next);
    return this.issue(next);
  }

  /**
   * Why a JWT bearer assertion is refused, as Salesforce words it, or null: signed (RS256) by the
   * key of the connected app named by `iss`, for a user who approved it (`sub`), for the login server
   * (`aud`), not expired (`exp`, by the fake's clock).
   */
  private jwtProblem(assertion: string): [string, string] | null {
    const [header, payload, signature] = assertion.split(".");
    if (!header || !payload || !signature) return ["invalid_grant", "invalid assertion"];
    let claims: Rec;
    try {
      claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Rec;
    } catch {
      return ["invalid_grant", "invalid assertion"];
    }
    const client = this.jwtClients.get(String(claims.iss));
    if (!client) return ["invalid_client_id", "client identifier invalid"];
    const signed = verify(
      "RSA-SHA256",
      Buffer.from(`${header}.${payload}`),
      client.publicKey,
      Buffer.from(signature, "base64url"),
    );
    if (!signed) return ["invalid_grant", "invalid assertion"];
    if (!["https://login.salesforce.com", "https://test.salesforce.com"].includes(String(claims.aud)))
      return ["invalid_grant", "audience is invalid"];
    if (typeof claims.exp !== "number" || claims.exp * 1000 <= this.clock.now())
      return ["invalid_grant", "expired authorization code"];
    if (!client.users.has(String(claims.sub))) return ["invalid_grant", "user hasn't approved this consumer"];
    return null;
  }

  /** An access token; `refresh`: the refresh token flow's (a rotated one, or null), undefined for a JWT. */
  private issue(refresh: string | null | undefined): Reply {
    const token = `00DFAKE000000001!AQ${String(++this.seq.token).padStart(6, "0")}`;
    this.accessTokens.add(token);
    return {
      status: 200,
      body: {
        access_token: token,
        signature: Buffer.from(`sig-${this.seq.token}`).toString("base64"),
        scope: refresh === undefined ? "api" : "api refresh_token",
        ...(refresh ? { refresh_token: refresh } : {}),
        instance_url: this.baseUrl,
        id: `${this.baseUrl}/id/00DFAKE000000001AAA/005FAKE000000001AAA`,
        token_type: "Bearer",
        issued_at: String(this.clock.now()),
      },
    };
  }

  private describe(version: string): Reply {
    return {
      status: 200,
      body: {
        name: "Account",
        label: "Account",
        labelPlural: "Accounts",
        keyPrefix: "001",
        custom: false,
        queryable: true,
        mergeable: true,
        fields: clone([...this.fields.values()]),
        urls: {
          sobject: `/services/data/${version}/sobjects/Account`,
          describe: `/services/data/${version}/sobjects/Account/describe`,
        },
      },
    };
  }

  private updateCollection(body: unknown): Reply {
    const records = isRec(body) && Array.isArray(body.records) ? (body.records as unknown[]) : null;
    if (!records) return this.restError(400, "JSON_PARSER_ERROR", "records is required");
    if (records.length > COLLECTION_LIMIT)
      return this.restError(
        400,
        "EXCEEDED_ID_LIMIT",
        `record limit reached. cannot submit more than ${COLLECTION_LIMIT} records into this call`,
      );
    type Result = {
      id?: string;
      success: boolean;
      errors: { statusCode: string; message: string; fields: string[] }[];
    };
    const error = (statusCode: string, message: string, fields: string[] = []): Result => ({
      success: false,
      errors: [{ statusCode, message, fields }],
    });
    const planned = records.map(
      (raw): { result: Result; account?: StoredAccount; values?: [string, FieldValue][] } => {
        if (!isRec(raw) || !isRec(raw.attributes) || raw.attributes.type !== "Account")
          return { result: error("INVALID_TYPE", "sObject type is required and must be Account") };
        const id = typeof raw.id === "string" ? raw.id : "";
        const account = this.accounts.get(id);
        if (!account) return { result: error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id") };
        if (account.IsDeleted) return { result: { id, ...error("ENTITY_IS_DELETED", "entity is deleted") } };
        const values = Object.entries(raw).filter(([k]) => k !== "attributes" && k !== "id");
        for (const [name] of values) {
          const field = this.fields.get(name.toLowerCase());
          if (!field)
            return {
              result: {
                id,
                ...error("INVALID_FIELD", `No such column '${name}' on sobject of type Account`, [name]),
              },
            };
          if (!field.updateable)
            return {
              result: {
                id,
                ...error(
                  "INVALID_FIELD_FOR_INSERT_UPDATE",
                  `Unable to create/update fields: ${field.name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
                  [field.name],
                ),
              },
            };
        }
        return {
          result: { id, success: true, errors: [] },
          account,
          values: values as [string, FieldValue][],
        };
      },
    );
    if (planned.some((p) => !p.result.success) && isRec(body) && body.allOrNone === true) {
      const rolledBack = error(
        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "Record rolled back because not all records were valid and the request was using AllOrNone header",
      );
      return {
        status: 200,
        body: planned.map((p) => (p.result.success ? { id: p.result.id, ...rolledBack } : p.result)),
      };
    }
    for (const p of planned) {
      if (!p.account || !p.values) continue;
      this.setFields(p.account, Object.fromEntries(p.values));
      this.touch(p.account);
    }
    return { status: 200, body: planned.map((p) => p.result) };
  }

  private query(q: string | null, resource: "query" | "queryAll", version: string, batch: number): Reply {
    if (!q) return this.restError(400, "MALFORMED_QUERY", "A query string has to be specified");
    const soql = parseSoql(q);
    if (typeof soql === "string") return this.restError(400, "MALFORMED_QUERY", soql);
    const table = this.table(soql.from);
    if (!table) return this.restError(400, "INVALID_TYPE", `sObject type '${soql.from}' is not supported.`);
    for (const name of [...soql.fields, ...fieldsOf(soql.where), ...soql.order.map((o) => o.field)]) {
      const problem = table.problem(name);
      if (problem) return this.restError(400, "INVALID_FIELD", problem);
    }
    let rows = table.rows().filter((r) => resource === "queryAll" || !r.IsDeleted);
    if (soql.where) rows = rows.filter((r) => evaluate(soql.where!, (f) => table.value(r, f)) === true);
    rows.sort((x, y) => {
      for (const o of soql.order) {
        const c = compare(table.value(x, o.field), table.value(y, o.field));
        if (c) return o.desc ? -c : c;
      }
      return 0;
    });
    if (soql.limit !== null) rows = rows.slice(0, soql.limit);
    const views = rows.map((r) => table.view(r, soql.fields, version));
    const locator: Locator = { rows: views, offset: 0, batch, resource, version };
    return this.page(`01gFAKE${String(++this.seq.locator).padStart(11, "0")}`, locator);
  }

  private more(id: string): Reply {
    const [key, offset] = [id.replace(/-\d+$/, ""), Number(/-(\d+)$/.exec(id)?.[1] ?? Number.NaN)];
    const locator = this.locators.get(key);
    if (!locator || locator.offset !== offset)
      return this.restError(400, "INVALID_QUERY_LOCATOR", "invalid query locator");
    return this.page(key, locator);
  }

  private page(key: string, locator: Locator): Reply {
    const records = locator.rows.slice(locator.offset, locator.offset + locator.batch);
    locator.offset += records.length;
    const done = locator.offset >= locator.rows.length;
    if (done) this.locators.delete(key);
    else this.locators.set(key, locator);
    return {
      status: 200,
      body: {
        totalSize: locator.rows.length,
        done,
        ...(done
          ? {}
          : {
              nextRecordsUrl: `/services/data/${locator.version}/${locator.resource}/${key}-${locator.offset}`,
            }),
        records,
      },
    };
  }

  // ---- helpers ----
  private stamp(): number {
    return Math.floor(this.clock.now() / 1000) * 1000;
  }
  private stage(name: string): { StageName: string; IsClosed: boolean; IsWon: boolean } {
    return { StageName: name, IsClosed: /^closed/i.test(name), IsWon: /^closed won$/i.test(name) };
  }
  private row(rows: Map<string, StoredRow>, id: string): StoredRow {
    const row = rows.get(id);
    if (!row) throw new Error(`no Salesforce record ${id}`);
    return row;
  }
  /** The queried object's rows and fields: Account, or Case. */
  private table(name: string): Table | null {
    if (name.toLowerCase() === "account")
      return {
        rows: () => [...this.accounts.values()],
        problem: (f) => this.fieldProblem(f),
        value: (r, f) => this.value(r as StoredAccount, f),
        view: (r, fields, version) => this.view(r as StoredAccount, fields, version),
      };
    if (name.toLowerCase() === "case")
      return simpleTable("Case", () => [...this.cases.values()], CASE_FIELDS);
    if (name.toLowerCase() === "opportunity")
      return simpleTable("Opportunity", () => [...this.opportunities.values()], OPPORTUNITY_FIELDS);
    return null;
  }
  private batchSize(request: VendorRequest): number {
    const header = /batchSize=(\d+)/i.exec(request.headers["sforce-query-options"] ?? "")?.[1];
    const asked = header === undefined ? 2000 : Math.min(2000, Math.max(200, Number(header)));
    return Math.min(asked, this.maxBatch);
  }
  private fieldProblem(name: string): string | null {
    const [head, tail, ...more] = name.split(".");
    if (tail === undefined) {
      return this.fields.has(head!.toLowerCase())
        ? null
        : `No such column '${name}' on entity 'Account'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`;
    }
    if (
      head!.toLowerCase() === "owner" &&
      !more.length &&
      [...USER_FIELDS].some((f) => f.toLowerCase() === tail.toLowerCase())
    )
      return null;
    return `Didn't understand relationship '${head}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`;
  }
  private value(a: StoredAccount, name: string): FieldValue {
    const key = name.toLowerCase();
    if (key === "owner.email") return a.OwnerId ? (this.users.get(a.OwnerId)?.Email ?? null) : null;
    if (key === "owner.name") return a.OwnerId ? (this.users.get(a.OwnerId)?.Name ?? null) : null;
    if (key === "owner.id") return a.OwnerId;
    if (key === "id") return a.Id;
    if (key === "isdeleted") return a.IsDeleted;
    if (key === "masterrecordid") return a.MasterRecordId;
    if (key === "ownerid") return a.OwnerId;
    if (key === "createddate") return sfDateTime(a.CreatedDate);
    if (key === "systemmodstamp" || key === "lastmodifieddate") return sfDateTime(a.SystemModstamp);
    const field = this.fields.get(key);
    return field ? (a.fields[field.name] ?? null) : null;
  }
  private view(a: StoredAccount, fields: string[], version: string): Rec {
    const out: Rec = {
      attributes: { type: "Account", url: `/services/data/${version}/sobjects/Account/${a.Id}` },
    };
    for (const name of fields) {
      if (name.toLowerCase().startsWith("owner.")) {
        const owner = (out.Owner ??= a.OwnerId
          ? { attributes: { type: "User", url: `/services/data/${version}/sobjects/User/${a.OwnerId}` } }
          : null) as Rec | null;
        const tail = name.split(".")[1]!;
        const canonical = [...USER_FIELDS].find((f) => f.toLowerCase() === tail.toLowerCase())!;
        if (owner) owner[canonical] = this.value(a, name);
        continue;
      }
      out[this.fields.get(name.toLowerCase())!.name] = this.value(a, name);
    }
    return out;
  }
  private setFields(account: StoredAccount, fields: Record<string, FieldValue>): void {
    for (const [name, value] of Object.entries(fields)) {
      const field = this.fields.get(name.toLowerCase());
      if (!field) throw new Error(`the fake's Account has no field ${name}: addField it first`);
      account.fields[field.name] = value;
    }
  }
  private touch(account: StoredAccount): void {
    account.SystemModstamp = Math.floor(this.clock.now() / 1000) * 1000;
  }
  private account(id: string): StoredAccount {
    const account = this.accounts.get(id);
    if (!account) throw new Error(`no Salesforce account ${id}`);
    return account;
  }
  private limited(reply: Reply): Reply {
    const info = `api-usage=${this.apiUsed}/${this.dailyLimit}`;
    return { ...reply, headers: { ...reply.headers, "sforce-limit-info": info } };
  }
  private restError(status: number, errorCode: string, message: string): Reply {
    return { status, body: [{ message, errorCode }] };
  }
  private invalidSession(): Reply {
    return this.restError(401, "INVALID_SESSION_ID", "Session expired or invalid");
  }
  private notFound(): Reply {
    return this.restError(404, "NOT_FOUND", "The requested resource does not exist");
  }
}

/** An 18-character id with the object's key prefix; in creation order when compared as text. */
function sfId(prefix: string, n: number): string {
  return `${prefix}FK${String(n).padStart(10, "0")}AAQ`;
}

// ---- SOQL, the part the connector uses ----
type Literal = { literal: FieldValue; datetime?: number };
type Expr =
  | { op: "and" | "or"; left: Expr; right: Expr }
  | { op: "not"; expr: Expr }
  | { op: "cmp"; field: string; cmp: string; value: Literal };
interface Soql {
  fields: string[];
  from: string;
  where: Expr | null;
  order: { field: string; desc: boolean }[];
  limit: number | null;
}

const TOKEN =
  /\s*(?:(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:\d{2}))|(\d{4}-\d{2}-\d{2})|('(?:[^'\\]|\\.)*')|(-?\d+(?:\.\d+)?)|(<=|>=|!=|<>|=|<|>|\(|\)|,)|([A-Za-z_][A-Za-z0-9_.]*))/y;

function tokenize(text: string): string[] | string {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (!m) return `unexpected token: '${text.slice(at).trim().split(/\s/)[0]}'`;
    tokens.push(m[0].trim());
    at = TOKEN.lastIndex;
  }
  return tokens;
}

function parseSoql(text: string): Soql | string {
  const tokens = tokenize(text);
  if (typeof tokens === "string") return tokens;
  let i = 0;
  const peek = () => tokens[i]?.toUpperCase();
  const take = () => tokens[i++];
  const expect = (word: string) => {
    if (peek() !== word) throw new Error(`unexpected token: '${tokens[i] ?? "<end>"}', expecting ${word}`);
    i++;
  };
  try {
    expect("SELECT");
    const fields: string[] = [];
    do fields.push(take()!);
    while (peek() === "," && take());
    expect("FROM");
    const from = take()!;
    let where: Expr | null = null;
    if (peek() === "WHERE") {
      i++;
      const parseOr = (): Expr => {
        let left = parseAnd();
        while (peek() === "OR") {
          i++;
          left = { op: "or", left, right: parseAnd() };
        }
        return left;
      };
      const parseAnd = (): Expr => {
        let left = parseUnary();
        while (peek() === "AND") {
          i++;
          left = { op: "and", left, right: parseUnary() };
        }
        return left;
      };
      const parseUnary = (): Expr => {
        if (peek() === "NOT") {
          i++;
          return { op: "not", expr: parseUnary() };
        }
        if (peek() === "(") {
          i++;
          const inner = parseOr();
          expect(")");
          return inner;
        }
        const field = take()!;
        if (peek() === "IN") {
          // field IN (a, b): as field = a OR field = b
          i++;
          expect("(");
          let list: Expr | null = null;
          do {
            const eq: Expr = { op: "cmp", field, cmp: "=", value: literal(take()) };
            list = list ? { op: "or", left: list, right: eq } : eq;
          } while (peek() === "," && take());
          expect(")");
          return list;
        }
        const cmp = take()!;
        if (!["=", "!=", "<>", "<", "<=", ">", ">="].includes(cmp))
          throw new Error(`unexpected token: '${cmp}'`);
        return { op: "cmp", field, cmp: cmp === "<>" ? "!=" : cmp, value: literal(take()) };
      };
      where = parseOr();
    }
    const order: Soql["order"] = [];
    if (peek() === "ORDER") {
      i++;
      expect("BY");
      do {
        const field = take()!;
        let desc = false;
        if (peek() === "ASC" || peek() === "DESC") desc = take()!.toUpperCase() === "DESC";
        order.push({ field, desc });
      } while (peek() === "," && take());
    }
    let limit: number | null = null;
    if (peek() === "LIMIT") {
      i++;
      limit = Number(take());
    }
    if (i < tokens.length) throw new Error(`unexpected token: '${tokens[i]}'`);
    return { fields, from, where, order, limit };
  } catch (error) {
    return (error as Error).message;
  }
}

function literal(token: string | undefined): Literal {
  if (token === undefined) throw new Error("unexpected end of query");
  if (token.startsWith("'")) return { literal: token.slice(1, -1).replace(/\\(.)/g, "$1") };
  const upper = token.toUpperCase();
  if (upper === "TRUE" || upper === "FALSE") return { literal: upper === "TRUE" };
  if (upper === "NULL") return { literal: null };
  if (/^\d{4}-\d{2}-\d{2}T/.test(token)) return { literal: token, datetime: Date.parse(token) };
  if (/^\d{4}-\d{2}-\d{2}$/.test(token)) return { literal: token };
  if (/^-?\d/.test(token)) return { literal: Number(token) };
  throw new Error(`unexpected token: '${token}'`);
}

function fieldsOf(expr: Expr | null): string[] {
  if (!expr) return [];
  if (expr.op === "cmp") return [expr.field];
  if (expr.op === "not") return fieldsOf(expr.expr);
  return [...fieldsOf(expr.left), ...fieldsOf(expr.right)];
}

/** Datetimes (Salesforce's text or a literal) compare as instants, other values as themselves. */
function comparable(v: FieldValue | Literal): FieldValue {
  if (v !== null && typeof v === "object") return v.datetime ?? v.literal;
  if (typeof v === "string" && /^\d{4}-\d{2}-\d{2}T/.test(v)) return Date.parse(v.replace(/\+0000$/, "Z"));
  return v;
}

function compare(a: FieldValue | Literal, b: FieldValue | Literal): number {
  const [x, y] = [comparable(a), comparable(b)];
  if (x === y) return 0;
  if (x === null) return -1; // nulls first, as Salesforce sorts ascending by default
  if (y === null) return 1;
  return x < y ? -1 : 1;
}

function evaluate(expr: Expr, value: (field: string) => FieldValue): boolean {
  if (expr.op === "not") return !evaluate(expr.expr, value);
  if (expr.op !== "cmp") {
    const left = evaluate(expr.left, value);
    return expr.op === "and" ? left && evaluate(expr.right, value) : left || evaluate(expr.right, value);
  }
  const v = value(expr.field);
  if (expr.value.literal === null) return expr.cmp === "=" ? v === null : v !== null;
  if (v === null) return expr.cmp === "!=";
  const c = compare(v, expr.value);
  const results: Record<string, boolean> = {
    "=": !c,
    "!=": !!c,
    "<": c < 0,
    "<=": c <= 0,
    ">": c > 0,
    ">=": c >= 0,
  };
  return results[expr.cmp]!;
}

export type FakeSalesforce = FakeSalesforceServer;

/** Starts the fake on 127.0.0.1, on a free port: `fake.baseUrl` is the org's instance (My Domain) URL. */
export async function startFakeSalesforce(options: FakeSalesforceOptions = {}): Promise<FakeSalesforce> {
  return new FakeSalesforceServer(options).listen();
}
