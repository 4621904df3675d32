// The fake's Socket Mode, driven by a bare WebSocket client: the URL only an app-level token gets,
// single-use; hello first; envelopes as Slack frames them; acks and other messages recorded; the
// disconnect request, after which the client closes.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { waitFor } from "../support/queues.ts";
import { startFakeSlack, type FakeSlack } from "../../src/sandbox/slack-api.ts";
import { FAKE_APP_ID } from "../../src/sandbox/slack-socket-mode.ts";

const APP_TOKEN = "xapp-1-test";

describe("fake Slack: Socket Mode", () => {
  let fake: FakeSlack;
  const clients: WebSocket[] = [];

  beforeEach(async () => {
    fake = await startFakeSlack({ tokens: ["xoxb-test"], appTokens: [APP_TOKEN] });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.terminate();
    await fake.close();
  });

  const open = async (token: string) => {
    const res = await fetch(`${fake.apiUrl}apps.connections.open`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    return (await res.json()) as { ok: boolean; url?: string; error?: string };
  };
  /** Connects and resolves with the client and the messages it receives (the first one awaited). */
  const connect = async (url: string) => {
    const ws = new WebSocket(url);
    clients.push(ws);
    const received: Record<string, unknown>[] = [];
    const first = new Promise<void>((resolve, reject) => {
      ws.on("message", (data: Buffer) => {
        received.push(JSON.parse(data.toString("utf8")) as Record<string, unknown>);
        resolve();
      });
      ws.on("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.on("error", reject);
    });
    await first;
    return { ws, received };
  };
  const until = (check: () => boolean) =>
    waitFor(() => Promise.resolve(check() ? true : undefined), 5000, check.toString());

  it("gives a single-use WebSocket URL for an app-level token only", async () => {
    expect(await open("xoxb-test")).toEqual({ ok: false, error: "not_allowed_token_type" });
    expect(await open("xapp-unknown")).toEqual({ ok: false, error: "invalid_auth" });
    const answer = await open(APP_TOKEN);
    expect(answer.ok).toBe(true);
    expect(answer.url).toMatch(
      new RegExp(`^ws://127\\.0\\.0\\.1:\\d+/link/\\?ticket=[0-9a-f-]+&app_id=${FAKE_APP_ID}$`),
    );
    const { received } = await connect(answer.url!);
    expect(received[0]).toMatchObject({ type: "hello", connection_info: { app_id: FAKE_APP_ID } });
    await expect(connect(answer.url!)).rejects.toThrow("HTTP 401");
    expect(fake.socketMode.connections).toBe(1);
  });

  it("frames envelopes as Slack does and records the acks", async () => {
    const { ws, received } = await connect((await open(APP_TOKEN)).url!);
    const id = fake.socketMode.send("slash_commands", { command: "/css", text: "acme" });
    await until(() => received.length === 2);
    expect(received[1]).toEqual({
      envelope_id: id,
      type: "slash_commands",
      payload: { command: "/css", text: "acme" },
      accepts_response_payload: true,
    });
    const event = fake.socketMode.send("events_api", { type: "event_callback" });
    await until(() => received.length === 3);
    expect(received[2]).toMatchObject({ accepts_response_payload: false, retry_attempt: 0 });

    ws.send(JSON.stringify({ envelope_id: id, payload: { text: "card" } }));
    ws.send(JSON.stringify({ envelope_id: event }));
    ws.send("not json");
    expect(await fake.socketMode.waitForAck(id)).toEqual({
      envelope_id: id,
      payload: { text: "card" },
      connection: 1,
    });
    expect(await fake.socketMode.waitForAck(event)).toEqual({ envelope_id: event, connection: 1 });
    await until(() => fake.socketMode.strays.length === 1);
    expect(fake.socketMode.strays).toEqual(["not json"]);
  });

  it("asks open connections to reconnect, and counts the ones the client closes", async () => {
    const { ws, received } = await connect((await open(APP_TOKEN)).url!);
    fake.socketMode.disconnect("refresh_requested");
    await until(() => received.length === 2);
    expect(received[1]).toMatchObject({ type: "disconnect", reason: "refresh_requested" });
    ws.close(1000);
    await until(() => fake.socketMode.closedByTheApp === 1);
    expect(fake.socketMode.closedByTheApp).toBe(1);
    expect(() => fake.socketMode.send("interactive", {})).toThrow("no open connection");
  });
});
