// The ingest API under load, over real HTTP against the real router: bodies take turns (503 with
// Retry-After past the queue), and are parsed on threads whose failure is a 500, not the process's.
import { request } from "node:http";
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from "vitest";
import type { Logger } from "../../src/log.ts";
import { waitFor } from "../support/queues.ts";
import { post, startApiHarness, type ApiHarness } from "./harness.ts";

const ACCOUNT = { account_id: "A1", name: "Acme Corp" };

let h: ApiHarness;
const logged: { msg: string; fields?: Record<string, unknown> }[] = [];
const log: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (msg, fields) => logged.push({ msg, fields }),
};

beforeEach(async () => {
  logged.length = 0;
  h = await startApiHarness({ log });
});
afterEach(async () => h.close());

/** A POST whose body is sent in two parts: the second when `finish()` is called. */
function postInParts(url: string, key: string, body: string) {
  const bytes = Buffer.from(body);
  const half = Math.floor(bytes.length / 2);
  let req!: ReturnType<typeof request>;
  const reply = new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    req = request(
      url,
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-length": bytes.length,
          authorization: `Bearer ${key}`,
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on("error", reject);
  });
  req.write(bytes.subarray(0, half));
  return { reply, finish: () => req.end(bytes.subarray(half)), abort: () => void req.destroy() };
}

describe("turns for bodies", () => {
  it("answer 503 with Retry-After while every turn is taken, and take the body once one is free", async () => {
    const web = await h.startWeb({ concurrency: 1, queue: 0 });
    const url = `${web.baseUrl}/api/v1/accounts`;
    // Holds the only turn while its body is still coming.
    const held = postInParts(
      url,
      h.key,
      JSON.stringify({ records: [{ account_id: "A0", name: "Zero Ltd" }] }),
    );
    onTestFinished(held.abort);
    const busy = await waitFor(async () => {
      const res = await post(url, [ACCOUNT], { key: h.key });
      return res.status === 503 ? res : undefined;
    });
    expect(busy.headers.get("retry-after")).toBe("1");
    expect(busy.body).toEqual({
      error: "busy",
      message: "too many ingest requests at once (1 in progress or waiting); retry in 1 s",
      retry_after: 1,
    });

    held.finish();
    expect(await held.reply).toEqual({ status: 200, body: { accepted: 1, created: 1, updated: 0 } });
    expect(await post(url, [ACCOUNT], { key: h.key })).toMatchObject({
      status: 200,
      body: { accepted: 1, created: 1 },
    });
  });
});

describe("parse threads", () => {
  it("a thread that runs out of memory fails its body with a 500, releases the key, and the next body is parsed", async () => {
    const web = await h.startWeb({ parseHeapMb: 64 });
    const url = `${web.baseUrl}/api/v1/accounts`;
    // 15 MiB of JSON holding 5 million empty objects: far more than a 64 MiB heap holds.
    const huge = `[${Array.from({ length: 10_000 }, () => `{"account_id":"A","name":"N","segment":[${"{},".repeat(499)}{}]}`).join(",")}]`;
    const headers = { "idempotency-key": "huge-1" };
    const crashed = await post(url, huge, { key: h.key, headers });
    expect(crashed.status).toBe(500);
    expect(crashed.body).toEqual({
      error: "internal",
      message: expect.stringMatching(/^unexpected failure \(id [0-9a-f]{8}\); retry later$/) as unknown,
    });
    expect(logged).toEqual([
      {
        msg: "api request failed",
        fields: expect.objectContaining({
          error: expect.stringContaining("the parse thread stopped") as unknown,
        }) as unknown,
      },
    ]);
    // The key was released: the retry runs again (and fails the same way) rather than 409.
    expect((await post(url, huge, { key: h.key, headers })).status).toBe(500);

    // A new thread parses the next bodies: errors still name the record and the field.
    const invalid = await post(url, [ACCOUNT, { account_id: "A2", name: "Beta", seats: -1 }], { key: h.key });
    expect(invalid).toMatchObject({
      status: 422,
      body: {
        error: "invalid_records",
        errors: [{ index: 1, field: "seats", reason: "must not be negative" }],
      },
    });
    expect(await post(url, [ACCOUNT], { key: h.key })).toMatchObject({ status: 200, body: { accepted: 1 } });
  });
});
