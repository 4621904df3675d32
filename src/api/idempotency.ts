// The Idempotency-Key header: a retried request with the same key and body gets the first reply
// back (with Idempotent-Replayed: true) and writes nothing. Keys are per API key and kept 24 hours;
// only replies a retry could not change are stored (2xx and 422): after a 5xx the key is released.
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Db } from "../db/handle.ts";
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  pruneIdempotencyKeys,
  releaseIdempotencyKey,
} from "../db/repositories/idempotency-keys.ts";
import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../log.ts";
import { ApiError } from "./api-error.ts";
import type { Reply } from "./http.ts";

export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
/** A key in flight this long belonged to a process that died: a retry may take it over. */
export const ABANDONED_AFTER_SECONDS = 5 * 60;
const MAX_KEY_LENGTH = 255;
/** Expired keys are deleted by the web process at most this often. */
const PRUNE_EVERY_MS = 10 * 60 * 1000;

/** The header's value, or null without one. */
export function idempotencyKeyOf(req: IncomingMessage): string | null {
  const value = req.headers["idempotency-key"];
  if (value === undefined) return null;
  const key = (Array.isArray(value) ? value[0]! : value).trim();
  if (key === "" || key.length > MAX_KEY_LENGTH) {
    throw new ApiError(
      400,
      "invalid_idempotency_key",
      `the Idempotency-Key header must be 1 to ${MAX_KEY_LENGTH} characters`,
    );
  }
  return key;
}

/** Stores a reply with the claimed key; `db` may be the transaction that wrote the data. */
export type CompleteKey = (db: Db, reply: Reply) => Promise<void>;

export interface Idempotency {
  /**
   * Runs `handle` once per key and request. `handle` calls `complete` inside its write's
   * transaction for a success; any other stored outcome (422) is recorded here afterwards.
   */
  run(
    apiKeyId: number,
    key: string,
    request: { method: string; path: string; body: Buffer },
    handle: (complete: CompleteKey) => Promise<Reply>,
  ): Promise<Reply>;
}

export function createIdempotency(o: { prisma: PrismaClient; log: Logger }): Idempotency {
  let lastPrune = 0;
  const prune = () => {
    if (Date.now() - lastPrune < PRUNE_EVERY_MS) return;
    lastPrune = Date.now();
    pruneIdempotencyKeys(o.prisma, new Date(Date.now() - IDEMPOTENCY_TTL_SECONDS * 1000)).then(
      (count) => (count > 0 ? o.log.info("pruned expired idempotency keys", { count }) : undefined),
      (e: unknown) => o.log.warn("pruning idempotency keys failed", { error: (e as Error).message }),
    );
  };

  return {
    run: async (apiKeyId, key, request, handle) => {
      prune();
      const requestHash = createHash("sha256")
        .update(`${request.method} ${request.path}\n`)
        .update(request.body)
        .digest("hex");
      const claim = await claimIdempotencyKey(o.prisma, apiKeyId, key, requestHash, {
        ttlSeconds: IDEMPOTENCY_TTL_SECONDS,
        abandonedAfterSeconds: ABANDONED_AFTER_SECONDS,
      });
      if (!claim.claimed) {
        const { existing } = claim;
        if (existing.requestHash !== requestHash)
          throw new ApiError(
            422,
            "idempotency_key_reused",
            "this Idempotency-Key was used with another request in the last 24 hours: use a new key for a new request",
          );
        if (existing.status === null)
          throw new ApiError(
            409,
            "idempotency_key_in_progress",
            "a request with this Idempotency-Key is still in progress: retry later",
          );
        return {
          status: existing.status,
          body: existing.response,
          headers: { "idempotent-replayed": "true" },
        };
      }
      let completed = false;
      const complete: CompleteKey = async (db, reply) => {
        await completeIdempotencyKey(db, apiKeyId, key, reply.status, reply.body as Prisma.InputJsonValue);
        completed = true;
      };
      try {
        const reply = await handle(complete);
        if (!completed) await complete(o.prisma, reply);
        return reply;
      } catch (e) {
        // An ApiError here is a 422 of the request's own making: a retry gets it again.
        if (e instanceof ApiError && e.status === 422) {
          await complete(o.prisma, { status: e.status, body: e.body });
          throw e;
        }
        await releaseIdempotencyKey(o.prisma, apiKeyId, key).catch((err: unknown) =>
          o.log.warn("releasing an idempotency key failed", { error: (err as Error).message }),
        );
        throw e;
      }
    },
  };
}
