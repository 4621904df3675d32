// The ingest API, mounted by the web process under /api/: routes, and the one place that turns an
// ApiError into its reply and any other failure into a 500 with an id to find it in the log.
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Redis } from "ioredis";
import { DEFAULT_API_CONCURRENCY, DEFAULT_API_QUEUE, type ApiConfig } from "../config/env.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { RecordKind } from "../ingest/record-schemas.ts";
import type { Logger } from "../log.ts";
import type { SecretBox } from "../security/secret-box.ts";
import { createAdmission } from "./admission.ts";
import { ApiError } from "./api-error.ts";
import { send, type Reply } from "./http.ts";
import { createIdempotency } from "./idempotency.ts";
import { handleIngest } from "./ingest-records.ts";
import { defaultParseThreads, startParseThreads } from "./parse-threads.ts";
import { createRateLimiter } from "./rate-limit.ts";
import { handleTrack, type TrackDeps } from "./track.ts";

export type ApiHandler = ((req: IncomingMessage, res: ServerResponse) => void) & {
  /** Stops the parse threads. */
  close(): Promise<void>;
};

const ROUTES = new Map<string, RecordKind>([
  ["/api/v1/accounts", "accounts"],
  ["/api/v1/metrics", "metrics"],
  ["/api/v1/responses", "responses"],
]);
const TRACK_PATH = "/api/v1/track";

export function createApiRouter(o: {
  prisma: PrismaClient;
  redis: Redis;
  log: Logger;
  config: ApiConfig;
  /** Prefix of the rate limiter's Redis keys (the install's queue prefix). */
  keyPrefix: string;
  /** Opens the workspaces' track signing secrets (CSS_ENCRYPTION_KEY); without it /track answers 503. */
  box?: SecretBox | null;
}): ApiHandler {
  const concurrency = o.config.concurrency ?? DEFAULT_API_CONCURRENCY;
  const parser = startParseThreads({
    threads: o.config.parseThreads ?? defaultParseThreads(concurrency),
    heapMb: o.config.parseHeapMb,
  });
  const deps: TrackDeps = {
    prisma: o.prisma,
    box: o.box ?? null,
    log: o.log,
    config: o.config,
    rateLimiter: createRateLimiter({
      redis: o.redis,
      keyPrefix: `${o.keyPrefix}:api-rate`,
      perMinute: o.config.rateLimitPerMinute,
    }),
    idempotency: createIdempotency({ prisma: o.prisma, log: o.log }),
    admission: createAdmission({ concurrency, queue: o.config.queue ?? DEFAULT_API_QUEUE }),
    parser,
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    void route(deps, req).then(
      (reply) => send(req, res, reply),
      (error: unknown) => send(req, res, failure(o.log, req, error)),
    );
  };
  return Object.assign(handle, { close: () => parser.close() });
}

async function route(deps: TrackDeps, req: IncomingMessage): Promise<Reply> {
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  const kind = ROUTES.get(path);
  if (kind === undefined && path !== TRACK_PATH)
    throw new ApiError(404, "not_found", `no such endpoint: ${path}`);
  if (req.method !== "POST")
    throw new ApiError(405, "method_not_allowed", `${path} takes POST`, {}, { allow: "POST" });
  return kind === undefined ? handleTrack(deps, req, path) : handleIngest(deps, req, path, kind);
}

function failure(log: Logger, req: IncomingMessage, error: unknown): Reply {
  if (error instanceof ApiError) return { status: error.status, body: error.body, headers: error.headers };
  const id = randomBytes(4).toString("hex");
  log.error("api request failed", {
    id,
    method: req.method,
    path: req.url,
    error: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
  return { status: 500, body: { error: "internal", message: `unexpected failure (id ${id}); retry later` } };
}
