// Plays' webhook calls on the real PostgreSQL, sent to a receiver on loopback that checks each call
// as a customer's would: the signature over "<timestamp>.<raw body>" with the workspace's secret,
// and the timestamp within 5 minutes of its own clock (the test's, so hours can pass in a loop).
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import type { JobContext } from "../../src/jobs/define-job.ts";
import { deliverWebhooksJob } from "../../src/jobs/definitions/deliver-webhooks.ts";
import { syncSchedules, webhooksSchedulerId } from "../../src/jobs/schedules.ts";
import { SecretBox } from "../../src/security/secret-box.ts";
import { createWebhookSecret, openWebhookSecret } from "../../src/services/plays/webhook-secret.ts";
import {
  deliverDueWebhooks,
  enqueueWebhook,
  NO_SECRET_ERROR,
  type DeliverDeps,
} from "../../src/services/plays/webhooks.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { openTestQueues } from "../support/queues.ts";

const KEY = Buffer.alloc(32, 9);
// An hour from now, on a whole second: calls are due from their insertion (the database's clock),
// so the test's clock starts after it.
const START = new Date(Math.ceil(Date.now() / 1000) * 1000 + 3_600_000);
const MINUTE = 60_000;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** The signature matched and the timestamp was within 5 minutes of the receiver's clock. */
  verified: boolean;
}

interface Answer {
  status: number;
  headers?: Record<string, string>;
  /** Answer after this long (a slow receiver). */
  delayMs?: number;
}

interface Receiver {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

/** A webhook receiver: checks each call, then answers as `answer` says for the n-th call (0-based). */
async function startReceiver(
  secret: string,
  clock: () => Date,
  answer: (n: number) => Answer = () => ({ status: 200 }),
): Promise<Receiver> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const verified = verify(secret, req.headers, body, clock());
      const n = received.push({ headers: req.headers, body, verified }) - 1;
      const a = verified ? answer(n) : { status: 401 };
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(a.status, { "content-type": "text/plain", ...a.headers });
        res.end(verified ? "ok" : "bad signature");
      }, a.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/css`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What a receiver's documentation would tell it to do (docs/playbooks.md). */
function verify(secret: string, headers: IncomingHttpHeaders, body: string, now: Date): boolean {
  const timestamp = Number(headers["x-css-timestamp"]);
  const signature = String(headers["x-css-signature"] ?? "");
  if (!Number.isInteger(timestamp) || Math.abs(now.getTime() / 1000 - timestamp) > 300) return false;
  const expected = `v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
  return (
    signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected))
  );
}

let db: TestDatabase;
let workspaceId: number;
let secret: string;
let now: Date;
const cleanup: (() => Promise<unknown>)[] = [];

beforeEach(async () => {
  db = await createTestDatabase("postgres");
  workspaceId = (await ensureWorkspace(db.prisma, "acme")).id;
  secret = (
    await createWebhookSecret(db.prisma, new SecretBox(KEY), workspaceId, { rotate: false, actor: "test" })
  ).secret;
  now = START;
});

afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
  await db.close();
});

async function receiver(answer?: (n: number) => Answer): Promise<Receiver> {
  const r = await startReceiver(secret, () => now, answer);
  cleanup.push(() => r.close());
  return r;
}

const deps = (extra: Partial<DeliverDeps> = {}): DeliverDeps => ({
  secret: Buffer.from(secret, "utf8"),
  now: () => now,
  timeoutMs: 2000,
  ...extra,
});

const deliver = (extra: Partial<DeliverDeps> = {}) => deliverDueWebhooks(db.prisma, workspaceId, deps(extra));

const delivery = async (id: bigint | null) =>
  db.prisma.webhookDelivery.findUniqueOrThrow({ where: { id: id! } });

const PAYLOAD = { play: "renewal-risk", account: { id: "ACME-1", name: "Zoë & Co ✓" }, score: 41.5 };

describe("plays' webhook calls", () => {
  it("are delivered on a 2xx, signed, with the exact body and the delivery's id", async () => {
    const r = await receiver();
    const { id, created } = await enqueueWebhook(db.prisma, workspaceId, {
      playFireId: 1n,
      url: r.url,
      payload: PAYLOAD,
    });
    expect(created).toBe(true);

    expect(await deliver()).toEqual({ delivered: 1, retrying: 0, failed: 0, waiting: 0 });
    expect(r.received).toHaveLength(1);
    const [call] = r.received;
    expect(call!.verified).toBe(true);
    expect(call!.body).toBe(JSON.stringify(PAYLOAD));
    expect(call!.headers).toMatchObject({
      "content-type": "application/json",
      "user-agent": "css-bot",
      "x-css-timestamp": String(START.getTime() / 1000),
      "x-css-delivery": id!.toString(),
    });
    expect(call!.headers["x-css-signature"]).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(await delivery(id)).toMatchObject({
      status: "delivered",
      attempts: 1,
      lastStatus: 200,
      lastError: null,
      deliveredAt: START,
    });

    // Delivered once: another pass sends nothing, and the same decision again records nothing.
    now = new Date(START.getTime() + 10 * MINUTE);
    expect(await deliver()).toEqual({ delivered: 0, retrying: 0, failed: 0, waiting: 0 });
    expect(
      await enqueueWebhook(db.prisma, workspaceId, { playFireId: 1n, url: r.url, payload: { other: true } }),
    ).toEqual({ id: null, created: false });
    expect(await deliver()).toEqual({ delivered: 0, retrying: 0, failed: 0, waiting: 0 });
    expect(r.received).toHaveLength(1);
    expect(await db.prisma.webhookDelivery.count()).toBe(1);
  });

  it("refuse URLs that are not http(s)", async () => {
    for (const url of ["ftp://example.com/hook", "file:///etc/passwd", "javascript:alert(1)", "not a url"]) {
      await expect(
        enqueueWebhook(db.prisma, workspaceId, { playFireId: 1n, url, payload: {} }),
      ).rejects.toThrow(/webhook URL .* (is not http\(s\)|is not a URL)/);
    }
    expect(await db.prisma.webhookDelivery.count()).toBe(0);
  });

  it("retry a 500 after a minute and deliver on the second try", async () => {
    const r = await receiver((n) => ({ status: n === 0 ? 500 : 204 }));
    const { id } = await enqueueWebhook(db.prisma, workspaceId, {
      playFireId: 1n,
      url: r.url,
      payload: PAYLOAD,
    });

    expect(await deliver()).toMatchObject({ delivered: 0, retrying: 1 });
    expect(await delivery(id)).toMatchObject({
      status: "pending",
      attempts: 1,
      lastStatus: 500,
      lastError: "HTTP 500: ok",
      nextAttemptAt: new Date(START.getTime() + MINUTE),
    });
    // Not due yet: nothing is sent.
    now = new Date(START.getTime() + 59_000);
    expect(await deliver()).toMatchObject({ delivered: 0, retrying: 0 });
    expect(r.received).toHaveLength(1);

    now = new Date(START.getTime() + MINUTE);
    expect(await deliver()).toMatchObject({ delivered: 1, retrying: 0 });
    expect(await delivery(id)).toMatchObject({
      status: "delivered",
      attempts: 2,
      lastStatus: 204,
      lastError: null,
    });
    expect(r.received.map((c) => c.verified)).toEqual([true, true]);
    // Each try is signed at its own time.
    expect(r.received.map((c) => c.headers["x-css-timestamp"])).toEqual([
      String(START.getTime() / 1000),
      String(START.getTime() / 1000 + 60),
    ]);
  });

  it("retry a receiver that answers too late, with the same delivery id, so it can de-duplicate", async () => {
    const r = await receiver((n) => ({ status: 200, delayMs: n === 0 ? 1500 : 0 }));
    const { id } = await enqueueWebhook(db.prisma, workspaceId, {
      playFireId: 1n,
      url: r.url,
      payload: PAYLOAD,
    });

    expect(await deliver({ timeoutMs: 300 })).toMatchObject({ retrying: 1 });
    expect(await delivery(id)).toMatchObject({
      status: "pending",
      attempts: 1,
      lastStatus: null,
      lastError: "no answer in 300 ms",
    });
    now = new Date(START.getTime() + MINUTE);
    expect(await deliver({ timeoutMs: 300 })).toMatchObject({ delivered: 1 });
    expect(r.received).toHaveLength(2);
    expect(r.received.map((c) => c.headers["x-css-delivery"])).toEqual([id!.toString(), id!.toString()]);
    expect(r.received.map((c) => c.body)).toEqual([JSON.stringify(PAYLOAD), JSON.stringify(PAYLOAD)]);
  });

  it("fail a 4xx at once, without retrying", async () => {
    const r = await receiver(() => ({ status: 400 }));
    const { id } = await enqueueWebhook(db.prisma, workspaceId, {
      playFireId: 1n,
      url: r.url,
      payload: PAYLOAD,
    });

    expect(await deliver()).toMatchObject({ failed: 1 });
    expect(await delivery(id)).toMatchObject({
      status: "failed",
      attempts: 1,
      lastStatus: 400,
      lastError: "HTTP 400: ok",
    });
    now = new Date(START.getTime() + 24 * 60 * MINUTE);
    expect(await deliver()).toEqual({ delivered: 0, retrying: 0, failed: 0, waiting: 0 });
    expect(r.received).toHaveLength(1);
  });

  it("wait for Retry-After when it is later than the backoff", async () => {
    const r = await receiver((n) =>
      n === 0 ? { status: 429, headers: { "retry-after": "600" } } : { status: 200 },
    );
    const { id } = await enqueueWebhook(db.prisma, workspaceId, {
      playFireId: 1n,
      url: r.url,
      payload: PAYLOAD,
    });

    await deliver();
    expect(await delivery(id)).toMatchObject({
      lastStatus: 429,
      nextAttemptAt: new Date(START.getTime() + 10 * MINUTE),
    });
    now = new Date(START.getTime() + 5 * MINUTE);
    expect(await deliver()).toMatchObject({ delivered: 0 });
    now = new Date(START.getTime() + 10 * MINUTE);
    expect(await deliver()).toMatchObject({ delivered: 1 });
  });

  it("fail after 6 tries over about 9 hours when the receiver stays down, keeping the last error", async () => {
    const down = await startReceiver(secret, () => now);
    const url = down.url;
    await down.close();
    const { id } = await enqueueWebhook(db.prisma, workspaceId, { playFireId: 1n, url, payload: PAYLOAD });

    // The waits after tries 1..5: 1 min, 5 min, 30 min, 2 h, 6 h.
    const waits = [1, 5, 30, 120, 360].map((m) => m * MINUTE);
    for (const [i, wait] of waits.entries()) {
      expect(await deliver()).toMatchObject({ retrying: 1 });
      const row = await delivery(id);
      expect(row).toMatchObject({ status: "pending", attempts: i + 1, lastError: "ECONNREFUSED" });
      expect(row.nextAttemptAt).toEqual(new Date(now.getTime() + wait));
      // A moment before it is due, it is left alone.
      now = new Date(row.nextAttemptAt.getTime() - 1000);
      expect(await deliver()).toMatchObject({ retrying: 0, failed: 0 });
      now = row.nextAttemptAt;
    }
    expect(await deliver()).toMatchObject({ failed: 1 });
    expect(await delivery(id)).toMatchObject({
      status: "failed",
      attempts: 6,
      lastStatus: null,
      lastError: "ECONNREFUSED (after 6 tries)",
    });
    now = new Date(now.getTime() + 24 * 60 * MINUTE);
    expect(await deliver()).toEqual({ delivered: 0, retrying: 0, failed: 0, waiting: 0 });
    expect((await delivery(id)).attempts).toBe(6);
  });

  it("are sent once each when two workers deliver at the same time", async () => {
    const r = await receiver(() => ({ status: 200, delayMs: 20 }));
    const ids: string[] = [];
    for (let fire = 1; fire <= 12; fire++) {
      const { id } = await enqueueWebhook(db.prisma, workspaceId, {
        playFireId: BigInt(fire),
        url: r.url,
        payload: { fire },
      });
      ids.push(id!.toString());
    }
    const [a, b] = await Promise.all([deliver(), deliver()]);
    expect(a.delivered + b.delivered).toBe(12);
    // Both took part (each sends four at a time), and no call was sent twice.
    expect(a.delivered).toBeGreaterThan(0);
    expect(b.delivered).toBeGreaterThan(0);
    const sent = r.received.map((c) => String(c.headers["x-css-delivery"]));
    expect(sent.toSorted()).toEqual(ids.toSorted());
    expect(await db.prisma.webhookDelivery.count({ where: { status: "delivered", attempts: 1 } })).toBe(12);
  });

  it("take up a delivery whose worker died mid-try once its lease ends", async () => {
    const r = await receiver();
    const { id } = await enqueueWebhook(db.prisma, workspaceId, {
      playFireId: 1n,
      url: r.url,
      payload: PAYLOAD,
    });
    // A worker claimed it (its try counted, the row leased past its timeout) and was killed.
    const leasedUntil = new Date(START.getTime() + 2000 + MINUTE);
    await db.prisma.webhookDelivery.update({
      where: { id: id! },
      data: { attempts: 1, nextAttemptAt: leasedUntil },
    });

    expect(await deliver()).toMatchObject({ delivered: 0 });
    expect(r.received).toHaveLength(0);
    now = leasedUntil;
    expect(await deliver()).toMatchObject({ delivered: 1 });
    expect(await delivery(id)).toMatchObject({ status: "delivered", attempts: 2 });
  });

  it("send nothing without a secret: the calls wait, saying why", async () => {
    const other = await ensureWorkspace(db.prisma, "globex");
    const r = await receiver();
    const { id } = await enqueueWebhook(db.prisma, other.id, {
      playFireId: 1n,
      url: r.url,
      payload: PAYLOAD,
    });
    expect((await delivery(id)).lastError).toBe(NO_SECRET_ERROR);

    expect(await deliverDueWebhooks(db.prisma, other.id, { secret: null, now: () => now })).toEqual({
      delivered: 0,
      retrying: 0,
      failed: 0,
      waiting: 1,
    });
    expect(r.received).toHaveLength(0);
    expect(await delivery(id)).toMatchObject({ status: "pending", attempts: 0, lastError: NO_SECRET_ERROR });
    // Another workspace's pass, with its secret, leaves this one's call alone.
    expect(await deliver()).toMatchObject({ delivered: 0 });
    expect(r.received).toHaveLength(0);
  });
});

describe("the deliver-webhooks job", () => {
  const context = (secretBox: SecretBox | null) =>
    ({ prisma: db.prisma, secretBox }) as unknown as JobContext;

  it("opens the workspace's secret and delivers", async () => {
    const r = await receiver();
    const { id } = await enqueueWebhook(db.prisma, workspaceId, {
      playFireId: 1n,
      url: r.url,
      payload: PAYLOAD,
    });
    now = new Date(); // the job runs on the real clock, and so does the receiver here

    expect(await deliverWebhooksJob.run({ workspaceId }, context(new SecretBox(KEY)))).toMatchObject({
      delivered: 1,
    });
    expect(r.received.map((c) => c.verified)).toEqual([true]);
    expect((await delivery(id)).status).toBe("delivered");
    expect(await openWebhookSecret(db.prisma, new SecretBox(KEY), workspaceId)).toEqual(Buffer.from(secret));
  });

  it("holds the calls when CSS_ENCRYPTION_KEY is missing, saying so in the log", async () => {
    const r = await receiver();
    const { id } = await enqueueWebhook(db.prisma, workspaceId, {
      playFireId: 1n,
      url: r.url,
      payload: PAYLOAD,
    });

    expect(await deliverWebhooksJob.run({ workspaceId }, context(null))).toMatchObject({ waiting: 1 });
    expect(r.received).toHaveLength(0);
    expect(await delivery(id)).toMatchObject({ status: "pending", attempts: 0 });
    expect((await delivery(id)).lastError).toMatch(
      /^the webhook secret cannot be opened: CSS_ENCRYPTION_KEY is not set/,
    );
  });

  it("refuses a bad payload without retrying", async () => {
    await expect(deliverWebhooksJob.run({ workspaceId: "acme" }, context(null))).rejects.toThrow(
      /invalid deliver-webhooks payload: workspaceId/,
    );
  });

  it("is scheduled every minute for each workspace with a webhook secret", async () => {
    const queues = openTestQueues();
    cleanup.push(() => queues.dispose());
    const plain = await ensureWorkspace(db.prisma, "globex");
    await syncSchedules(db.prisma, queues);
    expect(await queues.queue.notify.getJobScheduler(webhooksSchedulerId(workspaceId))).toMatchObject({
      pattern: "* * * * *",
      name: "deliver-webhooks",
    });
    expect(await queues.queue.notify.getJobScheduler(webhooksSchedulerId(plain.id))).toBeUndefined();

    await db.prisma.workspace.update({ where: { id: workspaceId }, data: { deletedAt: new Date() } });
    await syncSchedules(db.prisma, queues);
    expect(await queues.queue.notify.getJobScheduler(webhooksSchedulerId(workspaceId))).toBeUndefined();
  });
});
