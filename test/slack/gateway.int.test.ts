// The Slack gateway against the fake Web API over HTTP and the real Redis: what lands in Slack, how
// failures come out classified, and pacing shared by two gateways on two connections, as two worker
// processes would be.
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Logger } from "../../src/log.ts";
import { SlackGateway, type SlackGatewayOptions, type WorkspaceSlack } from "../../src/slack/gateway.ts";
import { SlackPacer } from "../../src/slack/pacer.ts";
import {
  SlackPermanentError,
  SlackRateLimitedError,
  SlackTransientError,
} from "../../src/slack/slack-errors.ts";
import { startFakeSlack, type FakeSlack } from "../../src/sandbox/slack-api.ts";
import { deleteKeys, testRedisUrl, uniquePrefix } from "../support/queues.ts";

const TOKEN = "xoxb-test";
const TEAM = "T0TEST";
const GENERAL = "C0GENERAL";
const section = (text: string) => ({ type: "section", text: { type: "mrkdwn", text } });
// Pacing spaces the starts of calls; their arrival at the fake also varies by a request's latency.
const SLOT_MS = 1000 - 100;

let fake: FakeSlack;
let redisA: Redis;
let redisB: Redis;
let prefix: string;
let logged: { level: string; msg: string; fields?: Record<string, unknown> }[];

const log: Logger = {
  debug: (msg, fields) => logged.push({ level: "debug", msg, fields }),
  info: (msg, fields) => logged.push({ level: "info", msg, fields }),
  warn: (msg, fields) => logged.push({ level: "warn", msg, fields }),
  error: (msg, fields) => logged.push({ level: "error", msg, fields }),
};

function slack(options: Partial<SlackGatewayOptions> = {}): WorkspaceSlack {
  return new SlackGateway({
    apiUrl: fake.apiUrl,
    timeoutMs: 2000,
    redis: redisA,
    keyPrefix: prefix,
    log,
    ...options,
  }).forToken(TOKEN, TEAM);
}

const postCalls = (channel: string) =>
  fake.callsTo("chat.postMessage").filter((c) => c.args.channel === channel);

beforeAll(async () => {
  fake = await startFakeSlack({ tokens: [TOKEN] });
  for (const id of [GENERAL, "C0SECOND", "C0THIRD"]) fake.addChannel({ id, name: id.toLowerCase() });
  fake.addChannel({ id: "C0OUTSIDE", name: "outside", member: false });
  fake.addUser({ id: "U0ALICE", name: "Alice Example", email: "alice@example.com", is_admin: true });
  redisA = new Redis(testRedisUrl);
  redisB = new Redis(testRedisUrl);
  // The process's first request (connection, fetch's lazy start) is slower than any later one.
  await fetch(`${fake.apiUrl}auth.test`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
});
beforeEach(() => {
  prefix = uniquePrefix();
  logged = [];
  fake.reset();
});
afterEach(() => deleteKeys(prefix));
afterAll(async () => {
  await Promise.all([redisA?.quit(), redisB?.quit()]);
  await fake?.close();
});

describe("SlackGateway", () => {
  it("posts blocks, replies in the thread and shares a file there, a second apart", async () => {
    const s = slack();
    const parent = await s.postMessage({ channel: GENERAL, text: "Acme fell", blocks: [section("*Acme*")] });
    const reply = await s.postMessage({ channel: GENERAL, text: "Why: usage", thread_ts: parent.ts });
    await s.uploadFile({
      channel: GENERAL,
      threadTs: parent.ts,
      filename: "acme.csv",
      title: "Acme scores",
      bytes: Buffer.from("day,score\n1,40\n"),
      initialComment: "The history",
    });

    expect(parent.channel).toBe(GENERAL);
    expect(fake.messages(GENERAL)).toMatchObject([
      { ts: parent.ts, text: "Acme fell", blocks: [section("*Acme*")] },
      { ts: reply.ts, thread_ts: parent.ts, text: "Why: usage" },
    ]);
    expect(fake.files).toMatchObject([
      { filename: "acme.csv", title: "Acme scores", channel_id: GENERAL, thread_ts: parent.ts, bytes: 15 },
    ]);
    const [first, second] = postCalls(GENERAL).map((c) => c.at);
    const [upload] = fake.callsTo("files.getUploadURLExternal").map((c) => c.at);
    expect(second! - first!).toBeGreaterThanOrEqual(SLOT_MS);
    expect(upload! - second!).toBeGreaterThanOrEqual(SLOT_MS);
  });

  it("updates, links, posts ephemerals, publishes Home and reads users without waiting", async () => {
    const s = slack();
    const { ts } = await s.postMessage({ channel: GENERAL, text: "Acme fell" });
    const started = Date.now();
    await s.updateMessage({ channel: GENERAL, ts, text: "Acme fell to 40" });
    expect(await s.permalink(GENERAL, ts)).toBe(
      `https://fake.slack.com/archives/${GENERAL}/p${ts.replace(".", "")}`,
    );
    await s.postEphemeral({ channel: GENERAL, user: "U0ALICE", text: "Only you" });
    await s.publishHome("U0ALICE", { type: "home", blocks: [section("Your accounts")] });
    expect(await s.userInfo("U0ALICE")).toEqual({
      id: "U0ALICE",
      isAdmin: true,
      isOwner: false,
      deleted: false,
      tz: "Etc/UTC",
      email: "alice@example.com",
      name: "Alice Example",
    });
    expect(await s.authTest()).toEqual({ teamId: TEAM, botUserId: "UBOT" });
    expect(Date.now() - started).toBeLessThan(500);

    expect(fake.messages(GENERAL)).toMatchObject([{ ts, text: "Acme fell to 40", updated: 1 }]);
    expect(fake.ephemerals(GENERAL)).toMatchObject([{ user: "U0ALICE", text: "Only you" }]);
    expect(fake.views).toMatchObject([{ method: "views.publish", user_id: "U0ALICE" }]);
  });

  it("opens the DM, then posts there", async () => {
    const sent = await slack().sendDm("U0ALICE", { text: "Your digest", blocks: [section("3 accounts")] });

    expect(fake.calls.map((c) => c.method)).toEqual(["conversations.open", "chat.postMessage"]);
    expect(fake.callsTo("conversations.open")[0]?.args).toMatchObject({ users: "U0ALICE" });
    expect(sent).toEqual({ channel: "D0ALICE", ts: expect.any(String) as string });
    expect(fake.messages("D0ALICE")).toMatchObject([{ ts: sent.ts, text: "Your digest" }]);
  });

  it("finds a user by email, null for an email nobody has", async () => {
    const s = slack();
    expect(await s.lookupByEmail("alice@example.com")).toBe("U0ALICE");
    expect(await s.lookupByEmail("nobody@example.com")).toBeNull();
    expect(logged).toEqual([]); // an unknown email is an answer, not a refusal to report
  });

  it("describes a channel with the bot's membership, null for a channel Slack does not show it", async () => {
    const s = slack();
    expect(await s.channelInfo(GENERAL)).toEqual({
      id: GENERAL,
      name: "c0general",
      isMember: true,
      isArchived: false,
      isPrivate: false,
    });
    expect(await s.channelInfo("C0OUTSIDE")).toMatchObject({ name: "outside", isMember: false });
    expect(await s.channelInfo("C0MISSING")).toBeNull();
    expect(logged).toEqual([]);
    expect(fake.callsTo("conversations.info").map((c) => c.args.channel)).toEqual([
      GENERAL,
      "C0OUTSIDE",
      "C0MISSING",
    ]);
  });

  it("calls without pacing when it has no Redis (one-off commands)", async () => {
    const s = slack({ redis: null });
    await s.postMessage({ channel: GENERAL, text: "one" });
    await s.postMessage({ channel: GENERAL, text: "two" });
    const [first, second] = postCalls(GENERAL);
    expect(second!.at - first!.at).toBeLessThan(SLOT_MS);
    expect(await redisA.keys(`${prefix}:*`)).toEqual([]);
  });
  it("surfaces a 429 as a rate limit with its Retry-After, without retrying", async () => {
    fake.failNext("chat.postMessage", { status: 429, retryAfter: 1 });

    const error = await slack()
      .postMessage({ channel: GENERAL, text: "Acme fell" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SlackRateLimitedError);
    expect(error).toMatchObject({ method: "chat.postMessage", retryAfterMs: 1000 });
    expect(fake.callsTo("chat.postMessage")).toHaveLength(1);
  });

  it("surfaces a 500 and a timeout as transient", async () => {
    fake.failNext("chat.postMessage", { status: 500 });
    await expect(slack().postMessage({ channel: GENERAL, text: "Acme fell" })).rejects.toThrow(
      SlackTransientError,
    );

    fake.setLatency(600);
    const error = await slack({ timeoutMs: 200 })
      .userInfo("U0ALICE")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SlackTransientError);
    expect(error).toMatchObject({ method: "users.info" });
  });

  it("surfaces refusals as permanent, logged once with no token or message text", async () => {
    const s = slack();
    for (const [channel, slackError] of [
      ["C0MISSING", "channel_not_found"],
      ["C0OUTSIDE", "not_in_channel"],
    ] as const) {
      const error = await s.postMessage({ channel, text: "Secret renewal news" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SlackPermanentError);
      expect(error).toMatchObject({ method: "chat.postMessage", slackError, channel });
    }

    expect(logged).toEqual([
      {
        level: "warn",
        msg: "slack refused a call",
        fields: {
          teamId: TEAM,
          method: "chat.postMessage",
          slackError: "channel_not_found",
          channel: "C0MISSING",
        },
      },
      {
        level: "warn",
        msg: "slack refused a call",
        fields: {
          teamId: TEAM,
          method: "chat.postMessage",
          slackError: "not_in_channel",
          channel: "C0OUTSIDE",
        },
      },
    ]);
    expect(JSON.stringify(logged)).not.toMatch(/xoxb|Secret/);
  });

  it("paces posts to one channel a second apart across processes, other channels at once", async () => {
    const [a, b] = [slack({ redis: redisA }), slack({ redis: redisB })];
    const started = Date.now();
    await Promise.all([
      a.postMessage({ channel: GENERAL, text: "1" }),
      b.postMessage({ channel: GENERAL, text: "2" }),
      a.postMessage({ channel: GENERAL, text: "3" }),
      b.postMessage({ channel: "C0SECOND", text: "other" }),
      a.postMessage({ channel: "C0THIRD", text: "another" }),
    ]);

    const times = postCalls(GENERAL).map((c) => c.at);
    expect(times).toHaveLength(3);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(SLOT_MS);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(SLOT_MS);
    for (const channel of ["C0SECOND", "C0THIRD"]) {
      expect(postCalls(channel)[0]!.at - started).toBeLessThan(500);
    }
  });

  it("refuses a wait longer than maxWaitMs without reserving a slot", async () => {
    const s = slack({ maxWaitMs: 300 });
    const key = `${prefix}:${TEAM}:ch:${GENERAL}`;
    await s.postMessage({ channel: GENERAL, text: "1" });
    const reserved = await redisA.get(key);

    const error = await s.postMessage({ channel: GENERAL, text: "2" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SlackRateLimitedError);
    const { retryAfterMs } = error as SlackRateLimitedError;
    expect(retryAfterMs).toBeGreaterThan(300);
    expect(retryAfterMs).toBeLessThanOrEqual(1000);
    expect(await redisA.get(key)).toBe(reserved);
    expect(postCalls(GENERAL)).toHaveLength(1);
  });
});

describe("SlackPacer", () => {
  it("gives concurrent callers on two connections distinct slots", async () => {
    const pacers = [new SlackPacer(redisA, prefix), new SlackPacer(redisB, prefix)];
    const started = Date.now();
    const done = await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        await pacers[i % 2]!.acquire("k", 100, "test.method", 1000);
        return Date.now() - started;
      }),
    );

    const sorted = done.sort((x, y) => x - y);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBeGreaterThanOrEqual(90);
    expect(sorted[3]).toBeLessThan(600);
  });
});
