// The connectors' HTTP client against a small node:http server on loopback: the server answers
// from a script per test, and waits are recorded instead of slept, so backoff is checked exactly.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ConnectorAuthError,
  SourceRequestError,
  SourceUnavailableError,
} from "../../src/connectors/contract.ts";
import { createSourceHttp, type SourceHttpOptions } from "../../src/connectors/http.ts";

type Answer = { status: number; body?: unknown; headers?: Record<string, string> };

let server: Server;
let baseUrl: string;
let script: Answer[];
let requests: { url: string; headers: IncomingMessage["headers"]; body: string }[];
let waits: number[];

beforeEach(async () => {
  script = [];
  requests = [];
  waits = [];
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      requests.push({ url: req.url ?? "", headers: req.headers, body });
      // The last answer repeats once the script runs out.
      const answer = script.length > 1 ? script.shift()! : (script[0] ?? { status: 200, body: {} });
      res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
      res.end(typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterEach(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function client(options: Partial<SourceHttpOptions> = {}) {
  return createSourceHttp({
    baseUrl,
    headers: { authorization: "Bearer sk_test_secret123" },
    source: "Vendor",
    backoffMs: 500,
    retryBudgetMs: 60_000,
    // Full jitter at its top: the wait is exactly the exponential backoff.
    random: () => 1,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
    ...options,
  });
}

describe("createSourceHttp", () => {
  it("sends the credentials and query (arrays repeat the key) to the base URL's path", async () => {
    script = [{ status: 200, body: { data: [1, 2] } }];
    const result = await client().json<{ data: number[] }>({
      path: "/v1/customers",
      query: { limit: 100, "expand[]": ["data.subscriptions", "data.invoice"], starting_after: undefined },
    });
    expect(result).toEqual({ data: [1, 2] });
    expect(requests).toHaveLength(1);
    const url = new URL(requests[0]!.url, "http://x");
    expect(url.pathname).toBe("/v1/customers");
    expect(url.searchParams.get("limit")).toBe("100");
    expect(url.searchParams.getAll("expand[]")).toEqual(["data.subscriptions", "data.invoice"]);
    expect(url.searchParams.has("starting_after")).toBe(false);
    expect(requests[0]!.headers.authorization).toBe("Bearer sk_test_secret123");
  });

  it("posts JSON bodies", async () => {
    script = [{ status: 200, body: { ok: true } }];
    await client().json({ method: "POST", path: "/search", body: { filters: [{ a: 1 }] } });
    expect(requests[0]!.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(requests[0]!.body)).toEqual({ filters: [{ a: 1 }] });
  });

  it("waits as long as Retry-After says on 429, then retries", async () => {
    script = [
      { status: 429, headers: { "retry-after": "3" } },
      { status: 429, headers: { "retry-after": "0" } },
      { status: 200, body: { ok: 1 } },
    ];
    expect(await client().json({ path: "/x" })).toEqual({ ok: 1 });
    expect(requests).toHaveLength(3);
    expect(waits).toEqual([3000, 0]);
  });

  it("backs off exponentially (full jitter) on 5xx and on 429 without Retry-After", async () => {
    script = [{ status: 503 }, { status: 502 }, { status: 429 }, { status: 500 }, { status: 200, body: [] }];
    expect(await client().json({ path: "/x" })).toEqual([]);
    expect(waits).toEqual([500, 1000, 2000, 4000]);
    waits = [];
    script = [{ status: 503 }, { status: 200, body: [] }];
    await client({ random: () => 0.5 }).json({ path: "/x" });
    expect(waits).toEqual([250]);
  });

  it("gives up with SourceUnavailableError once the retry budget is spent", async () => {
    script = [{ status: 503, body: "down for maintenance" }];
    const error = await client({ retryBudgetMs: 1_900 })
      .json({ path: "/v1/customers" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceUnavailableError);
    // 500 and 1000 fit the budget (waits count, and the time spent); the next wait (2000) would not.
    expect(waits).toEqual([500, 1000]);
    expect(requests).toHaveLength(3);
    expect((error as Error).message).toMatch(
      /Vendor GET \/v1\/customers: still failing after 3 attempt\(s\).*HTTP 503/,
    );
  });

  it("does not wait past the budget for a long Retry-After", async () => {
    script = [{ status: 429, headers: { "retry-after": "120" } }];
    await expect(client({ retryBudgetMs: 10_000 }).json({ path: "/x" })).rejects.toBeInstanceOf(
      SourceUnavailableError,
    );
    expect(waits).toEqual([]);
  });

  it("treats 401 and 403 as refused credentials, at once and without the token in the message", async () => {
    for (const status of [401, 403]) {
      requests = [];
      script = [{ status, body: { error: { message: "Invalid API Key provided" } } }];
      const error = await client()
        .json({ path: "/x" })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectorAuthError);
      expect((error as Error).message).toContain(`HTTP ${status}`);
      expect((error as Error).message).toContain("Invalid API Key provided");
      expect((error as Error).message).not.toContain("sk_test_secret123");
      expect(requests).toHaveLength(1);
    }
    expect(waits).toEqual([]);
  });

  it("fails other 4xx and bodies that are not JSON as request errors, without retrying", async () => {
    script = [{ status: 404, body: { error: "no such customer" } }];
    await expect(client().json({ path: "/x" })).rejects.toBeInstanceOf(SourceRequestError);
    script = [{ status: 200, body: "<html>" }];
    await expect(client().json({ path: "/x" })).rejects.toThrow(/not JSON/);
    expect(waits).toEqual([]);
  });

  it("retries network failures, then reports the source unavailable", async () => {
    // A port that was just listening and is closed now: connections are refused.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const dead = createSourceHttp({
      baseUrl: `http://127.0.0.1:${port}`,
      headers: {},
      source: "Vendor",
      retryBudgetMs: 1_900,
      random: () => 1,
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    await expect(dead.json({ path: "/x" })).rejects.toThrow(/still failing after 3 attempt.*ECONNREFUSED/);
    expect(waits).toEqual([500, 1000]);
  });

  it("fails at once, naming the cause, on network errors no retry can cure", async () => {
    // https:// to a server that speaks http, and a port fetch refuses to use.
    const tls = client({ baseUrl: baseUrl.replace("http://", "https://") });
    await expect(tls.json({ path: "/x" })).rejects.toThrow(
      new SourceRequestError(
        "Vendor GET /x failed: ERR_SSL_WRONG_VERSION_NUMBER: is the base URL https:// for a server that speaks http?",
      ),
    );
    const badPort = client({ baseUrl: "http://127.0.0.1:6000/" });
    await expect(badPort.json({ path: "/x" })).rejects.toThrow(
      new SourceRequestError("Vendor GET /x failed: the port is one fetch refuses to use (bad port)"),
    );
    expect(waits).toEqual([]);
    expect(requests).toEqual([]);
  });
});
