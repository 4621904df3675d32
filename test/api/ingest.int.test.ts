// The ingest API end to end: the real web process over HTTP, the real PostgreSQL and Redis.
import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createIdempotency } from "../../src/api/idempotency.ts";
import { MAX_LISTED_ERRORS } from "../../src/api/ingest-records.ts";
import { run } from "../../src/cli/main.ts";
import { claimIdempotencyKey } from "../../src/db/repositories/idempotency-keys.ts";
import { formatDay, dateToDay } from "../../src/domain/dates.ts";
import { silentLogger } from "../../src/log.ts";
import { createApiKey, revokeWorkspaceApiKey } from "../../src/services/api-keys.ts";
import { importFile } from "../../src/services/import-records.ts";
import { writeTempFile } from "../support/files.ts";
import { waitFor } from "../support/queues.ts";
import { post, startApiHarness, type ApiHarness } from "./harness.ts";

const ACCOUNTS = [
  {
    account_id: "A1",
    name: "Acme Corp",
    segment: "enterprise",
    mrr: 5000,
    seats: 100,
    renewal_date: "2026-09-30",
  },
  {
    account_id: "A2",
    name: "Beta, Inc.",
    owner: "sam@example.com",
    status: "churned",
    churned_at: "2026-06-10",
  },
];
const METRICS = [
  { account_id: "A1", metric: "weekly_active_ratio", value: 0.6, observed_at: "2026-06-01" },
  { account_id: "A1", metric: "open_tickets", value: "4", observed_at: "2026-06-02T23:30:00Z" },
  { account_id: "A2", metric: "weekly_active_ratio", value: 0.2, observed_at: "2026-06-01" },
];
const RESPONSES = [
  { account_id: "A1", survey: "nps", score: 9, responded_at: "2026-06-02T10:00:00Z", response_id: "r-1" },
  {
    account_id: "A1",
    survey: "csat",
    score: 4,
    responded_at: "2026-06-03",
    respondent: "kim@acme.test",
    comment: "Setup was slow, support was great",
  },
  { account_id: "A2", survey: "NPS", score: 3, responded_at: "2026-06-04" },
];

let h: ApiHarness;
let url: (path: string) => string;

beforeEach(async () => {
  h = await startApiHarness();
  url = (path) => `${h.baseUrl}/api/v1/${path}`;
});
afterEach(async () => h.close());

const counts = async (workspaceId = h.workspace.id) => ({
  accounts: await h.db.prisma.account.count({ where: { workspaceId } }),
  observations: await h.db.prisma.metricObservation.count({ where: { workspaceId } }),
  responses: await h.db.prisma.surveyResponse.count({ where: { workspaceId } }),
});
const sendAccounts = () => post(url("accounts"), { records: ACCOUNTS }, { key: h.key });

describe("writing", () => {
  it("upserts accounts, and reports which were created and which updated", async () => {
    expect(await sendAccounts()).toMatchObject({
      status: 200,
      body: { accepted: 2, created: 2, updated: 0 },
    });
    const again = await post(url("accounts"), [{ account_id: "A1", name: "Acme Corporation" }], {
      key: h.key,
    });
    expect(again).toMatchObject({ status: 200, body: { accepted: 1, created: 0, updated: 1 } });
    const rows = await h.db.prisma.account.findMany({
      where: { workspaceId: h.workspace.id },
      orderBy: { externalId: "asc" },
    });
    expect(
      rows.map((r) => [r.externalId, r.name, r.segment, Number(r.mrr), r.seats, r.status, r.owner]),
    ).toEqual([
      // A field left out keeps its stored value, as in a file import.
      ["A1", "Acme Corporation", "enterprise", 5000, 100, "active", null],
      ["A2", "Beta, Inc.", null, 0, null, "churned", "sam@example.com"],
    ]);
    expect(formatDay(dateToDay(rows[1]!.churnedAt!))).toBe("2026-06-10");
  });

  it("upserts metric observations by account, metric and day", async () => {
    await sendAccounts();
    const res = await post(url("metrics"), { records: METRICS }, { key: h.key });
    expect(res).toMatchObject({ status: 200, body: { accepted: 3 } });
    const again = await post(url("metrics"), [{ ...METRICS[0], value: 0.7 }], { key: h.key });
    expect(again.status).toBe(200);
    const rows = await h.db.prisma.metricObservation.findMany({
      where: { workspaceId: h.workspace.id },
      orderBy: [{ accountId: "asc" }, { metric: "asc" }],
    });
    const accounts = await h.db.prisma.account.findMany({ where: { workspaceId: h.workspace.id } });
    const externalId = new Map(accounts.map((a) => [a.id, a.externalId]));
    expect(
      rows.map((r) => [externalId.get(r.accountId), r.metric, formatDay(dateToDay(r.observedOn)), r.value]),
    ).toEqual([
      ["A1", "open_tickets", "2026-06-02", 4],
      ["A1", "weekly_active_ratio", "2026-06-01", 0.7],
      ["A2", "weekly_active_ratio", "2026-06-01", 0.2],
    ]);
  });

  it("stores survey responses once, whether sent again or imported from a file", async () => {
    await sendAccounts();
    expect(await post(url("responses"), RESPONSES, { key: h.key })).toMatchObject({
      status: 200,
      body: { accepted: 3, created: 3, duplicates: 0 },
    });
    expect(await post(url("responses"), { records: RESPONSES }, { key: h.key })).toMatchObject({
      status: 200,
      body: { accepted: 3, created: 0, duplicates: 3 },
    });
    const rows = await h.db.prisma.surveyResponse.findMany({
      where: { workspaceId: h.workspace.id },
      orderBy: { respondedAt: "asc" },
    });
    expect(
      rows.map((r) => [r.survey, r.score, r.respondedAt.toISOString(), r.respondent, r.comment]),
    ).toEqual([
      ["nps", 9, "2026-06-02T10:00:00.000Z", null, null],
      ["csat", 4, "2026-06-03T00:00:00.000Z", "kim@acme.test", "Setup was slow, support was great"],
      ["nps", 3, "2026-06-04T00:00:00.000Z", null, null],
    ]);
    // The same responses in a file are the same responses (the import's keys are the API's).
    const file = writeTempFile(
      "responses.jsonl",
      RESPONSES.map((r) => JSON.stringify(r)),
    );
    await importFile(h.db.prisma, h.workspace.id, "responses", file);
    expect((await counts()).responses).toBe(3);
  });
});

describe("concurrent batches", () => {
  it("that share keys in different orders both succeed (rows are locked in key order)", async () => {
    const accounts = Array.from({ length: 100 }, (_, i) => ({ account_id: `C${i}`, name: `Customer ${i}` }));
    expect((await post(url("accounts"), accounts, { key: h.key })).status).toBe(200);
    for (let round = 0; round < 2; round++) {
      const records = Array.from({ length: 10_000 }, (_, i) => ({
        account_id: `C${i % 100}`,
        metric: `m${Math.floor(i / 100) % 10}`,
        value: round,
        observed_at: formatDay(20_000 + Math.floor(i / 1000)),
      }));
      const replies = await Promise.all(
        [records, [...records].reverse()].map((batch) => post(url("metrics"), batch, { key: h.key })),
      );
      expect(replies.map((r) => r.status)).toEqual([200, 200]);
    }
    expect((await counts()).observations).toBe(10_000);
  });
});

describe("invalid records", () => {
  it("are all listed by index, field and reason, and nothing is written", async () => {
    await sendAccounts();
    const before = await counts();
    const res = await post(
      url("metrics"),
      {
        records: [
          METRICS[0],
          { account_id: "A1", metric: "m", value: "abc", observed_at: "2026-02-30" },
          "nope",
          { account_id: "A9", metric: "m", value: 1, observed_at: "2026-06-01" },
          { account_id: "A1", metric: "m", value: 1, observed_at: "2026-06-01", colour: "red" },
          { account_id: "A1", metric: "", value: 1, observed_at: "2026-06-01" },
          METRICS[1],
        ],
      },
      { key: h.key },
    );
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      error: "invalid_records",
      message: "5 invalid records; nothing was written",
      invalid_records: 5,
      errors: [
        { index: 1, field: "value", reason: 'not a number: "abc"' },
        { index: 1, field: "observed_at", reason: 'not a date (YYYY-MM-DD or ISO timestamp): "2026-02-30"' },
        { index: 2, field: null, reason: "each record must be a JSON object" },
        { index: 3, field: "account_id", reason: 'unknown account "A9" (send it to /api/v1/accounts first)' },
        { index: 4, field: "colour", reason: "unknown field" },
        { index: 5, field: "metric", reason: "required" },
      ],
      errors_omitted: 0,
    });
    expect(await counts()).toEqual(before);
  });

  it("holding NUL or other control characters are refused by index and field, and the key keeps the 422", async () => {
    const records = [
      ACCOUNTS[0],
      { account_id: "A\u00002", name: "Beta" },
      { account_id: "A3", name: "Gam\u001bma", segment: "smb\u0000" },
      { account_id: "A4", name: "Delta", "col\u0000our": "red" },
    ];
    const control = (code: string, at: number) =>
      `contains a control character (${code} at character ${at}); remove it`;
    const options = { key: h.key, headers: { "idempotency-key": "nul-1" } };
    const first = await post(url("accounts"), records, options);
    expect(first.status).toBe(422);
    expect(first.body).toEqual({
      error: "invalid_records",
      message: "3 invalid records; nothing was written",
      invalid_records: 3,
      errors: [
        { index: 1, field: "account_id", reason: control("U+0000", 2) },
        { index: 2, field: "name", reason: control("U+001B", 4) },
        { index: 2, field: "segment", reason: control("U+0000", 4) },
        { index: 3, field: "col\\u0000our", reason: "unknown field" },
      ],
      errors_omitted: 0,
    });
    // The 422 is the request's own: stored for its key and replayed, not a 500 that frees the key.
    const retry = await post(url("accounts"), records, options);
    expect(retry).toMatchObject({ status: 422, body: first.body });
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect((await counts()).accounts).toBe(0);

    await sendAccounts();
    const metric = await post(url("metrics"), [{ ...METRICS[0], metric: "log\u0000ins" }], { key: h.key });
    expect(metric).toMatchObject({
      status: 422,
      body: { errors: [{ index: 0, field: "metric", reason: control("U+0000", 4) }] },
    });
    const response = await post(url("responses"), [{ ...RESPONSES[1], respondent: "kim\u0000" }], {
      key: h.key,
    });
    expect(response).toMatchObject({
      status: 422,
      body: { errors: [{ index: 0, field: "respondent", reason: control("U+0000", 4) }] },
    });
    const comments = [
      { ...RESPONSES[1], comment: "line one\nline two" },
      { ...RESPONSES[1], comment: "x".repeat(2001) },
    ];
    expect(await post(url("responses"), comments, { key: h.key })).toMatchObject({
      status: 422,
      body: {
        errors: [
          { index: 0, field: "comment", reason: control("U+000A", 9) },
          { index: 1, field: "comment", reason: "at most 2000 characters" },
        ],
      },
    });
  });

  it("of unknown accounts alone still write nothing", async () => {
    await sendAccounts();
    const res = await post(url("responses"), [RESPONSES[0], { ...RESPONSES[1], account_id: "A3" }], {
      key: h.key,
    });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([
      { index: 1, field: "account_id", reason: 'unknown account "A3" (send it to /api/v1/accounts first)' },
    ]);
    expect((await counts()).responses).toBe(0);
  });

  it(`are listed up to ${MAX_LISTED_ERRORS}, and the rest counted`, async () => {
    const records = Array.from({ length: 1500 }, (_, i) => ({ account_id: `X${i}`, name: "" }));
    const res = await post(url("accounts"), records, { key: h.key });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ invalid_records: 1500, errors_omitted: 500 });
    expect(res.body.errors).toHaveLength(MAX_LISTED_ERRORS);
    expect(res.body.errors![999]).toEqual({ index: 999, field: "name", reason: "required" });
    expect((await counts()).accounts).toBe(0);
  });
});

describe("authentication", () => {
  it("refuses a missing, unknown, malformed or revoked key with 401", async () => {
    const unknownKey = `css_abcdefgh_${"A".repeat(43)}`;
    for (const authorization of [
      undefined,
      `Bearer ${unknownKey}`,
      "Bearer nonsense",
      `Basic ${h.key}`,
      h.key,
    ]) {
      const res = await post(url("accounts"), ACCOUNTS, {
        key: null,
        headers: authorization ? { authorization } : {},
      });
      expect(res.status, String(authorization)).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(res.body.error).toBe("unauthorized");
    }
    await revokeWorkspaceApiKey(h.db.prisma, h.workspace.id, "1", "test");
    expect((await sendAccounts()).status).toBe(401);
    expect((await counts()).accounts).toBe(0);
  });

  it("keeps each key to its workspace", async () => {
    await sendAccounts();
    const other = await h.newWorkspace("globex");
    // The other workspace's key cannot reach acme's accounts...
    const metrics = await post(url("metrics"), METRICS, { key: other.key });
    expect(metrics.status).toBe(422);
    expect(metrics.body.errors!.map((e) => e.reason)).toEqual([
      'unknown account "A1" (send it to /api/v1/accounts first)',
      'unknown account "A1" (send it to /api/v1/accounts first)',
      'unknown account "A2" (send it to /api/v1/accounts first)',
    ]);
    // ...and an account with the same id is its own.
    expect(
      await post(url("accounts"), [{ account_id: "A1", name: "Globex A1" }], { key: other.key }),
    ).toMatchObject({
      status: 200,
      body: { created: 1 },
    });
    const a1s = await h.db.prisma.account.findMany({
      where: { externalId: "A1" },
      orderBy: { workspaceId: "asc" },
    });
    expect(a1s.map((a) => [a.workspaceId, a.name])).toEqual([
      [h.workspace.id, "Acme Corp"],
      [other.workspace.id, "Globex A1"],
    ]);
  });
});

describe("Idempotency-Key", () => {
  const withKey = (key: string) => ({ key: h.key, headers: { "idempotency-key": key } });

  it("replays the first reply to a retry and writes nothing", async () => {
    const first = await post(url("accounts"), ACCOUNTS, withKey("batch-1"));
    expect(first).toMatchObject({ status: 200, body: { accepted: 2, created: 2, updated: 0 } });
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    await h.db.prisma.account.updateMany({ where: { externalId: "A1" }, data: { name: "Renamed since" } });

    const retry = await post(url("accounts"), ACCOUNTS, withKey("batch-1"));
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body); // a second write would have said created 0, updated 2
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect((await h.db.prisma.account.findFirstOrThrow({ where: { externalId: "A1" } })).name).toBe(
      "Renamed since",
    );

    // The same key with another body is refused; without a key, the request runs again.
    const reused = await post(url("accounts"), [ACCOUNTS[0]], withKey("batch-1"));
    expect(reused).toMatchObject({ status: 422, body: { error: "idempotency_key_reused" } });
    expect(await post(url("metrics"), ACCOUNTS, withKey("batch-1"))).toMatchObject({
      status: 422,
      body: { error: "idempotency_key_reused" },
    });
    expect(await sendAccounts()).toMatchObject({ status: 200, body: { created: 0, updated: 2 } });
  });

  it("replays a 422 too, and is per API key", async () => {
    const bad = [{ account_id: "A1" }];
    const first = await post(url("accounts"), bad, withKey("k"));
    expect(first).toMatchObject({ status: 422, body: { error: "invalid_records" } });
    const retry = await post(url("accounts"), bad, withKey("k"));
    expect(retry).toMatchObject({ status: 422, body: first.body });
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    // Another key's "k" is another key.
    const { key: second } = await createApiKey(h.db.prisma, h.workspace.id, "second", "test");
    const other = await post(url("accounts"), ACCOUNTS, { key: second, headers: { "idempotency-key": "k" } });
    expect(other).toMatchObject({ status: 200, body: { created: 2 } });
  });

  it("answers 409 while the first request with the key is in flight", async () => {
    const body = JSON.stringify(ACCOUNTS);
    const hash = createHash("sha256").update(`POST /api/v1/accounts\n${body}`).digest("hex");
    const times = { ttlSeconds: 86_400, abandonedAfterSeconds: 300 };
    expect(await claimIdempotencyKey(h.db.prisma, 1, "in-flight", hash, times)).toEqual({ claimed: true });
    const res = await post(url("accounts"), body, withKey("in-flight"));
    expect(res).toMatchObject({ status: 409, body: { error: "idempotency_key_in_progress" } });
    expect((await counts()).accounts).toBe(0);
    // A claim abandoned by a dead process is taken over after a while.
    await h.db.prisma.idempotencyKey.updateMany({ data: { createdAt: new Date(Date.now() - 301_000) } });
    expect(await post(url("accounts"), body, withKey("in-flight"))).toMatchObject({
      status: 200,
      body: { created: 2 },
    });
  });

  it("lets one of two concurrent requests run and tells the other it is in progress", async () => {
    await sendAccounts();
    // Big enough that the first is still writing when the second asks.
    const records = Array.from({ length: 10_000 }, (_, i) => ({
      account_id: i % 2 ? "A1" : "A2",
      metric: `m${i % 100}`,
      value: i,
      observed_at: formatDay(20_000 + Math.floor(i / 100)),
    }));
    const replies = await Promise.all([1, 2].map(() => post(url("metrics"), records, withKey("concurrent"))));
    expect(replies.map((r) => r.status).sort()).toEqual([200, 409]);
    expect((await counts()).observations).toBe(10_000);
  });

  it("is released when the request fails, so a retry runs it", async () => {
    const idempotency = createIdempotency({ prisma: h.db.prisma, log: silentLogger });
    const request = { method: "POST", path: "/api/v1/accounts", body: Buffer.from("[]") };
    await expect(
      idempotency.run(1, "k", request, () => Promise.reject(new Error("database went away"))),
    ).rejects.toThrow("database went away");
    const reply = await idempotency.run(1, "k", request, () =>
      Promise.resolve({ status: 200, body: { accepted: 0 } }),
    );
    expect(reply).toEqual({ status: 200, body: { accepted: 0 } });
    const replayed = await idempotency.run(1, "k", request, () => Promise.reject(new Error("not called")));
    expect(replayed.headers).toEqual({ "idempotent-replayed": "true" });
  });

  it("replays for 24 hours: a retry a minute before the window ends replays, a minute after runs anew", async () => {
    const first = await post(url("accounts"), ACCOUNTS, withKey("day"));
    expect(first).toMatchObject({ status: 200, body: { created: 2, updated: 0 } });
    const age = async (ms: number) =>
      h.db.prisma.idempotencyKey.updateMany({
        where: { key: "day" },
        data: { createdAt: new Date(Date.now() - ms) },
      });

    await age(24 * 3_600_000 - 60_000);
    const within = await post(url("accounts"), ACCOUNTS, withKey("day"));
    expect(within.headers.get("idempotent-replayed")).toBe("true");
    expect(within.body).toEqual(first.body);

    await age(24 * 3_600_000 + 60_000);
    const after = await post(url("accounts"), ACCOUNTS, withKey("day"));
    expect(after.headers.get("idempotent-replayed")).toBeNull();
    expect(after).toMatchObject({ status: 200, body: { created: 0, updated: 2 } });
    // The new reply is the one replayed from now on.
    const retry = await post(url("accounts"), ACCOUNTS, withKey("day"));
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body).toEqual(after.body);
  });

  it("forgets keys after 24 hours, and the web process deletes them", async () => {
    expect((await post(url("accounts"), ACCOUNTS, withKey("old"))).status).toBe(200);
    await h.db.prisma.idempotencyKey.updateMany({ data: { createdAt: new Date(Date.now() - 86_401_000) } });
    // Expired: the same key runs the request again (a replay would say created 2).
    expect(await post(url("accounts"), ACCOUNTS, withKey("old"))).toMatchObject({
      status: 200,
      body: { created: 0, updated: 2 },
    });
    // A fresh web process prunes expired keys on its first request with a key.
    await h.db.prisma.idempotencyKey.updateMany({ data: { createdAt: new Date(Date.now() - 86_401_000) } });
    const fresh = await h.startWeb({});
    await post(`${fresh.baseUrl}/api/v1/metrics`, [], withKey("new"));
    await waitFor(
      async () =>
        (await h.db.prisma.idempotencyKey.count({ where: { key: "old" } })) === 0 ? true : undefined,
      10_000,
      "the expired key to be pruned",
    );
    expect(await h.db.prisma.idempotencyKey.findMany({ select: { key: true } })).toEqual([{ key: "new" }]);
  });

  it("must be at most 255 characters", async () => {
    expect(await post(url("accounts"), ACCOUNTS, withKey("x".repeat(256)))).toMatchObject({
      status: 400,
      body: { error: "invalid_idempotency_key" },
    });
  });
});

describe("limits and malformed requests", () => {
  it("refuses a body past the byte limit with 413, declared or streamed", async () => {
    const small = await h.startWeb({ maxBodyBytes: 64 * 1024 });
    const records = Array.from({ length: 2000 }, (_, i) => ({
      account_id: `A${i}`,
      name: `Account number ${i}`,
    }));
    const body = JSON.stringify(records);
    expect(body.length).toBeGreaterThan(64 * 1024);
    const declared = await post(`${small.baseUrl}/api/v1/accounts`, body, { key: h.key });
    expect(declared).toMatchObject({ status: 413, body: { error: "payload_too_large" } });
    // Chunked, without a Content-Length: the limit stops the reading.
    const res = await fetch(`${small.baseUrl}/api/v1/accounts`, {
      method: "POST",
      headers: { authorization: `Bearer ${h.key}`, "content-type": "application/json" },
      body: new Blob([body]).stream(),
      duplex: "half",
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: "payload_too_large" });
    expect(
      (await post(`${small.baseUrl}/api/v1/accounts`, records.slice(0, 100), { key: h.key })).status,
    ).toBe(200);
    expect((await counts()).accounts).toBe(100);
  });

  it("refuses more than 10,000 records with 413", async () => {
    const records = Array.from({ length: 10_001 }, (_, i) => ({ account_id: `A${i}`, name: "x" }));
    expect(await post(url("accounts"), { records }, { key: h.key })).toMatchObject({
      status: 413,
      body: { error: "payload_too_large", message: expect.stringContaining("10000") as string },
    });
    expect((await counts()).accounts).toBe(0);
  });

  it("wants JSON: 415 for another content type, 400 with the position for malformed JSON", async () => {
    const csv = await post(url("accounts"), "account_id,name\nA1,Acme\n", {
      key: h.key,
      headers: { "content-type": "text/csv" },
    });
    expect(csv).toMatchObject({ status: 415, body: { error: "unsupported_media_type" } });
    const broken = await post(url("accounts"), '{"records": [{"account_id": "A1", "name": "Acme"},]}', {
      key: h.key,
    });
    expect(broken).toMatchObject({
      status: 400,
      body: { error: "malformed_json", position: 50, line: 1, column: 51 },
    });
    expect(await post(url("accounts"), { accounts: ACCOUNTS }, { key: h.key })).toMatchObject({
      status: 400,
      body: { error: "bad_request" },
    });
  });

  it("answers 404 for unknown paths and 405 for other methods", async () => {
    expect(await post(url("tickets"), [], { key: h.key })).toMatchObject({
      status: 404,
      body: { error: "not_found" },
    });
    const get = await fetch(url("metrics"), { headers: { authorization: `Bearer ${h.key}` } });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    // The rest of the web process is untouched.
    expect((await fetch(`${h.baseUrl}/healthz`)).status).toBe(200);
  });

  it("limits the records per key and minute: 429 with Retry-After past the rate", async () => {
    const limited = await h.startWeb({ rateLimitPerMinute: 5 });
    const at = `${limited.baseUrl}/api/v1/accounts`;
    expect((await post(at, ACCOUNTS, { key: h.key })).status).toBe(200);
    expect((await post(at, [...ACCOUNTS, { account_id: "A3", name: "C" }], { key: h.key })).status).toBe(200);
    const refused = await post(at, [{ account_id: "A4", name: "D" }], { key: h.key });
    expect(refused).toMatchObject({ status: 429, body: { error: "rate_limited" } });
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.body.retry_after).toBe(retryAfter);
    expect((await counts()).accounts).toBe(3);
    // Another key has a budget of its own.
    const { key } = await createApiKey(h.db.prisma, h.workspace.id, "another", "test");
    expect((await post(at, [{ account_id: "A4", name: "D" }], { key })).status).toBe(200);
  });
});

describe("css-bot apikey", () => {
  const cli = async (args: string[]) => {
    let stdout = "";
    let stderr = "";
    const code = await run(
      ["node", "css-bot", ...args],
      { DATABASE_URL: h.db.url! },
      {
        stdout: { write: (s) => void (stdout += s) },
        stderr: { write: (s) => void (stderr += s) },
        interactive: false,
      },
    );
    return { code, stdout, stderr };
  };

  it("creates a key that works, lists keys without them, and revokes", async () => {
    const created = await cli(["apikey", "create", "--name", "warehouse sync", "--json", "-w", "acme"]);
    expect(created.code).toBe(0);
    const made = JSON.parse(created.stdout) as { id: number; key: string; prefix: string; workspace: string };
    expect(made).toMatchObject({ name: "warehouse sync", workspace: "acme", revoked_at: null });
    expect(made.key).toMatch(/^css_[a-z0-9]{8}_[A-Za-z0-9_-]{43}$/);
    expect(made.key.startsWith(`${made.prefix}_`)).toBe(true);
    expect((await post(url("accounts"), ACCOUNTS, { key: made.key })).status).toBe(200);

    const text = await cli(["apikey", "create", "--name", "other", "-w", "acme"]);
    const textKey = /^ {2}(css_\S+)$/m.exec(text.stdout)![1]!;
    expect(text.stdout).toContain("it is not shown again");
    expect((await post(url("accounts"), ACCOUNTS, { key: textKey })).status).toBe(200);

    // Only a hash is stored.
    const stored = await h.db.prisma.apiKey.findUniqueOrThrow({ where: { id: made.id } });
    expect(stored.keyHash).toBe(createHash("sha256").update(made.key).digest("hex"));
    expect(JSON.stringify(stored)).not.toContain(made.key.slice(13));

    const list = await cli(["apikey", "list", "-w", "acme"]);
    const listJson = await cli(["apikey", "list", "--json", "-w", "acme"]);
    for (const out of [list.stdout, listJson.stdout]) {
      expect(out).toContain(made.prefix);
      expect(out).not.toContain(made.key.slice(13, 30));
      expect(out).not.toContain(textKey.slice(13, 30));
    }
    expect((JSON.parse(listJson.stdout) as { name: string }[]).map((k) => k.name)).toEqual([
      "acme test key",
      "warehouse sync",
      "other",
    ]);

    const revoked = await cli(["apikey", "revoke", made.prefix, "-w", "acme"]);
    expect(revoked).toMatchObject({ code: 0, stdout: expect.stringContaining("revoked API key") as string });
    expect((await post(url("accounts"), ACCOUNTS, { key: made.key })).status).toBe(401);
    expect((await post(url("accounts"), ACCOUNTS, { key: textKey })).status).toBe(200);
    expect((await cli(["apikey", "revoke", String(made.id), "-w", "acme"])).stdout).toContain(
      "already revoked",
    );
    const after = JSON.parse((await cli(["apikey", "list", "--json", "-w", "acme"])).stdout) as {
      id: number;
      revoked_at: string | null;
    }[];
    expect(after.find((k) => k.id === made.id)!.revoked_at).not.toBeNull();

    const audit = await h.db.prisma.auditLogEntry.findMany({
      where: { workspaceId: h.workspace.id },
      orderBy: { id: "asc" },
    });
    expect(audit.map((a) => [a.action, a.target])).toEqual([
      ["apikey.create", "apikey:1"],
      ["apikey.create", `apikey:${made.id}`],
      ["apikey.create", `apikey:${made.id + 1}`],
      ["apikey.revoke", `apikey:${made.id}`],
    ]);
    expect(JSON.stringify(audit.map((a) => a.details))).not.toContain(made.key.slice(13));
  });

  it("names an unknown key and refuses one of another workspace", async () => {
    const other = await h.newWorkspace("globex");
    const res = await cli(["apikey", "revoke", "2", "-w", "acme"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('no API key "2" in this workspace');
    expect((await post(url("accounts"), ACCOUNTS, { key: other.key })).status).toBe(200);
    expect((await cli(["apikey", "create", "-w", "acme"])).code).toBe(2);
  });
});
