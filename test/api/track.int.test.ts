// The track webhook end to end: signed Segment events over HTTP into activity rows and usage
// metrics, on the real web process, PostgreSQL and Redis.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { signBody } from "../../src/api/track-signature.ts";
import { run } from "../../src/cli/main.ts";
import { dateToDay, formatDay } from "../../src/domain/dates.ts";
import { MAX_FEATURE_METRICS } from "../../src/services/track-activity.ts";
import { createTrackSecret } from "../../src/services/track-secret.ts";
import { post, startApiHarness, TEST_ENCRYPTION_KEY, type ApiHarness } from "./harness.ts";

let h: ApiHarness;
let url: string;
let secret: string;

beforeEach(async () => {
  h = await startApiHarness();
  url = `${h.baseUrl}/api/v1/track`;
  secret = (await createTrackSecret(h.db.prisma, h.box, h.workspace.id, { rotate: false, actor: "test" }))
    .secret;
  const accounts = [
    { account_id: "ACME-1", name: "Acme", seats: 10 },
    { account_id: "BETA-2", name: "Beta" },
  ];
  expect((await post(`${h.baseUrl}/api/v1/accounts`, accounts, { key: h.key })).status).toBe(200);
});
afterEach(async () => h.close());

/** POSTs the body signed with `o.secret` (the workspace's by default; null: unsigned). */
const send = (
  body: unknown,
  o: { key?: string; secret?: string | null; headers?: Record<string, string> } = {},
) => {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const signing = o.secret === undefined ? secret : o.secret;
  return post(url, text, {
    key: o.key ?? h.key,
    headers: {
      ...(signing === null ? {} : { "x-signature": signing && signBody(signing, text) }),
      ...o.headers,
    },
  });
};

const track = (
  event: string,
  user: Record<string, string>,
  at: string,
  account: Record<string, unknown>,
) => ({
  type: "track",
  event,
  ...user,
  timestamp: `${at}T10:00:00Z`,
  ...account,
});
const acme = { context: { groupId: "ACME-1" } };
const BATCH = {
  batch: [
    track("Report Exported", { userId: "u1" }, "2026-11-20", acme),
    track("Report Exported", { userId: "u1" }, "2026-11-20", acme), // the same activity again
    track("Dashboard Viewed", { userId: "u2" }, "2026-11-20", { properties: { account_id: "ACME-1" } }),
    { type: "identify", userId: "u1", traits: { email: "u1@acme.test" } },
    track("Dashboard Viewed", { userId: "u1" }, "2026-11-22", { groupId: "ACME-1" }),
    track("Report Exported", { anonymousId: "anon-3" }, "2026-11-22", acme),
    track("Report Exported", { userId: "u9" }, "2026-11-21", { context: { groupId: "NOPE-9" } }),
    track("Report Exported", {}, "2026-11-21", acme),
    track("Report Exported", { userId: "b1" }, "2026-11-21", { context: { groupId: "BETA-2" } }),
    { type: "page", name: "Home" },
  ],
};

/** Every observation of the workspace, as { "ACME-1 metric": { day: value } }. */
async function observations(): Promise<Record<string, Record<string, number>>> {
  const accounts = await h.db.prisma.account.findMany({ where: { workspaceId: h.workspace.id } });
  const externalId = new Map(accounts.map((a) => [a.id, a.externalId]));
  const rows = await h.db.prisma.metricObservation.findMany({ where: { workspaceId: h.workspace.id } });
  const out: Record<string, Record<string, number>> = {};
  for (const r of rows)
    (out[`${externalId.get(r.accountId)} ${r.metric}`] ??= {})[formatDay(dateToDay(r.observedOn))] = r.value;
  return out;
}
/** `values` for the days from 2026-11-20 on (NaN: no value that day). */
const days = (...values: number[]) =>
  Object.fromEntries(
    values
      .map((v, i) => [formatDay(dateToDay(new Date("2026-11-20")) + i), v] as const)
      .filter(([, v]) => !Number.isNaN(v)),
  );
const activityCount = () => h.db.prisma.trackActivity.count();

describe("a signed batch", () => {
  it("leaves a value of a source ranked above it, and says how many it left", async () => {
    const metric = {
      account_id: "ACME-1",
      metric: "weekly_active_ratio",
      value: 0.9,
      observed_at: "2026-11-20",
    };
    expect((await post(`${h.baseUrl}/api/v1/metrics`, [metric], { key: h.key })).body).toEqual({
      accepted: 1,
      superseded: 0,
    });
    const res = await send({ batch: [track("Report Exported", { userId: "u1" }, "2026-11-20", acme)] });
    expect(res).toMatchObject({ status: 200, body: { accepted: 1, superseded: 1 } });
    expect((await observations())["ACME-1 weekly_active_ratio"]).toEqual(
      days(0.9, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1),
    );
  });

  it("stores activity and counts daily, weekly, ratio and feature metrics", async () => {
    const res = await send(BATCH);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      accepted: 6,
      ignored: 2,
      rejected: 2,
      superseded: 0,
      errors: [
        {
          index: 6,
          field: "context.groupId",
          reason: expect.stringContaining('unknown account "NOPE-9"') as string,
        },
        { index: 7, field: "userId", reason: "no user: send userId or anonymousId" },
      ],
      errors_omitted: 0,
    });
    expect(await activityCount()).toBe(5);
    // ACME-1: u1 and u2 on the 20th, u1 and anon-3 on the 22nd. The 7 days ending on the 27th start
    // on the 21st: only the 22nd's users are left.
    expect(await observations()).toEqual({
      "ACME-1 daily_active_users": { "2026-11-20": 2, "2026-11-22": 2 },
      "ACME-1 weekly_active_users": days(2, 2, 3, 3, 3, 3, 3, 2, 2),
      "ACME-1 weekly_active_ratio": days(0.2, 0.2, 0.3, 0.3, 0.3, 0.3, 0.3, 0.2, 0.2),
      "ACME-1 feature_users:Report Exported": days(1, 1, 2, 2, 2, 2, 2, 1, 1),
      "ACME-1 feature_users:Dashboard Viewed": days(1, 1, 2, 2, 2, 2, 2, 1, 1),
      // BETA-2 has no seats: no ratio.
      "BETA-2 daily_active_users": { "2026-11-21": 1 },
      "BETA-2 weekly_active_users": days(NaN, 1, 1, 1, 1, 1, 1, 1),
      "BETA-2 feature_users:Report Exported": days(NaN, 1, 1, 1, 1, 1, 1, 1),
    });
  });

  it("sent again changes nothing; a later batch recounts the days it touches", async () => {
    await send(BATCH);
    const before = await observations();
    expect(await send(BATCH)).toMatchObject({ status: 200, body: { accepted: 6, ignored: 2, rejected: 2 } });
    expect(await observations()).toEqual(before);
    expect(await activityCount()).toBe(5);

    // u2 again on the 26th: u2 is back in the weeks ending on the 27th and 28th, and alone in those
    // ending on the 29th to December 2nd.
    await send(track("Dashboard Viewed", { userId: "u2" }, "2026-11-26", acme));
    const after = await observations();
    expect(after["ACME-1 daily_active_users"]).toEqual({ "2026-11-20": 2, "2026-11-22": 2, "2026-11-26": 1 });
    expect(after["ACME-1 weekly_active_users"]).toEqual(days(2, 2, 3, 3, 3, 3, 3, 3, 3, 1, 1, 1, 1));
    expect(after["ACME-1 feature_users:Dashboard Viewed"]).toEqual(
      days(1, 1, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1),
    );
  });

  it("with an Idempotency-Key, a retry gets the first reply back", async () => {
    const headers = { "idempotency-key": "segment-msg-1" };
    const first = await send(BATCH, { headers });
    const again = await send(BATCH, { headers });
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
  });

  it(`keeps feature adoption to the ${MAX_FEATURE_METRICS} events with the most users`, async () => {
    const events = Array.from({ length: MAX_FEATURE_METRICS + 2 }, (_, i) =>
      track(`E${String(i).padStart(2, "0")}`, { userId: "u1" }, "2026-11-20", acme),
    );
    events.push(track("E51", { userId: "u2" }, "2026-11-20", acme));
    expect((await send({ batch: events })).body).toMatchObject({ accepted: MAX_FEATURE_METRICS + 3 });
    const features = Object.keys(await observations()).filter((m) => m.includes("feature_users:"));
    expect(features).toHaveLength(MAX_FEATURE_METRICS);
    // E51 has two users; of the rest, the first by name.
    expect(features).toContain("ACME-1 feature_users:E51");
    expect(features).not.toContain("ACME-1 feature_users:E50");
  });
});

describe("refused", () => {
  it("without a signature, or with a wrong one: 401 bad_signature, nothing written", async () => {
    for (const o of [{ secret: null }, { secret: "not-the-secret" }, { headers: { "x-signature": "00" } }]) {
      const res = await send(BATCH, o);
      expect(res).toMatchObject({ status: 401, body: { error: "bad_signature" } });
    }
    // The signature of another body.
    const res = await post(url, JSON.stringify(BATCH), {
      key: h.key,
      headers: { "x-signature": signBody(secret, JSON.stringify({ batch: [] })) },
    });
    expect(res.status).toBe(401);
    expect(await activityCount()).toBe(0);
    expect(await observations()).toEqual({});
  });

  it("for a workspace without a secret, and without or with a bad API key", async () => {
    const other = await h.newWorkspace("globex");
    expect(await send(BATCH, { key: other.key })).toMatchObject({
      status: 401,
      body: { error: "bad_signature", message: expect.stringContaining("css-bot track-secret") as string },
    });
    expect((await post(url, JSON.stringify(BATCH), {})).body.error).toBe("unauthorized");
    expect((await send(BATCH, { key: "css_nope" })).body.error).toBe("unauthorized");
  });

  it("keeps each key to its workspace: another's key cannot write into this one", async () => {
    const other = await h.newWorkspace("globex");
    const otherSecret = (
      await createTrackSecret(h.db.prisma, h.box, other.workspace.id, { rotate: false, actor: "test" })
    ).secret;
    // Signed with this workspace's secret but sent with the other's key: the other's secret rules.
    expect((await send(BATCH, { key: other.key })).status).toBe(401);
    // Properly signed for the other workspace: ACME-1 is not one of its accounts.
    const res = await send(BATCH, { key: other.key, secret: otherSecret });
    expect(res).toMatchObject({
      status: 422,
      body: { error: "invalid_events", accepted: 0, ignored: 2, rejected: 8 },
    });
    expect(res.body.errors!.filter((e) => e.reason.startsWith("unknown account"))).toHaveLength(7);
    // And this workspace's key with the other's secret.
    expect((await send(BATCH, { secret: otherSecret })).status).toBe(401);
    expect(await activityCount()).toBe(0);
  });

  it("with nothing usable: 422 listing each event; only ignored events: 200", async () => {
    const bad = {
      batch: [
        track("E", { userId: "u1" }, "2026-11-20", {}),
        track("E", { userId: "u1" }, "2026-11-20", { context: { groupId: "NOPE" } }),
        { ...track("E", { userId: "u1" }, "2026-11-20", acme), timestamp: "yesterday" },
        { type: "identify", userId: "u1" },
      ],
    };
    const res = await send(bad);
    expect(res).toMatchObject({
      status: 422,
      body: { error: "invalid_events", accepted: 0, ignored: 1, rejected: 3 },
    });
    expect(res.body.errors!.map((e) => [e.index, e.field])).toEqual([
      [0, "context.groupId"],
      [1, "context.groupId"],
      [2, "timestamp"],
    ]);
    expect(await send({ type: "group", groupId: "ACME-1" })).toMatchObject({
      status: 200,
      body: { accepted: 0, ignored: 1, rejected: 0, errors: [] },
    });
    expect(await activityCount()).toBe(0);
  });

  it("on a server without CSS_ENCRYPTION_KEY: 503 saying so, not a 500 to retry", async () => {
    const keyless = await h.startWeb({}, { box: null });
    const text = JSON.stringify(BATCH);
    const res = await post(`${keyless.baseUrl}/api/v1/track`, text, {
      key: h.key,
      headers: { "x-signature": signBody(secret, text) },
    });
    expect(res).toMatchObject({
      status: 503,
      body: {
        error: "encryption_key_missing",
        message: expect.stringContaining("the server has no CSS_ENCRYPTION_KEY") as string,
      },
    });
    expect(await activityCount()).toBe(0);
    await keyless.close();
  });

  it("past the limits, or not JSON", async () => {
    expect((await send(BATCH, { headers: { "content-type": "text/plain" } })).status).toBe(415);
    expect((await send('{"batch": [')).body.error).toBe("malformed_json");
    const small = await h.startWeb({ maxBodyBytes: 100, rateLimitPerMinute: 3 });
    const big = JSON.stringify(BATCH);
    const tooBig = await post(`${small.baseUrl}/api/v1/track`, big, {
      key: h.key,
      headers: { "x-signature": signBody(secret, big) },
    });
    expect(tooBig.status).toBe(413);
    const limited = await h.startWeb({ rateLimitPerMinute: 3 });
    const four = JSON.stringify({ batch: BATCH.batch.slice(0, 4) });
    const res = await post(`${limited.baseUrl}/api/v1/track`, four, {
      key: h.key,
      headers: { "x-signature": signBody(secret, four) },
    });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).not.toBeNull();
    await small.close();
    await limited.close();
  });
});

describe("css-bot track-secret", () => {
  const cli = async (args: string[], env: Record<string, string> = {}) => {
    let stdout = "";
    let stderr = "";
    const code = await run(
      ["node", "css-bot", ...args],
      { DATABASE_URL: h.db.url!, CSS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY.toString("hex"), ...env },
      {
        stdout: { write: (s) => void (stdout += s) },
        stderr: { write: (s) => void (stderr += s) },
        interactive: false,
      },
    );
    return { code, stdout, stderr };
  };

  it("prints a secret that verifies, refuses to replace it without --rotate, and rotates", async () => {
    await h.newWorkspace("globex");
    const created = await cli(["track-secret", "-w", "globex"]);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain("not shown again");
    const printed = /^ {2}([0-9a-f]{64})$/m.exec(created.stdout)![1]!;
    const globexKey = (await h.newWorkspace("globex")).key;
    const event = track("E", { userId: "u1" }, "2026-11-20", {});
    expect((await send(event, { key: globexKey, secret: printed })).status).toBe(422); // signed; no account
    // Stored sealed, never in clear.
    const row = await h.db.prisma.workspace.findUniqueOrThrow({ where: { slug: "globex" } });
    expect(Buffer.from(row.trackSecret!).toString("latin1")).not.toContain(printed);

    const again = await cli(["track-secret", "-w", "globex"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("--rotate");

    const rotated = await cli(["track-secret", "--rotate", "--json", "-w", "globex"]);
    const json = JSON.parse(rotated.stdout) as { secret: string; rotated: boolean; workspace: string };
    expect(json).toMatchObject({ rotated: true, workspace: "globex" });
    expect((await send(event, { key: globexKey, secret: printed })).status).toBe(401);
    expect((await send(event, { key: globexKey, secret: json.secret })).status).toBe(422);
    const audit = await h.db.prisma.auditLogEntry.findMany({
      where: { workspaceId: row.id },
      orderBy: { id: "asc" },
    });
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(["track-secret.create", "track-secret.rotate"]),
    );
  });

  it("needs CSS_ENCRYPTION_KEY", async () => {
    const res = await cli(["track-secret", "-w", "globex"], { CSS_ENCRYPTION_KEY: "" });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("CSS_ENCRYPTION_KEY");
  });
});
