// The fake Slack Web API, driven through the real @slack/web-api client the way the bot drives Slack.
import { ErrorCode, LogLevel, WebClient, type Logger } from "@slack/web-api";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BOT_SCOPES } from "../../src/slack/app.ts";
import { startFakeSlack, type FakeSlack } from "../../src/sandbox/slack-api.ts";

const nothing = (): void => undefined;
// The client logs Slack's "[ERROR] ..." validation messages; the assertions read them instead.
const quiet: Logger = {
  debug: nothing,
  info: nothing,
  warn: nothing,
  error: nothing,
  setLevel: nothing,
  getLevel: () => LogLevel.ERROR,
  setName: nothing,
};

const CHANNEL = "C0GENERAL";
const section = (text: string) => ({ type: "section" as const, text: { type: "mrkdwn" as const, text } });
const refusal = (error: string, more: Record<string, unknown> = {}) => ({
  code: ErrorCode.PlatformError,
  data: { ok: false, error, ...more },
});

let fake: FakeSlack;
let client: WebClient;

function clientFor(token: string | undefined, options: { timeout?: number } = {}): WebClient {
  return new WebClient(token, {
    slackApiUrl: fake.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logger: quiet,
    ...options,
  });
}

beforeAll(async () => {
  fake = await startFakeSlack();
  client = clientFor("xoxb-test");
  fake.addChannel({ id: CHANNEL, name: "general" });
  fake.addChannel({ id: "C0OUTSIDE", name: "outside", member: false });
  fake.addChannel({ id: "C0OLD", name: "old", is_archived: true });
  for (const n of [1, 2, 3, 4, 5])
    fake.addUser({ id: `U0${n}`, name: `user${n}`, email: `u${n}@example.com` });
});
beforeEach(() => fake.reset());
afterAll(() => fake.close());

describe("fake Slack Web API", () => {
  it("posts a message, replies in its thread, updates it and links to it", async () => {
    const parent = await client.chat.postMessage({
      channel: CHANNEL,
      text: "Acme fell",
      blocks: [section("*Acme*")],
    });
    const parentTs = parent.ts ?? "";
    expect(parentTs).toMatch(/^\d{10}\.\d{6}$/);
    expect(parent.message).toMatchObject({ text: "Acme fell", user: "UBOT", blocks: [section("*Acme*")] });

    const reply = await client.chat.postMessage({
      channel: CHANNEL,
      thread_ts: parentTs,
      text: "Why: usage",
    });
    expect((reply.ts ?? "") > parentTs).toBe(true);
    const updated = await client.chat.update({ channel: CHANNEL, ts: parentTs, text: "Acme fell to 40" });
    expect(updated).toMatchObject({ ok: true, channel: CHANNEL, ts: parentTs, text: "Acme fell to 40" });
    const link = await client.chat.getPermalink({ channel: CHANNEL, message_ts: parentTs });
    expect(link.permalink).toBe(`https://fake.slack.com/archives/${CHANNEL}/p${parentTs.replace(".", "")}`);

    // chat.update without blocks keeps the message's blocks.
    expect(fake.messages(CHANNEL)).toMatchObject([
      { ts: parentTs, text: "Acme fell to 40", blocks: [section("*Acme*")], updated: 1, ephemeral: false },
      { ts: reply.ts, thread_ts: parentTs, text: "Why: usage", updated: 0 },
    ]);
    expect(fake.replies(CHANNEL, parentTs).map((m) => m.ts)).toEqual([reply.ts]);
    // The form body's JSON-encoded blocks are recorded parsed, with the token from the header.
    expect(fake.callsTo("chat.postMessage")[0]).toMatchObject({
      token: "xoxb-test",
      args: { channel: CHANNEL, blocks: [section("*Acme*")] },
    });

    await expect(
      client.chat.postMessage({ channel: CHANNEL, thread_ts: "1.000001", text: "lost" }),
    ).rejects.toMatchObject(refusal("thread_not_found"));
    await expect(client.chat.update({ channel: CHANNEL, ts: "1.000001", text: "x" })).rejects.toMatchObject(
      refusal("message_not_found"),
    );
  });

  it("refuses blocks over Block Kit's limits and still records the call", async () => {
    const dividers = Array.from({ length: 51 }, () => ({ type: "divider" as const }));
    await expect(
      client.chat.postMessage({ channel: CHANNEL, text: "x", blocks: dividers }),
    ).rejects.toMatchObject(
      refusal("invalid_blocks", { errors: ["no more than 50 items allowed [json-pointer:/blocks]"] }),
    );
    await expect(
      client.chat.postMessage({ channel: CHANNEL, text: "x", blocks: [section("a".repeat(3001))] }),
    ).rejects.toMatchObject(
      refusal("invalid_blocks", {
        errors: ["must be less than 3001 characters [json-pointer:/blocks/0/text/text]"],
      }),
    );
    await expect(client.chat.postMessage({ channel: CHANNEL, text: "" })).rejects.toMatchObject(
      refusal("no_text"),
    );
    // 50 blocks and 3000 characters are within the limits.
    await client.chat.postMessage({ channel: CHANNEL, text: "x", blocks: dividers.slice(1) });
    await client.chat.postMessage({ channel: CHANNEL, text: "x", blocks: [section("a".repeat(3000))] });

    expect(fake.callsTo("chat.postMessage")).toHaveLength(5);
    expect(fake.messages(CHANNEL)).toHaveLength(2);
    expect(fake.refusals.map((r) => r.error)).toEqual(["invalid_blocks", "invalid_blocks", "no_text"]);
  });

  it("refuses a block_id used twice, an unknown element type, and a button's text over 75 characters", async () => {
    const withId = (id: string) => ({ ...section("a"), block_id: id });
    const button = (text: string, type = "button") => ({
      type: "actions" as const,
      elements: [{ type, action_id: "a", text: { type: "plain_text", text } }],
    });
    const post = (blocks: unknown[]) =>
      client.chat.postMessage({ channel: CHANNEL, text: "x", blocks: blocks as never });
    await expect(post([withId("b1"), withId("b2"), withId("b1")])).rejects.toMatchObject(
      refusal("invalid_blocks", {
        errors: ["must be unique within the blocks [json-pointer:/blocks/2/block_id]"],
      }),
    );
    await expect(post([button("Go", "rocket")])).rejects.toMatchObject(
      refusal("invalid_blocks", {
        errors: ["unsupported element type [json-pointer:/blocks/0/elements/0/type]"],
      }),
    );
    await expect(post([button("x".repeat(76))])).rejects.toMatchObject(
      refusal("invalid_blocks", {
        errors: ["must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]"],
      }),
    );
    await post([withId("b1"), withId("b2"), button("x".repeat(75))]);
    expect(fake.refusals.at(-1)!.problems).toEqual([
      "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]",
    ]);
  });

  it("answers a rate limit with HTTP 429 and Retry-After, then works again", async () => {
    fake.failNext("chat.postMessage", { status: 429, retryAfter: 7 });
    await expect(client.chat.postMessage({ channel: CHANNEL, text: "hi" })).rejects.toMatchObject({
      code: ErrorCode.RateLimitedError,
      retryAfter: 7,
    });
    await expect(client.chat.postMessage({ channel: CHANNEL, text: "hi" })).resolves.toMatchObject({
      ok: true,
    });
    expect(fake.callsTo("chat.postMessage")).toHaveLength(2);
  });

  it("fails with an HTTP 500 and an {ok:false} error as told, then works", async () => {
    fake.failNext("chat.postMessage", { status: 500 });
    fake.failNext("users.info", { error: "fatal_error" }, 2);
    await expect(client.chat.postMessage({ channel: CHANNEL, text: "hi" })).rejects.toMatchObject({
      code: ErrorCode.HTTPError,
      statusCode: 500,
    });
    await expect(client.chat.postMessage({ channel: CHANNEL, text: "hi" })).resolves.toMatchObject({
      ok: true,
    });
    for (const _ of [1, 2]) {
      await expect(client.users.info({ user: "U01" })).rejects.toMatchObject(refusal("fatal_error"));
    }
    await expect(client.users.info({ user: "U01" })).resolves.toMatchObject({ user: { name: "user1" } });
  });

  it("knows the bot's token and refuses any other", async () => {
    await expect(client.auth.test()).resolves.toMatchObject({ team_id: "T0TEST", user_id: "UBOT" });
    await expect(clientFor("xoxb-wrong").auth.test()).rejects.toMatchObject(refusal("invalid_auth"));
    await expect(clientFor(undefined).auth.test()).rejects.toMatchObject(refusal("not_authed"));
  });

  it("posts only where the bot may: DMs, and channels it is in that are not archived", async () => {
    const post = (channel: string) => client.chat.postMessage({ channel, text: "hi" });
    await expect(post("C0NOWHERE")).rejects.toMatchObject(refusal("channel_not_found"));
    await expect(post("C0OUTSIDE")).rejects.toMatchObject(refusal("not_in_channel"));
    await expect(post("C0OLD")).rejects.toMatchObject(refusal("is_archived"));
    // A user id posts to the bot's DM with that user.
    await expect(post("U01")).resolves.toMatchObject({ channel: "D01" });
    const { channel } = await client.conversations.open({ users: "U02" });
    await expect(post(channel?.id ?? "")).resolves.toMatchObject({ channel: "D02" });
    expect(fake.messages("U01")).toHaveLength(1);
    await expect(client.conversations.info({ channel: "C0OUTSIDE" })).resolves.toMatchObject({
      channel: { name: "outside", is_member: false },
    });
  });

  it("keeps ephemeral messages apart", async () => {
    await client.chat.postEphemeral({ channel: CHANNEL, user: "U01", text: "only you" });
    expect(fake.ephemerals(CHANNEL)).toMatchObject([{ user: "U01", text: "only you", ephemeral: true }]);
    expect(fake.messages(CHANNEL)).toEqual([]);
  });

  it("uploads a file through files.uploadV2", async () => {
    const parentTs = (await client.chat.postMessage({ channel: CHANNEL, text: "Report" })).ts ?? "";
    await client.files.uploadV2({
      channel_id: CHANNEL,
      thread_ts: parentTs,
      filename: "scores.csv",
      title: "Scores",
      content: "account,score\nacme,40\n",
    });
    expect(fake.files).toHaveLength(1);
    expect(fake.files[0]).toMatchObject({
      filename: "scores.csv",
      title: "Scores",
      channel_id: CHANNEL,
      thread_ts: parentTs,
      bytes: 22,
    });
    expect(fake.files[0]?.id).toMatch(/^F/);
    expect(fake.calls.map((c) => c.method)).toEqual([
      "chat.postMessage",
      "files.getUploadURLExternal",
      "files.completeUploadExternal",
    ]);
  });

  it("opens modals only with a trigger_id and checks the view", async () => {
    const view = {
      type: "modal" as const,
      title: { type: "plain_text" as const, text: "Follow up" },
      blocks: [],
    };
    await expect(client.apiCall("views.open", { view })).rejects.toMatchObject(
      refusal("invalid_arguments", {
        response_metadata: { messages: ["[ERROR] missing required field: trigger_id"] },
      }),
    );
    const longTitle = { ...view, title: { type: "plain_text" as const, text: "t".repeat(25) } };
    await expect(client.views.open({ trigger_id: "tr-1", view: longTitle })).rejects.toMatchObject(
      refusal("invalid_arguments"),
    );
    const opened = await client.views.open({ trigger_id: "tr-1", view });
    const viewId = opened.view?.id ?? "";
    expect(fake.views).toEqual([{ method: "views.open", trigger_id: "tr-1", view_id: viewId, view }]);
    await client.views.update({ view_id: viewId, view: { ...view, blocks: [section("done")] } });
    expect(fake.views.map((v) => [v.method, v.view_id])).toEqual([
      ["views.open", viewId],
      ["views.update", viewId],
    ]);
  });

  it("pages users.list by cursor and finds users by email", async () => {
    const pages: string[][] = [];
    for await (const page of client.paginate("users.list", { limit: 2 })) {
      const { members = [] } = page as { members?: { id: string }[] };
      pages.push(members.map((u) => u.id));
    }
    expect(pages).toEqual([["U01", "U02"], ["U03", "U04"], ["U05"]]);
    await expect(client.users.lookupByEmail({ email: "u3@example.com" })).resolves.toMatchObject({
      user: { id: "U03" },
    });
    await expect(client.users.lookupByEmail({ email: "nobody@example.com" })).rejects.toMatchObject(
      refusal("users_not_found"),
    );
  });

  it("records what is posted to a response_url", async () => {
    const url = fake.responseUrl("cmd-1");
    const post = (body: unknown) =>
      fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const answer = await post({ response_type: "ephemeral", text: "Recomputing Acme" });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ ok: true });
    const tooMany = await post({
      text: "x",
      blocks: Array.from({ length: 51 }, () => ({ type: "divider" })),
    });
    expect(tooMany.status).toBe(400);
    expect(fake.responses).toMatchObject([
      { id: "cmd-1", body: { response_type: "ephemeral", text: "Recomputing Acme" } },
      { id: "cmd-1" },
    ]);
  });

  it("takes JSON bodies and a token form field, and refuses unknown methods", async () => {
    const json = await fetch(`${fake.apiUrl}chat.postMessage`, {
      method: "POST",
      headers: { authorization: "Bearer xoxb-test", "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify({ channel: CHANNEL, text: "json", blocks: [section("json")] }),
    });
    expect(await json.json()).toMatchObject({ ok: true, message: { blocks: [section("json")] } });
    const form = await fetch(`${fake.apiUrl}chat.postMessage`, {
      method: "POST",
      body: new URLSearchParams({ token: "xoxb-test", channel: CHANNEL, text: "form" }),
    });
    expect(await form.json()).toMatchObject({ ok: true });
    await expect(client.apiCall("chat.nothing")).rejects.toMatchObject(refusal("unknown_method"));
  });

  it("installs through oauth.v2.access, whose token then works", async () => {
    const anonymous = clientFor(undefined);
    const install = await anonymous.oauth.v2.access({
      client_id: "id",
      client_secret: "secret",
      code: "good-code",
    });
    expect(install).toMatchObject({ token_type: "bot", enterprise: null, is_enterprise_install: false });
    const team = await clientFor(install.access_token).auth.test();
    expect(team).toMatchObject({ team_id: install.team?.id, user_id: install.bot_user_id });
    await expect(
      anonymous.oauth.v2.access({ client_id: "id", client_secret: "secret", code: "bad" }),
    ).rejects.toMatchObject(refusal("invalid_code"));
  });

  it("answers late when told, so client timeouts can be tested", async () => {
    fake.setLatency(300);
    await expect(clientFor("xoxb-test", { timeout: 50 }).auth.test()).rejects.toMatchObject({
      code: ErrorCode.RequestError,
    });
  });
});

describe("fake Slack: reading messages back, and answers lost after the fact", () => {
  const meta = (id: string) => ({ event_type: "css_case", event_payload: { case_id: id } });
  const post = async (id: string, extra: Record<string, unknown> = {}) =>
    (await client.chat.postMessage({ channel: CHANNEL, text: `case ${id}`, metadata: meta(id), ...extra }))
      .ts ?? "";

  it("lists a channel's top-level messages newest first, with metadata when asked, by time and page", async () => {
    const [a, b, c] = [await post("1"), await post("2"), await post("3")];
    await client.chat.postMessage({ channel: CHANNEL, text: "a reply", thread_ts: a });

    const all = await client.conversations.history({ channel: CHANNEL, include_all_metadata: true });
    expect(all.messages?.map((m) => m.ts)).toEqual([c, b, a]);
    expect(all.messages?.[0]).toMatchObject({ text: "case 3", metadata: meta("3") });
    expect(all).toMatchObject({ has_more: false, response_metadata: { next_cursor: "" } });
    const plain = await client.conversations.history({ channel: CHANNEL });
    expect(plain.messages?.[0]?.metadata).toBeUndefined();

    // oldest and latest are exclusive unless inclusive is set.
    const after = await client.conversations.history({ channel: CHANNEL, oldest: a, latest: c });
    expect(after.messages?.map((m) => m.ts)).toEqual([b]);
    const within = await client.conversations.history({
      channel: CHANNEL,
      oldest: a,
      latest: c,
      inclusive: true,
    });
    expect(within.messages?.map((m) => m.ts)).toEqual([c, b, a]);

    const first = await client.conversations.history({ channel: CHANNEL, limit: 2 });
    expect(first.messages?.map((m) => m.ts)).toEqual([c, b]);
    expect(first.has_more).toBe(true);
    const cursor = first.response_metadata?.next_cursor ?? "";
    const second = await client.conversations.history({ channel: CHANNEL, limit: 2, cursor });
    expect(second.messages?.map((m) => m.ts)).toEqual([a]);
    await expect(
      client.conversations.history({ channel: CHANNEL, cursor: "bm9wZQ==" }),
    ).rejects.toMatchObject(refusal("invalid_cursor"));
  });

  it("lists a thread: its parent, then its replies oldest first", async () => {
    const parent = await post("7");
    const first = await post("7-1", { thread_ts: parent });
    const second = await post("7-2", { thread_ts: parent });
    const thread = await client.conversations.replies({
      channel: CHANNEL,
      ts: parent,
      include_all_metadata: true,
    });
    expect(thread.messages?.map((m) => m.ts)).toEqual([parent, first, second]);
    expect(thread.messages?.[2]).toMatchObject({ thread_ts: parent, metadata: meta("7-2") });
    const later = await client.conversations.replies({ channel: CHANNEL, ts: parent, oldest: first });
    expect(later.messages?.map((m) => m.ts)).toEqual([parent, second]);
    await expect(client.conversations.replies({ channel: CHANNEL, ts: "1.000001" })).rejects.toMatchObject(
      refusal("thread_not_found"),
    );
  });

  it("needs channels:history (public) or groups:history (private), and valid metadata", async () => {
    fake.addChannel({ id: "G0PRIVATE", name: "private", is_private: true });
    fake.setScopes("xoxb-test", ["chat:write", "channels:history"]);
    try {
      await expect(client.conversations.history({ channel: "G0PRIVATE" })).rejects.toMatchObject(
        refusal("missing_scope", { needed: "groups:history" }),
      );
      expect((await client.conversations.history({ channel: CHANNEL })).ok).toBe(true);
    } finally {
      fake.setScopes("xoxb-test", [...BOT_SCOPES]);
    }
    await expect(
      client.apiCall("chat.postMessage", { channel: CHANNEL, text: "x", metadata: { event_type: "x" } }),
    ).rejects.toMatchObject(refusal("invalid_metadata_schema"));
  });

  it("stores a post and answers after the client gave up (slow after commit), or drops it (dropAfterMs)", async () => {
    fake.setSlowAfterCommit(300);
    const impatient = clientFor("xoxb-test", { timeout: 50 });
    await expect(impatient.chat.postMessage({ channel: CHANNEL, text: "late" })).rejects.toMatchObject({
      code: ErrorCode.RequestError,
    });
    expect(fake.messages(CHANNEL).map((m) => m.text)).toEqual(["late"]);
    fake.setSlowAfterCommit(0);

    fake.failNext("chat.postMessage", { dropAfterMs: 300 });
    await expect(impatient.chat.postMessage({ channel: CHANNEL, text: "lost" })).rejects.toMatchObject({
      code: ErrorCode.RequestError,
    });
    expect(fake.messages(CHANNEL).map((m) => m.text)).toEqual(["late"]);
  });
});
