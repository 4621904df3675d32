// What the Stripe, HubSpot and Zendesk fakes share: a node:http server on 127.0.0.1, a settable
// clock, a log of requests, a queue of injected failures and the order in which they are applied
// (injected failure, then authentication, then the route). Each vendor supplies its own bodies.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Rec = Record<string, unknown>;

/** What a test can make the next matching request(s) do. */
export type VendorFailure =
  | { status: 429; retryAfter?: number }
  | { status: 500 | 502 | 503 }
  /** The credentials are answered as expired (without being revoked). */
  | { status: 401 }
  /** The request succeeds, but one record of the page is missing fields or has wrongly typed ones. */
  | { malformed: true };
export type HttpFailure = Exclude<VendorFailure, { malformed: true }>;

/** A path ("/v1/customers"; "/api/v2/organizations" also matches its ".json"), a pattern, or a predicate. */
export type RequestMatcher = string | RegExp | ((request: { method: string; path: string }) => boolean);

export interface LoggedRequest {
  method: string;
  path: string;
  /** Query parameters; a repeated one (types[]=a&types[]=b) is an array. */
  query: Record<string, string | string[]>;
  /** Which Authorization scheme was sent, if any. */
  auth: "bearer" | "basic" | "other" | "none";
  /** The parsed JSON body, if any. */
  body: unknown;
  /** The status the fake answered with. */
  status: number;
  /** The fake clock's time (ms) when the request arrived. */
  at: number;
}

export interface VendorRequest {
  method: string;
  path: string;
  url: URL;
  query: URLSearchParams;
  authorization: string;
  /** Request headers by lower-case name (a repeated one joined with ", "). */
  headers: Record<string, string>;
  body: unknown;
}
export interface Reply {
  status: number;
  /** A string is sent as text/plain, anything else as JSON. */
  body: unknown;
  headers?: Record<string, string>;
}

/** A vendor's refusal, thrown from deep in a route and answered as is. */
export class Refusal extends Error {
  constructor(readonly reply: Reply) {
    super(`refused with ${reply.status}`);
  }
}

/** "Now" for every timestamp a fake writes or filters by. Starts at a fixed instant, so runs repeat. */
export class FakeClock {
  private ms: number;
  constructor(start: Date | number | string = "2025-01-15T12:00:00Z") {
    this.ms = new Date(start).getTime();
  }
  now(): number {
    return this.ms;
  }
  /** Unix seconds, as Stripe and Zendesk count. */
  seconds(): number {
    return Math.floor(this.ms / 1000);
  }
  set(to: Date | number | string): void {
    this.ms = new Date(to).getTime();
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export const isRec = (v: unknown): v is Rec => typeof v === "object" && v !== null && !Array.isArray(v);
export const clone = <T>(v: T): T => structuredClone(v);
/** ISO 8601 in whole seconds, as Zendesk writes it: 2025-01-15T12:00:00Z. */
export const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
/** Counter-based UUID-shaped ids (HubSpot's correlationId), deterministic per fake. */
export const uuidOf = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
export const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64url");
export const unb64 = (s: string): string => Buffer.from(s, "base64url").toString("utf8");

export function queryRecord(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of params) {
    const seen = out[key];
    out[key] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return out;
}

/** Credentials from an Authorization header: a Bearer token, or Basic user and password. */
export function credentialsOf(header: string): { bearer?: string; user?: string; password?: string } {
  const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1];
  if (bearer) return { bearer: bearer.trim() };
  const basic = /^Basic\s+(.+)$/i.exec(header)?.[1];
  if (!basic) return {};
  const decoded = Buffer.from(basic.trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0
    ? { user: decoded }
    : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** An integer query parameter within [min, max], the fallback when absent, NaN when invalid. */
export function intParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number) {
  const raw = query.get(name);
  if (raw === null || raw === "") return fallback;
  const n = Number(raw);
  return Number.isInteger(n) && n >= min && n <= max ? n : Number.NaN;
}

function authSchemeOf(header: string): LoggedRequest["auth"] {
  if (!header) return "none";
  if (/^Bearer\s/i.test(header)) return "bearer";
  return /^Basic\s/i.test(header) ? "basic" : "other";
}

function matches(matcher: RequestMatcher, request: { method: string; path: string }): boolean {
  // A string matches the path exactly, or with Zendesk's optional ".json" suffix.
  if (typeof matcher === "string") return request.path === matcher || request.path === `${matcher}.json`;
  if (matcher instanceof RegExp) return matcher.test(request.path);
  return matcher(request);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, { status, body, headers = {} }: Reply): void {
  if (res.destroyed || res.writableEnded) return;
  const text = typeof body === "string";
  const type = text ? "text/plain; charset=utf-8" : "application/json; charset=utf-8";
  res.writeHead(status, { "content-type": type, ...headers });
  res.end(text ? body : JSON.stringify(body));
}

/** A vendor fake: the server, the log and the failure queue; subclasses give the vendor's answers. */
export abstract class VendorFake {
  /** http://127.0.0.1:PORT, no trailing slash; the vendor's paths go after it. */
  baseUrl = "";
  readonly requests: LoggedRequest[] = [];
  readonly clock: FakeClock;
  private readonly failures: { matcher: RequestMatcher; failure: VendorFailure }[] = [];
  private readonly server: Server;

  constructor(now?: Date | number | string) {
    this.clock = new FakeClock(now);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) =>
        send(res, { status: 500, body: `fake failed: ${String(error)}` }),
      );
    });
  }

  /** The next `times` requests matching fail like this, then requests work again. */
  failNext(matcher: RequestMatcher, failure: VendorFailure, times = 1): void {
    for (let i = 0; i < times; i++) this.failures.push({ matcher, failure });
  }
  /** Logged requests to one path. */
  requestsTo(path: string): LoggedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }
  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((e) => (e ? reject(e) : resolve())));
  }

  /** The vendor's answer to an injected 429, 5xx or 401. */
  protected abstract failure(failure: HttpFailure, request: VendorRequest): Reply;
  /** The vendor's 401 when the request's credentials are missing or wrong, else undefined. */
  protected abstract authenticate(request: VendorRequest): Reply | undefined;
  protected abstract route(request: VendorRequest): Reply;
  /** The reply with one record of its page broken (see VendorFailure's malformed). */
  protected abstract malform(reply: Reply, request: VendorRequest): Reply;

  private takeFailure(request: { method: string; path: string }): VendorFailure | undefined {
    const index = this.failures.findIndex((f) => matches(f.matcher, request));
    return index < 0 ? undefined : this.failures.splice(index, 1)[0]?.failure;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.baseUrl);
    const raw = await readBody(req);
    let body: unknown = undefined;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw; // left raw: routes that need JSON refuse it
    }
    const request: VendorRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      url,
      query: url.searchParams,
      authorization: req.headers.authorization ?? "",
      headers: Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")]),
      ),
      body,
    };
    const entry: LoggedRequest = {
      method: request.method,
      path: request.path,
      query: queryRecord(url.searchParams),
      auth: authSchemeOf(request.authorization),
      body,
      status: 0,
      at: this.clock.now(),
    };
    this.requests.push(entry);
    const reply = this.answer(request);
    entry.status = reply.status;
    send(res, reply);
  }

  private answer(request: VendorRequest): Reply {
    const failure = this.takeFailure(request);
    if (failure && !("malformed" in failure)) return this.failure(failure, request);
    try {
      const reply = this.authenticate(request) ?? this.route(request);
      return failure && reply.status === 200 ? this.malform(reply, request) : reply;
    } catch (error) {
      if (error instanceof Refusal) return error.reply;
      throw error;
    }
  }
}
