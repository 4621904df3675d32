// Plays' webhook calls: a decision to call is stored first (one row per play fire and URL, so a
// decision taken again never calls twice), then sent by the deliver-webhooks job. Each try is a POST
// of the stored body, byte for byte, signed with the workspace's webhook secret and the time:
//   X-CSS-Timestamp: <unix seconds>
//   X-CSS-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>">
//   X-CSS-Delivery:  <the row's id>, the same on every try: a try that timed out may have arrived
// 2xx delivers; 408, 429, 5xx, network errors and timeouts retry after 1 min, 5 min, 30 min, 2 h and
// 6 h (or Retry-After, when later), 6 tries in all; any other answer fails at once. Nothing is ever
// sent unsigned: without a secret, deliveries wait.
import { createHmac } from "node:crypto";
import { retryAfterMs } from "../../connectors/http.ts";
import { KnownError } from "../../errors.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";

export class WebhookUrlError extends KnownError {
  readonly code = "WEBHOOK_URL";
}

/** Tries in all, and the wait after each failed try but the last. */
export const MAX_ATTEMPTS = 6;
export const RETRY_DELAYS_MS = [60_000, 300_000, 1_800_000, 7_200_000, 21_600_000] as const;
/** A Retry-After longer than this is read as a day: a receiver's typo should not park a call for weeks. */
const MAX_RETRY_AFTER_MS = 86_400_000;
const DEFAULT_TIMEOUT_MS = 10_000;
/**
 * How long a claimed delivery stays another worker's beyond its timeout: a worker that crashed
 * mid-try frees it after this, and one still trying has finished well before.
 */
const LEASE_MARGIN_MS = 60_000;
/** Deliveries sent at the same time by one call. */
const CONCURRENCY = 4;

export const NO_SECRET_ERROR = "no webhook secret: run css-bot webhook-secret";

/** The URL, parsed, when it may be called; why not otherwise. */
export function checkWebhookUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new WebhookUrlError(`webhook URL ${JSON.stringify(url)} is not a URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
    throw new WebhookUrlError(
      `webhook URL ${JSON.stringify(url)} is not http(s): only http:// and https:// URLs are called`,
    );
  return parsed;
}

/**
 * Records a call to make: pending, due now. A second decision for the same play fire and URL is
 * ignored (created: false), so a retried evaluation never calls twice. Without a webhook secret the
 * log says so at once (and no schedule sends the workspace's calls until one is created).
 */
export async function enqueueWebhook(
  prisma: PrismaClient,
  workspaceId: number,
  call: { playFireId: bigint; url: string; payload: unknown },
): Promise<{ id: bigint | null; created: boolean }> {
  checkWebhookUrl(call.url);
  const body = JSON.stringify(call.payload);
  const rows = await prisma.$queryRawUnsafe<{ id: bigint }[]>(
    `INSERT INTO webhook_deliveries (workspace_id, play_fire_id, url, body, last_error)
     SELECT w.id, $2, $3, $4, CASE WHEN w.webhook_secret IS NULL THEN $5 END
     FROM workspaces w WHERE w.id = $1
     ON CONFLICT (play_fire_id, url) DO NOTHING
     RETURNING id`,
    workspaceId,
    call.playFireId,
    call.url,
    body,
    NO_SECRET_ERROR,
  );
  return { id: rows[0]?.id ?? null, created: rows.length === 1 };
}

export interface DeliverDeps {
  /** The HMAC key (openWebhookSecret); null: nothing is sent, the deliveries wait. */
  secret: Buffer | null;
  /** Why there is no secret, for the delivery log (the default tells how to create one). */
  noSecretReason?: string;
  fetch?: typeof fetch;
  now?: () => Date;
  /** Per try, the answer's body included. Default 10 s. */
  timeoutMs?: number;
}

export interface DeliverSummary {
  delivered: number;
  retrying: number;
  failed: number;
  /** Due but not sent: no secret. */
  waiting: number;
}

interface Claimed {
  id: bigint;
  url: string;
  body: string;
  attempts: number;
}

type Outcome =
  | { kind: "delivered"; status: number }
  | { kind: "retry"; status: number | null; error: string; retryAfterMs: number | null }
  | { kind: "failed"; status: number | null; error: string };

/** Sends every due pending delivery of the workspace once; returns what became of them. */
export async function deliverDueWebhooks(
  prisma: PrismaClient,
  workspaceId: number,
  deps: DeliverDeps,
): Promise<DeliverSummary> {
  const now = deps.now ?? (() => new Date());
  const summary: DeliverSummary = { delivered: 0, retrying: 0, failed: 0, waiting: 0 };
  await failAbandoned(prisma, workspaceId, now());
  if (!deps.secret) {
    summary.waiting = await markWaiting(prisma, workspaceId, now(), deps.noSecretReason ?? NO_SECRET_ERROR);
    return summary;
  }
  const secret = deps.secret;
  const timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const send = deps.fetch ?? fetch;
  // Each lane claims one delivery at a time until none is due, so a claim's lease covers one try.
  const lane = async () => {
    for (;;) {
      const claimed = await claimOne(prisma, workspaceId, now(), timeoutMs + LEASE_MARGIN_MS);
      if (!claimed) return;
      const outcome = await tryOnce(claimed, secret, now(), send, timeoutMs);
      const result = await finish(prisma, workspaceId, claimed, outcome, now());
      if (result) summary[result]++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return summary;
}

/**
 * Takes one due delivery for this worker: its try is counted and its next_attempt_at moved past
 * the lease, in one statement, so no other worker takes it meanwhile (SKIP LOCKED: two claiming at
 * once take different rows). A worker that dies mid-try leaves it due again when the lease ends.
 */
async function claimOne(
  prisma: PrismaClient,
  workspaceId: number,
  now: Date,
  leaseMs: number,
): Promise<Claimed | null> {
  const rows = await prisma.$queryRawUnsafe<Claimed[]>(
    `UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = $3::timestamptz
     WHERE workspace_id = $1 AND id = (
       SELECT id FROM webhook_deliveries
       WHERE workspace_id = $1 AND status = 'pending' AND next_attempt_at <= $2::timestamptz
         AND attempts < ${MAX_ATTEMPTS}
       ORDER BY next_attempt_at, id
       LIMIT 1
       FOR UPDATE SKIP LOCKED)
     RETURNING id, url, body, attempts`,
    workspaceId,
    now.toISOString(),
    new Date(now.getTime() + leaseMs).toISOString(),
  );
  return rows[0] ?? null;
}

/** The last try's worker died before saying how it went: no try is left, so it fails. */
async function failAbandoned(prisma: PrismaClient, workspaceId: number, now: Date): Promise<void> {
  await prisma.$executeRawUnsafe(
    `UPDATE webhook_deliveries
     SET status = 'failed', last_error = 'the last try did not finish (its worker stopped); it may have arrived'
     WHERE workspace_id = $1 AND status = 'pending' AND attempts >= ${MAX_ATTEMPTS}
       AND next_attempt_at <= $2::timestamptz`,
    workspaceId,
    now.toISOString(),
  );
}

/** Due deliveries say why they wait; none is tried or counted. */
async function markWaiting(prisma: PrismaClient, workspaceId: number, now: Date, reason: string) {
  return prisma.$executeRawUnsafe(
    `UPDATE webhook_deliveries SET last_error = $3
     WHERE workspace_id = $1 AND status = 'pending' AND next_attempt_at <= $2::timestamptz`,
    workspaceId,
    now.toISOString(),
    reason,
  );
}

/** The signature header's value for a body sent at `timestamp` (unix seconds). */
export function webhookSignature(secret: Buffer | string, timestamp: number, body: string): string {
  return `v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

async function tryOnce(
  d: Claimed,
  secret: Buffer,
  now: Date,
  send: typeof fetch,
  timeoutMs: number,
): Promise<Outcome> {
  try {
    checkWebhookUrl(d.url);
  } catch (error) {
    return { kind: "failed", status: null, error: (error as Error).message };
  }
  const timestamp = Math.floor(now.getTime() / 1000);
  try {
    const res = await send(d.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "css-bot",
        "x-css-timestamp": String(timestamp),
        "x-css-signature": webhookSignature(secret, timestamp, d.body),
        "x-css-delivery": d.id.toString(),
      },
      body: d.body,
      // A redirect would turn the POST into a GET elsewhere: the receiver's URL should be fixed instead.
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await excerpt(res);
    if (res.status >= 200 && res.status < 300) return { kind: "delivered", status: res.status };
    const error = `HTTP ${res.status}${text ? `: ${text}` : ""}`;
    if (res.status === 408 || res.status === 429 || res.status >= 500)
      return {
        kind: "retry",
        status: res.status,
        error,
        retryAfterMs: retryAfterMs(res.headers.get("retry-after"), now.getTime()),
      };
    if (res.status >= 300 && res.status < 400)
      return {
        kind: "failed",
        status: res.status,
        error: `${error} (redirected: set the final URL in the play)`,
      };
    return { kind: "failed", status: res.status, error };
  } catch (error) {
    const e = error as Error & { cause?: { code?: string; message?: string } };
    const problem =
      e.name === "TimeoutError"
        ? `no answer in ${timeoutMs} ms`
        : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { kind: "retry", status: null, error: problem, retryAfterMs: null };
  }
}

/** The start of an answer's body, on one line: enough to say why, never the whole of it. */
async function excerpt(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < 2048) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
  }
  await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).toString("utf8").replace(/\s+/g, " ").trim().slice(0, 200);
}

/**
 * Records the try, if the delivery is still this worker's (same try count, still pending): a
 * worker whose lease ran out and whose delivery was taken again leaves the newer try's record.
 */
async function finish(
  prisma: PrismaClient,
  workspaceId: number,
  d: Claimed,
  outcome: Outcome,
  now: Date,
): Promise<keyof DeliverSummary | null> {
  const mine = { id: d.id, workspaceId, status: "pending", attempts: d.attempts };
  if (outcome.kind === "delivered") {
    const { count } = await prisma.webhookDelivery.updateMany({
      where: mine,
      data: { status: "delivered", deliveredAt: now, lastStatus: outcome.status, lastError: null },
    });
    return count === 1 ? "delivered" : null;
  }
  const error = outcome.error.slice(0, 500);
  if (outcome.kind === "retry" && d.attempts < MAX_ATTEMPTS) {
    const backoff = RETRY_DELAYS_MS[d.attempts - 1]!;
    const wait = Math.max(backoff, Math.min(outcome.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
    const { count } = await prisma.webhookDelivery.updateMany({
      where: mine,
      data: { nextAttemptAt: new Date(now.getTime() + wait), lastStatus: outcome.status, lastError: error },
    });
    return count === 1 ? "retrying" : null;
  }
  const { count } = await prisma.webhookDelivery.updateMany({
    where: mine,
    data: {
      status: "failed",
      lastStatus: outcome.status,
      lastError: outcome.kind === "retry" ? `${error} (after ${d.attempts} tries)` : error,
    },
  });
  return count === 1 ? "failed" : null;
}

export interface DeliveryLogEntry {
  id: string;
  /** Host and path only: a query string may carry a receiver's token. */
  target: string;
  status: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
  /** When a pending delivery is tried next. */
  nextAttemptAt: Date | null;
}

/** The workspace's latest deliveries, newest first (the delivery log). */
export async function listDeliveries(
  prisma: PrismaClient,
  workspaceId: number,
  limit: number,
): Promise<DeliveryLogEntry[]> {
  const rows = await prisma.webhookDelivery.findMany({
    where: { workspaceId },
    orderBy: { id: "desc" },
    take: limit,
  });
  return rows.map((r) => ({
    id: r.id.toString(),
    target: urlTarget(r.url),
    status: r.status,
    attempts: r.attempts,
    lastStatus: r.lastStatus,
    lastError: r.lastError,
    createdAt: r.createdAt,
    deliveredAt: r.deliveredAt,
    nextAttemptAt: r.status === "pending" ? r.nextAttemptAt : null,
  }));
}

function urlTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    return url.slice(0, 80);
  }
}
