// The Salesforce connector against the fake Salesforce API over real HTTP: the token exchange, the
// first sync and its paging through nextRecordsUrl, incremental syncs on SystemModstamp, the field
// mapping checked against the org's describe, and the source's faults (the daily request limit,
// 5xx, a session that ends mid-sync, a refused refresh token).
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ConnectorAuthError,
  ConnectorConfigError,
  SourceUnavailableError,
  type SyncPage,
} from "../../src/connectors/contract.ts";
import { createSourceHttp } from "../../src/connectors/http.ts";
import { audienceOf } from "../../src/connectors/salesforce/auth.ts";
import { salesforceConnector, type SalesforceCursor } from "../../src/connectors/salesforce/connector.ts";
import { parseDay } from "../../src/domain/dates.ts";
import { silentLogger } from "../../src/log.ts";
import { startFakeSalesforce, type FakeSalesforce } from "../fakes/salesforce-api.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const day = (text: string) => parseDay(text)!;

let sf: FakeSalesforce;
let waits: number[];
let secret: { client_id: string; client_secret: string; refresh_token: string };

beforeEach(async () => {
  sf = await startFakeSalesforce({ now: "2025-01-15T12:00:00Z" });
  secret = { client_id: sf.clientId, client_secret: sf.clientSecret, refresh_token: "5Aep861-fake-refresh" };
  waits = [];
});
afterEach(() => sf.close());

async function sync(
  cursor: SalesforceCursor | null,
  settings: object = {},
  options: {
    budgetMs?: number;
    onPage?: (page: SyncPage<SalesforceCursor>) => void;
    onWait?: () => void;
    secret?: object;
  } = {},
): Promise<SyncPage<SalesforceCursor>[]> {
  const credentials = salesforceConnector.secret.parse(options.secret ?? secret);
  const http = createSourceHttp({
    baseUrl: sf.baseUrl,
    headers: salesforceConnector.authHeaders(credentials),
    source: "Salesforce",
    classify: salesforceConnector.classifyError,
    retryBudgetMs: options.budgetMs,
    backoffMs: 1,
    sleep: async (ms) => {
      waits.push(ms);
      options.onWait?.();
      // Real time passes when the budget is what is tested: the client measures it by the clock.
      if (options.budgetMs !== undefined) await new Promise((r) => setTimeout(r, 5));
    },
  });
  const pages: SyncPage<SalesforceCursor>[] = [];
  const context = {
    settings: salesforceConnector.settings.parse({ base_url: sf.baseUrl, ...settings }),
    secret: credentials,
    cursor: cursor === null ? null : salesforceConnector.cursor.parse(cursor),
    http,
    now: new Date(sf.clock.now()),
    signal: new AbortController().signal,
    log: silentLogger,
  };
  for await (const page of salesforceConnector.sync(context)) {
    pages.push(page);
    options.onPage?.(page);
  }
  return pages;
}

const accountsOf = (pages: SyncPage<unknown>[]) => pages.flatMap((p) => p.accounts ?? []);
const removalsOf = (pages: SyncPage<unknown>[]) => pages.flatMap((p) => p.removals ?? []);
const rejectedOf = (pages: SyncPage<unknown>[]) => pages.flatMap((p) => p.rejected ?? []);
const account = (pages: SyncPage<unknown>[], id: string) => accountsOf(pages).find((a) => a.sourceId === id);
const lastCursor = (pages: SyncPage<SalesforceCursor>[]) => pages.at(-1)!.cursor;
const queries = () => sf.requests.filter((r) => /\/(queryAll|query)(\/|$)/.test(r.path));
const soqlOf = (i: number) => String(queries()[i]!.query.q);
const MAPPING = {
  segment_field: "Tier__c",
  revenue_field: "ARR__c",
  renewal_date_field: "Renewal_Date__c",
  account_id_field: "Customer_Id__c",
};
function addMappedFields() {
  sf.addField("Tier__c", "picklist");
  sf.addField("ARR__c", "currency");
  sf.addField("Renewal_Date__c", "date");
  sf.addField("Customer_Id__c", "string");
}

describe("Salesforce connector: first sync", () => {
  it("exchanges the refresh token, checks the describe, and maps every live account across pages", async () => {
    addMappedFields();
    const rep = sf.addUser({ email: "Maya.Rep@Vendor.example" });
    const acme = sf.addAccount(
      {
        Name: "Acme",
        Website: "https://www.ACME.com/about",
        Tier__c: "enterprise",
        ARR__c: 120_000,
        Renewal_Date__c: "2025-09-30",
        Customer_Id__c: "A-42",
      },
      { ownerId: rep },
    );
    const ids = [acme];
    for (let i = 0; i < 4_500; i++) {
      sf.clock.advance(1000);
      ids.push(sf.addAccount({ Name: `Company ${i}`, Website: `c${i}.example` }));
    }
    const binned = sf.addAccount({ Name: "Binned" });
    sf.deleteAccount(binned);
    sf.clock.advance(HOUR);

    const pages = await sync(null, MAPPING);

    const token = sf.requestsTo("/services/oauth2/token");
    expect(token).toHaveLength(1);
    expect(sf.requestsTo("/services/data/v62.0/sobjects/Account/describe")).toHaveLength(1);
    // One queryAll, then nextRecordsUrl twice: 2,000 + 2,000 + 501 live accounts.
    expect(queries().map((r) => r.path)).toEqual([
      "/services/data/v62.0/queryAll",
      expect.stringMatching(/^\/services\/data\/v62\.0\/queryAll\/01g\w+-2000$/),
      expect.stringMatching(/^\/services\/data\/v62\.0\/queryAll\/01g\w+-4000$/),
    ]);
    expect(soqlOf(0)).toBe(
      "SELECT Id, Name, Website, Type, IsDeleted, MasterRecordId, SystemModstamp, Owner.Email, Tier__c, ARR__c, Renewal_Date__c, Customer_Id__c FROM Account WHERE IsDeleted = false ORDER BY SystemModstamp ASC, Id ASC",
    );
    expect(queries().every((r) => r.auth === "bearer")).toBe(true);
    expect(pages.map((p) => p.read)).toEqual([2000, 2000, 501]);
    expect(accountsOf(pages)).toHaveLength(4_501);
    expect(removalsOf(pages)).toEqual([]); // the first sync reads live accounts only
    expect(account(pages, acme)).toEqual({
      sourceId: acme,
      name: "Acme",
      domain: "acme.com",
      owner: "maya.rep@vendor.example",
      segment: "enterprise",
      externalId: "A-42",
      mrr: 10_000, // ARR / 12
      renewalDate: day("2025-09-30"),
      status: "active",
      churnedAt: null,
    });
    expect(account(pages, ids[1]!)).toMatchObject({
      owner: null,
      segment: null,
      mrr: null,
      renewalDate: null,
    });
    // Each page's cursor is the position of its last record; the last one ends the first pass.
    expect(pages[0]!.cursor).toEqual({
      phase: "initial",
      since: "2025-01-15T12:33:19Z",
      after_id: ids[1999],
    });
    expect(lastCursor(pages)).toEqual({
      phase: "incremental",
      since: "2025-01-15T13:15:00Z",
      after_id: null,
    });
  }, 30_000);

  it("reads monthly revenue as is, and only the configured customer types", async () => {
    sf.addField("MRR__c", "double");
    const customer = sf.addAccount({ Name: "C", Type: "Customer - Direct", MRR__c: 499.5 });
    sf.addAccount({ Name: "P", Type: "Prospect", MRR__c: 10 });
    sf.addAccount({ Name: "N" });
    const pages = await sync(null, {
      revenue_field: "mrr__c", // matched without regard to case, as SOQL does
      revenue_period: "monthly",
      customer_types: ["Customer - Direct", "customer - channel"],
    });
    expect(accountsOf(pages).map((a) => [a.sourceId, a.mrr])).toEqual([[customer, 499.5]]);
    expect(soqlOf(0)).toContain(", MRR__c FROM Account");
    expect(pages[0]!.read).toBe(3);
  });

  it("resumes a first sync cut short from the last committed page", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2_300; i++) {
      ids.push(sf.addAccount({ Name: `A${i}` }));
      if (i % 1000 === 999) sf.clock.advance(1000); // many records share one SystemModstamp
    }
    const first = await sync(null);
    const cut = first[0]!.cursor; // as if the sync had stopped after committing its first page
    const resumed = await sync(cut);
    expect(soqlOf(2)).toContain(
      `WHERE IsDeleted = false AND (SystemModstamp > 2025-01-15T12:00:01Z OR (SystemModstamp = 2025-01-15T12:00:01Z AND Id > '${ids[1999]}'))`,
    );
    expect(accountsOf(resumed).map((a) => a.sourceId)).toEqual(ids.slice(2000));
  }, 30_000);
});

describe("Salesforce connector: incremental syncs", () => {
  it("reads what changed since the cursor, deleted and merged accounts included", async () => {
    const [a, b, c, d, untouched] = ["A", "B", "C", "D", "U"].map((n) => sf.addAccount({ Name: n }));
    sf.clock.advance(HOUR);
    const z = sf.addAccount({ Name: "Z" }); // 13:00, the last account the first sync reads
    const first = await sync(null);
    expect(lastCursor(first)).toEqual({
      phase: "incremental",
      since: "2025-01-15T13:00:00Z",
      after_id: null,
    });

    sf.clock.advance(HOUR);
    sf.updateAccount(a!, { Name: "A2", Website: "a2.example" });
    sf.clock.advance(MINUTE);
    sf.deleteAccount(b!);
    sf.clock.advance(MINUTE);
    sf.mergeAccounts(c!, d!);
    sf.clock.advance(HOUR);

    const pages = await sync(lastCursor(first));

    // From 5 minutes before the cursor (SystemModstamp precedes the commit): Z is read again,
    // harmlessly (writes are upserts), and nothing committed late is missed.
    expect(soqlOf(1)).toContain("WHERE SystemModstamp >= 2025-01-15T12:55:00Z ORDER BY");
    expect(soqlOf(1)).not.toContain("IsDeleted = false");
    expect(accountsOf(pages).map((x) => [x.sourceId, x.name])).toEqual([
      [z, "Z"],
      [a, "A2"],
      [c, "C"],
    ]);
    expect(account(pages, untouched!)).toBeUndefined();
    expect(removalsOf(pages)).toEqual([
      { sourceId: b, on: day("2025-01-15"), mergedInto: null },
      { sourceId: d, on: day("2025-01-15"), mergedInto: c },
    ]);
    expect(lastCursor(pages)).toEqual({
      phase: "incremental",
      since: "2025-01-15T14:02:00Z",
      after_id: null,
    });

    // Nothing changed since: only the last 5 minutes before the cursor are read again.
    const again = await sync(lastCursor(pages));
    expect(accountsOf(again).map((x) => x.sourceId)).toEqual([a, c]);
    expect(removalsOf(again).map((x) => x.sourceId)).toEqual([b, d]);
    expect(lastCursor(again)).toEqual(lastCursor(pages));
  });
});

describe("Salesforce connector: field mapping", () => {
  it("names every missing field and wrongly typed field before reading accounts", async () => {
    sf.addField("Tier__c", "currency");
    sf.addField("Renewal__c", "string");
    const error = await sync(null, {
      segment_field: "Tier__c",
      revenue_field: "ARR__c",
      renewal_date_field: "Renewal__c",
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorConfigError);
    expect((error as Error).message).toBe(
      "the Salesforce field mapping does not fit this org:\n" +
        "  settings.segment_field: Account.Tier__c is a currency field; it must be one of: string, picklist, textarea, combobox\n" +
        '  settings.revenue_field: Account has no field "ARR__c" (or this user cannot see it)\n' +
        "  settings.renewal_date_field: Account.Renewal__c is a string field; it must be one of: date, datetime",
    );
    expect(queries()).toHaveLength(0);
  });

  it("refuses settings that cannot be a Salesforce mapping before anything is stored", () => {
    const parse = (s: object) => salesforceConnector.settings.safeParse(s);
    expect(parse({ base_url: "https://acme.my.salesforce.com" }).success).toBe(true);
    const login = parse({ base_url: "https://login.salesforce.com" });
    expect(login.error?.issues[0]?.message).toMatch(/My Domain URL/);
    const path = parse({ base_url: "https://acme.my.salesforce.com", revenue_field: "Owner.ARR__c" });
    expect(path.error?.issues[0]?.path).toEqual(["revenue_field"]);
    expect(parse({ base_url: "https://acme.my.salesforce.com", api_version: "62" }).success).toBe(false);
    expect(parse({}).success).toBe(false); // no base_url: there is no default org
  });

  it("rejects an account whose mapped value is unusable, and uses the rest", async () => {
    sf.addField("Renewal__c", "datetime");
    const broken = sf.addAccount({ Name: "Broken" });
    const bad = sf.addAccount({ Name: "Bad", Renewal__c: "soon" });
    const good = sf.addAccount({ Name: "Good", Renewal__c: "2025-06-30T00:00:00.000+0000" });
    sf.failNext("/services/data/v62.0/queryAll", { malformed: true });
    const pages = await sync(null, { renewal_date_field: "Renewal__c" });
    expect(rejectedOf(pages)).toEqual([
      {
        record: `account ${broken}`,
        reason: "Name: expected string, received number; Website: expected string, received array",
      },
      { record: `account ${bad}`, reason: 'Renewal__c: not a date: "soon"' },
    ]);
    expect(accountsOf(pages).map((a) => [a.sourceId, a.renewalDate])).toEqual([[good, day("2025-06-30")]]);
    expect(pages[0]!.read).toBe(3);
  });
});

describe("Salesforce connector: faults", () => {
  it("retries REQUEST_LIMIT_EXCEEDED and 5xx, then gives up clearly", async () => {
    sf.addAccount({ Name: "A" });
    sf.failNext("/services/data/v62.0/queryAll", { status: 503 });
    sf.setApiUsage(sf.dailyLimit); // the describe meets the org's spent allowance
    // The rolling 24-hour window frees requests while the connector waits: its retry goes through.
    const pages = await sync(null, {}, { onWait: () => sf.setApiUsage(0) });
    expect(accountsOf(pages)).toHaveLength(1);
    expect(sf.requests.map((r) => [r.path.replace(/^\/services\/data\/v62\.0/, ""), r.status])).toEqual([
      ["/services/oauth2/token", 200],
      ["/sobjects/Account/describe", 403],
      ["/sobjects/Account/describe", 200],
      ["/queryAll", 503],
      ["/queryAll", 200],
    ]);
    expect(waits).toHaveLength(2);

    sf.setApiUsage(sf.dailyLimit);
    const error = await sync(null, {}, { budgetMs: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceUnavailableError);
    expect((error as Error).message).toMatch(
      /^Salesforce GET \/services\/data\/v62\.0\/sobjects\/Account\/describe: still failing after \d+ attempt\(s\) over \d+ s \(HTTP 403 REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded\.\)$/,
    );
  });

  it("stops after a page when the org's API usage passes max_api_usage, and the next sync resumes", async () => {
    const ids = Array.from({ length: 4_100 }, (_, i) =>
      sf.addAccount({ Name: `A${i}` }, { at: sf.clock.now() + i * 1000 }),
    );
    sf.dailyLimit = 100;
    sf.setApiUsage(80); // Sforce-Limit-Info: api-usage=81/100 on the describe, 82/100 on the query
    const cut = await sync(null, { max_api_usage: 0.82 });
    expect(cut).toHaveLength(1);
    expect(cut[0]!.cursor).toEqual({
      phase: "initial",
      since: expect.any(String) as string,
      after_id: ids[1999],
    });
    expect(queries()).toHaveLength(1);

    const spent = await sync(cut[0]!.cursor, { max_api_usage: 0.82 });
    expect(spent).toEqual([]); // already past the share after the describe: nothing read
    expect(queries()).toHaveLength(1);

    sf.setApiUsage(0); // the rolling window moved on
    const rest = await sync(cut[0]!.cursor, { max_api_usage: 0.82 });
    expect(accountsOf(rest).map((a) => a.sourceId)).toEqual(ids.slice(2000));
  }, 30_000);

  it("gives one clear error when the refresh token or the client is refused", async () => {
    sf.revokeRefreshTokens();
    const error = await sync(null).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorAuthError);
    expect((error as Error).message).toBe(
      "Salesforce refused the credentials (the token endpoint answered invalid_grant: expired access/refresh token; authorise the app again and give the new credentials): update them with `css-bot connectors add`",
    );
    expect(sf.requestsTo("/services/oauth2/token")).toHaveLength(1); // not retried
    secret = { ...secret, client_secret: "wrong" };
    await expect(sync(null)).rejects.toThrow(/invalid_client: invalid client credentials/);
  });

  it("signs a JWT for the JWT bearer flow, and names Salesforce's refusal of it", async () => {
    const app = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
    sf.addJwtClient("3MVG9jwt", app.publicKey, ["integration@acme.example"]);
    const pem = (key: KeyObject) => key.export({ type: "pkcs8", format: "pem" }).toString();
    const jwt = {
      client_id: "3MVG9jwt",
      username: "integration@acme.example",
      private_key: pem(app.privateKey),
    };
    sf.addAccount({ Name: "A" });
    const pages = await sync(null, {}, { secret: jwt });
    expect(accountsOf(pages)).toHaveLength(1);
    const form = new URLSearchParams(String(sf.requestsTo("/services/oauth2/token")[0]!.body));
    expect(form.get("grant_type")).toBe("urn:ietf:params:oauth:grant-type:jwt-bearer");
    const claims = JSON.parse(
      Buffer.from(form.get("assertion")!.split(".")[1]!, "base64url").toString(),
    ) as object;
    expect(claims).toMatchObject({
      iss: "3MVG9jwt",
      sub: "integration@acme.example",
      aud: "https://login.salesforce.com",
    });

    await expect(sync(null, {}, { secret: { ...jwt, username: "someone@acme.example" } })).rejects.toThrow(
      "Salesforce refused the credentials (the token endpoint answered invalid_grant: user hasn't approved this consumer;",
    );
    const forged = sync(null, {}, { secret: { ...jwt, private_key: pem(other.privateKey) } });
    await expect(forged).rejects.toBeInstanceOf(ConnectorAuthError);
    await expect(forged).rejects.toThrow(/invalid_grant: invalid assertion/);
  });

  it("refuses a private key that is not one, without quoting it, and picks the sandbox login server", () => {
    const parsed = salesforceConnector.secret.safeParse({
      client_id: "x",
      username: "u",
      private_key: "hunter2",
    });
    expect(JSON.stringify(parsed.error?.issues)).toContain("is not a PEM private key");
    expect(JSON.stringify(parsed.error?.issues)).not.toContain("hunter2");
    expect(audienceOf("https://acme--uat.sandbox.my.salesforce.com")).toBe("https://test.salesforce.com");
    expect(audienceOf("https://acme.my.salesforce.com")).toBe("https://login.salesforce.com");
  });

  it("says so when the app rotates refresh tokens, which css-bot cannot keep", async () => {
    await sf.close();
    sf = await startFakeSalesforce({ rotateRefreshTokens: true });
    const error = await sync(null).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorAuthError);
    expect((error as Error).message).toMatch(
      /^Salesforce rotated the refresh token .* turn rotation off for this app/,
    );
    expect(queries()).toHaveLength(0);
  });

  it("fetches a new access token once when the session ends mid-sync", async () => {
    for (let i = 0; i < 2_500; i++) sf.addAccount({ Name: `A${i}` });
    let expired = false;
    const pages = await sync(
      null,
      {},
      {
        onPage: () => {
          if (!expired) sf.expireSessions();
          expired = true;
        },
      },
    );
    expect(accountsOf(pages)).toHaveLength(2_500);
    expect(sf.requestsTo("/services/oauth2/token")).toHaveLength(2);
    expect(sf.requests.filter((r) => r.status === 401)).toHaveLength(1);

    // A session refused right after a fresh token is the credentials' fault: no loop.
    sf.failNext((r) => r.path.endsWith("/describe"), { status: 401 });
    await expect(sync(null)).rejects.toThrow(
      /Salesforce refused the credentials \(HTTP 401.*INVALID_SESSION_ID/,
    );
  });
});
