// Idempotency keys of the ingest API: per API key and Idempotency-Key header, the request's hash
// and, once it is answered, the response to replay.
import type { Prisma } from "../../generated/prisma/client.ts";
import type { Db } from "../handle.ts";

export interface StoredRequest {
  requestHash: string;
  /** Null while the first request with this key is in flight. */
  status: number | null;
  response: unknown;
}

export type Claim = { claimed: true } | { claimed: false; existing: StoredRequest };

export interface ClaimTimes {
  /** A key older than this is forgotten: a request with it starts afresh. */
  ttlSeconds: number;
  /** A key in flight for longer than this was abandoned (its process died): it may be taken over. */
  abandonedAfterSeconds: number;
}

/**
 * Claims the key for a request in one statement, so of two concurrent requests exactly one gets
 * it; the other learns what is stored (in flight, or the response to replay).
 */
export async function claimIdempotencyKey(
  db: Db,
  apiKeyId: number,
  key: string,
  requestHash: string,
  times: ClaimTimes,
): Promise<Claim> {
  // The row may be released (deleted) between the two statements: then claim again.
  for (let attempt = 0; attempt < 3; attempt++) {
    const claimed = await db.$queryRawUnsafe<unknown[]>(
      `INSERT INTO idempotency_keys (api_key_id, key, request_hash) VALUES ($1, $2, $3)
       ON CONFLICT (api_key_id, key) DO UPDATE
         SET request_hash = excluded.request_hash, status = NULL, response = NULL, created_at = now()
         WHERE idempotency_keys.created_at < now() - make_interval(secs => $4::float8)
            OR (idempotency_keys.status IS NULL
                AND idempotency_keys.created_at < now() - make_interval(secs => $5::float8))
       RETURNING 1`,
      apiKeyId,
      key,
      requestHash,
      times.ttlSeconds,
      times.abandonedAfterSeconds,
    );
    if (claimed.length > 0) return { claimed: true };
    const existing = await db.idempotencyKey.findUnique({
      where: { apiKeyId_key: { apiKeyId, key } },
      select: { requestHash: true, status: true, response: true },
    });
    if (existing) return { claimed: false, existing };
  }
  throw new Error("could not claim the idempotency key: it keeps changing");
}

/** Records the response sent for the claimed key. */
export async function completeIdempotencyKey(
  db: Db,
  apiKeyId: number,
  key: string,
  status: number,
  response: Prisma.InputJsonValue,
): Promise<void> {
  await db.idempotencyKey.update({
    where: { apiKeyId_key: { apiKeyId, key } },
    data: { status, response },
  });
}

/** Forgets a claimed key whose request failed, so that a retry runs it again. */
export async function releaseIdempotencyKey(db: Db, apiKeyId: number, key: string): Promise<void> {
  await db.idempotencyKey.deleteMany({ where: { apiKeyId, key, status: null } });
}

/** Deletes the keys created before `before`; returns how many. */
export async function pruneIdempotencyKeys(db: Db, before: Date): Promise<number> {
  const { count } = await db.idempotencyKey.deleteMany({ where: { createdAt: { lt: before } } });
  return count;
}
