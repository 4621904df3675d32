// Slack's Socket Mode, faked on the fake Web API's own server (slack-api.ts), as
// docs.slack.dev/apis/events-api/using-socket-mode describes it: apps.connections.open with an
// app-level token (xapp-) answers a single-use WebSocket URL; on connecting, the app gets a `hello`;
// then Slack sends envelopes (`slash_commands`, `interactive`, `events_api`) each with an
// `envelope_id`, and the app acks each with `{envelope_id, payload?}` on the same socket. Slack asks
// the app to reconnect with `{"type":"disconnect","reason":"refresh_requested"}` and expects it to
// open a new connection by itself. The WebSocket server is `ws`, the maintained Node.js one.
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { waitFor } from "./wait-for.ts";

type Rec = Record<string, unknown>;

export type EnvelopeType = "slash_commands" | "interactive" | "events_api";

/** What the app sent back on a socket: an ack of an envelope, with its response payload if any. */
export interface SocketAck {
  envelope_id: string;
  payload?: Rec;
  /** Which connection carried it (1 for the first accepted). */
  connection: number;
}

export const FAKE_APP_ID = "A0FAKEAPP";

export class FakeSocketMode {
  /** Acks received, in order. */
  readonly acks: SocketAck[] = [];
  /** Messages from the app that are not acks (not JSON, or without envelope_id). */
  readonly strays: string[] = [];
  private readonly server = new WebSocketServer({ noServer: true });
  /** Open connections by number; a closed one is removed. */
  private readonly open = new Map<number, WebSocket>();
  private readonly tickets = new Set<string>();
  private accepted = 0;
  private closedByApp = 0;
  private seq = 0;
  private closing = false;

  constructor(private readonly appTokens: readonly string[]) {}

  /** Connections accepted so far (each after an apps.connections.open). */
  get connections(): number {
    return this.accepted;
  }
  /** Connections the app closed itself (as it must after a `disconnect`). */
  get closedByTheApp(): number {
    return this.closedByApp;
  }

  /**
   * apps.connections.open (docs.slack.dev/reference/methods/apps.connections.open): an app-level
   * token gets a URL good for one connection; a bot token is the wrong type; others are unknown.
   */
  connectionsOpen(token: string | undefined, isBotToken: boolean, origin: string): Rec {
    if (!token) return { ok: false, error: "not_authed" };
    if (isBotToken) return { ok: false, error: "not_allowed_token_type" };
    if (!this.appTokens.includes(token)) return { ok: false, error: "invalid_auth" };
    const ticket = randomUUID();
    this.tickets.add(ticket);
    const ws = origin.replace(/^http/, "ws");
    return { ok: true, url: `${ws}/link/?ticket=${ticket}&app_id=${FAKE_APP_ID}` };
  }

  /** The HTTP server's `upgrade`: a valid ticket becomes a connection, anything else is refused. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? "/", "http://fake");
    const ticket = url.searchParams.get("ticket") ?? "";
    if (url.pathname !== "/link/" || !this.tickets.delete(ticket)) {
      socket.end("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    this.server.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  /**
   * Sends an envelope on the newest open connection, as Slack sends each to one of them; returns its
   * envelope_id. Slash commands (and view submissions) accept a response payload in the ack.
   */
  send(type: EnvelopeType, payload: Rec, acceptsResponsePayload = type === "slash_commands"): string {
    const newest = [...this.open.values()].at(-1);
    if (!newest) throw new Error("fake Socket Mode: no open connection to send an envelope on");
    const envelope_id = `${randomUUID()}-${++this.seq}`;
    const retry = type === "events_api" ? { retry_attempt: 0, retry_reason: "" } : {};
    newest.send(
      JSON.stringify({
        envelope_id,
        type,
        payload,
        accepts_response_payload: acceptsResponsePayload,
        ...retry,
      }),
    );
    return envelope_id;
  }

  /** The ack of an envelope, once it has come. */
  waitForAck(envelopeId: string, timeoutMs = 10_000): Promise<SocketAck> {
    const found = () => Promise.resolve(this.acks.find((a) => a.envelope_id === envelopeId));
    return waitFor(found, timeoutMs, `the ack of envelope ${envelopeId}`);
  }

  /** Waits until `count` connections have been accepted (and greeted). */
  async waitForConnections(count: number, timeoutMs = 20_000): Promise<void> {
    const enough = () => Promise.resolve(this.accepted >= count && this.open.size > 0 ? true : undefined);
    await waitFor(enough, timeoutMs, `${count} Socket Mode connection(s)`);
  }

  /** Asks every open connection to reconnect, as Slack does before recycling its host. */
  disconnect(reason: "refresh_requested" | "warning" | "link_disabled" = "refresh_requested"): void {
    const message = JSON.stringify({ type: "disconnect", reason, debug_info: { host: "fake-applink-1" } });
    for (const ws of this.open.values()) ws.send(message);
  }

  /** Closes every connection (Slack going away) and the server. */
  async close(): Promise<void> {
    this.closing = true;
    for (const ws of this.open.values()) ws.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(ws: WebSocket): void {
    const number = ++this.accepted;
    this.open.set(number, ws);
    ws.on("message", (data, isBinary) => {
      const text = isBinary ? "" : Buffer.from(data as Buffer).toString("utf8");
      const ack = parseAck(text);
      if (ack) this.acks.push({ ...ack, connection: number });
      else this.strays.push(text);
    });
    // The fake never closes a connection first, except in close(): any other close is the app's.
    ws.on("close", () => {
      if (this.open.delete(number) && !this.closing) this.closedByApp++;
    });
    ws.on("error", () => undefined);
    ws.send(
      JSON.stringify({
        type: "hello",
        num_connections: this.open.size,
        debug_info: { host: "fake-applink-1", build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: FAKE_APP_ID },
      }),
    );
  }
}

function parseAck(text: string): Omit<SocketAck, "connection"> | null {
  try {
    const body = JSON.parse(text) as Rec;
    if (typeof body.envelope_id !== "string") return null;
    const payload = body.payload;
    return typeof payload === "object" && payload !== null
      ? { envelope_id: body.envelope_id, payload: payload as Rec }
      : { envelope_id: body.envelope_id };
  } catch {
    return null;
  }
}
