// The Salesforce fake, driven with plain fetch the way a client would drive Salesforce: the refresh
// token flow and its refusals, query and queryAll with nextRecordsUrl, SOQL filters and ordering,
// describe, and the documented errors and usage header.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeSalesforce, type FakeSalesforce } from "./salesforce-api.ts";

let sf: FakeSalesforce;
let token: string;
const API = "/services/data/v62.0";

beforeEach(async () => {
  sf = await startFakeSalesforce({ now: "2025-01-15T12:00:00Z" });
  token = ((await refresh()).body as { access_token: string }).access_token;
});
afterEach(() => sf.close());

async function call(path: string, init: RequestInit = {}) {
  const res = await fetch(`${sf.baseUrl}${path}`, init);
  return { status: res.status, headers: res.headers, body: await res.json() };
}
function refresh(form: Record<string, string> = {}) {
  const body = new URLSearchParams({
    grant_type: "refresh_token",
    client_id: sf.clientId,
    client_secret: sf.clientSecret,
    refresh_token: "5Aep861-fake-refresh",
    ...form,
  });
  return call("/services/oauth2/token", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: body.toString(),
  });
}
const get = (path: string, headers: Record<string, string> = {}) =>
  call(path, { headers: { authorization: `Bearer ${token}`, ...headers } });
const soql = (q: string, resource = "query") => get(`${API}/${resource}?q=${encodeURIComponent(q)}`);
type QueryBody = {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: Record<string, unknown>[];
};

describe("fake Salesforce API", () => {
  it("issues access tokens for a refresh token, and refuses as Salesforce does", async () => {
    const ok = await refresh();
    expect(ok.body).toMatchObject({
      access_token: expect.stringMatching(/^00D\w+!AQ/) as string,
      instance_url: sf.baseUrl,
      token_type: "Bearer",
      scope: "api refresh_token",
      issued_at: String(Date.parse("2025-01-15T12:00:00Z")),
    });
    expect(await refresh({ refresh_token: "nope" })).toMatchObject({
      status: 400,
      body: { error: "invalid_grant", error_description: "expired access/refresh token" },
    });
    expect((await refresh({ client_secret: "x" })).body).toMatchObject({ error: "invalid_client" });
    expect((await refresh({ client_id: "x" })).body).toMatchObject({ error: "invalid_client_id" });
    expect((await refresh({ grant_type: "password" })).body).toMatchObject({
      error: "unsupported_grant_type",
    });
    sf.expireSessions();
    expect(await get(`${API}/sobjects/Account/describe`)).toMatchObject({
      status: 401,
      body: [{ errorCode: "INVALID_SESSION_ID", message: "Session expired or invalid" }],
    });
  });

  it("pages query results through nextRecordsUrl in batches, and queryAll shows deleted accounts", async () => {
    for (let i = 0; i < 450; i++) sf.addAccount({ Name: `A${i}` });
    const deleted = sf.addAccount({ Name: "Deleted" });
    sf.deleteAccount(deleted);
    const first = await get(`${API}/query?q=${encodeURIComponent("SELECT Id, Name FROM Account")}`, {
      "sforce-query-options": "batchSize=200",
    });
    const body = first.body as QueryBody;
    expect(body).toMatchObject({ totalSize: 450, done: false });
    expect(body.records).toHaveLength(200);
    expect(body.records[0]).toEqual({
      attributes: { type: "Account", url: `${API}/sobjects/Account/${body.records[0]!.Id as string}` },
      Id: expect.stringMatching(/^001\w{15}$/) as string,
      Name: "A0",
    });
    expect(body.nextRecordsUrl).toMatch(/^\/services\/data\/v62\.0\/query\/01g\w+-200$/);
    const second = (await get(body.nextRecordsUrl!, { "sforce-query-options": "batchSize=200" }))
      .body as QueryBody;
    const third = (await get(second.nextRecordsUrl!, { "sforce-query-options": "batchSize=200" }))
      .body as QueryBody;
    expect([second.records.length, third.records.length, third.done]).toEqual([200, 50, true]);
    expect(third.nextRecordsUrl).toBeUndefined();
    expect((await get(second.nextRecordsUrl!)).body).toEqual([
      { errorCode: "INVALID_QUERY_LOCATOR", message: "invalid query locator" },
    ]);

    const all = (await soql(`SELECT Id, IsDeleted FROM Account WHERE IsDeleted = true`, "queryAll"))
      .body as QueryBody;
    expect(all.records.map((r) => [r.Id, r.IsDeleted])).toEqual([[deleted, true]]);
    expect(((await soql("SELECT Id FROM Account")).body as QueryBody).totalSize).toBe(450);
  });

  it("filters and orders by SOQL, follows the owner relationship, and marks merged accounts", async () => {
    const owner = sf.addUser({ email: "rep@vendor.example" });
    const a = sf.addAccount({ Name: "A", Type: "Customer" }, { ownerId: owner });
    sf.clock.advance(1000);
    const b = sf.addAccount({ Name: "B" });
    sf.clock.advance(1000);
    sf.mergeAccounts(a, b);
    const q = (where: string) =>
      soql(
        `SELECT Id, Owner.Email, MasterRecordId, SystemModstamp FROM Account ${where} ORDER BY SystemModstamp DESC, Id ASC`,
        "queryAll",
      ).then((r) => (r.body as QueryBody).records);
    const rows = await q("WHERE SystemModstamp >= 2025-01-15T12:00:01Z");
    expect(rows.map((r) => [r.Id, r.MasterRecordId, r.SystemModstamp])).toEqual([
      [a, null, "2025-01-15T12:00:02.000+0000"],
      [b, a, "2025-01-15T12:00:02.000+0000"],
    ]);
    expect(rows[0]!.Owner).toMatchObject({ attributes: { type: "User" }, Email: "rep@vendor.example" });
    expect(rows[1]!.Owner).toBeNull();
    const tie = await q(
      `WHERE (SystemModstamp > 2025-01-15T12:00:02Z OR (SystemModstamp = 2025-01-15T12:00:02Z AND Id > '${a}'))`,
    );
    expect(tie.map((r) => r.Id)).toEqual([b]);
    expect((await q("WHERE NOT Type = 'Customer' AND IsDeleted = false")).map((r) => r.Id)).toEqual([]);
  });

  it("answers describe, INVALID_FIELD, MALFORMED_QUERY and the daily limit as documented", async () => {
    sf.addField("ARR__c", "currency");
    const describe = await get(`${API}/sobjects/Account/describe`);
    expect(describe.headers.get("sforce-limit-info")).toBe("api-usage=1/15000");
    const fields = (describe.body as { fields: { name: string; type: string; custom: boolean }[] }).fields;
    expect(fields.find((f) => f.name === "ARR__c")).toMatchObject({ type: "currency", custom: true });
    expect(fields.find((f) => f.name === "SystemModstamp")).toMatchObject({
      type: "datetime",
      custom: false,
    });

    const invalid = await soql("SELECT Id, ARR FROM Account");
    expect(invalid.status).toBe(400);
    expect(invalid.body).toEqual([
      { errorCode: "INVALID_FIELD", message: expect.stringContaining("No such column 'ARR'") as string },
    ]);
    const malformed = await soql("SELECT Id FROM Account WHERE SystemModstamp > 2025-01-15T12:00:00.123Z");
    expect(malformed.body).toEqual([
      { errorCode: "MALFORMED_QUERY", message: expect.stringContaining("unexpected token") as string },
    ]);

    sf.setApiUsage(15_000);
    const limited = await get(`${API}/sobjects/Account/describe`);
    expect(limited).toMatchObject({
      status: 403,
      body: [{ errorCode: "REQUEST_LIMIT_EXCEEDED", message: "TotalRequests Limit exceeded." }],
    });
    expect(limited.headers.get("sforce-limit-info")).toBe("api-usage=15000/15000");
  });
});
