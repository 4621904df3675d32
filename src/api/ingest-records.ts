// POST /api/v1/{accounts,metrics,responses}: one batch of records in the file formats' shapes.
// Auth, then the body (JSON, within the byte and record limits), the rate limit, the
// Idempotency-Key, one validation pass and one bulk write; all or nothing.
import type { IncomingMessage } from "node:http";
import type { ApiConfig } from "../config/env.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { RecordKind } from "../ingest/record-schemas.ts";
import type { Logger } from "../log.ts";
import { ingestRecords } from "../metrics/registry.ts";
import type { ApiKeyIdentity } from "../services/api-keys.ts";
import { ingestBatch, type IngestCounts, type RecordIssue } from "../services/ingest-batch.ts";
import type { Admission } from "./admission.ts";
import { ApiError } from "./api-error.ts";
import { authenticate } from "./auth.ts";
import { readBody, requireJson, type Reply } from "./http.ts";
import { idempotencyKeyOf, type CompleteKey, type Idempotency } from "./idempotency.ts";
import type { ParseThreads } from "./parse-threads.ts";
import type { RateLimiter } from "./rate-limit.ts";

/** Issues listed in a 422 reply; past this only their number is given. */
export const MAX_LISTED_ERRORS = 1000;

export interface IngestDeps {
  prisma: PrismaClient;
  log: Logger;
  config: ApiConfig;
  rateLimiter: RateLimiter;
  idempotency: Idempotency;
  /** Turns for bodies: read, parse and write at most a few at once (503 past the queue). */
  admission: Admission;
  /** JSON parsing and validation, off the event loop. */
  parser: ParseThreads;
}

export async function handleIngest(
  deps: IngestDeps,
  req: IncomingMessage,
  path: string,
  kind: RecordKind,
): Promise<Reply> {
  const started = performance.now();
  const identity = await authenticate(deps.prisma, req);
  requireJson(req);
  return deps.admission.run(() => ingestBody(deps, req, path, kind, identity, started));
}

async function ingestBody(
  deps: IngestDeps,
  req: IncomingMessage,
  path: string,
  kind: RecordKind,
  identity: ApiKeyIdentity,
  started: number,
): Promise<Reply> {
  const body = await readBody(req, deps.config.maxBodyBytes);
  // Parsed and validated in one pass on a thread; the validation is only used once the rate limit
  // and the Idempotency-Key have let the request through, so the replies are as before.
  const checked = await deps.parser.check(kind, body);
  await deps.rateLimiter.consume(identity.apiKeyId, checked.count);
  const key = idempotencyKeyOf(req);
  const ingest = async (complete: CompleteKey | null): Promise<Reply> => {
    const outcome = await ingestBatch(deps.prisma, identity.workspaceId, kind, checked.records, {
      issues: checked.issues,
      onWritten: complete ? (tx, counts) => complete(tx, success(counts)) : undefined,
    });
    if (!outcome.written) {
      ingestRecords.inc({ kind, outcome: "refused" }, checked.count);
      throw invalidRecords(outcome.issues);
    }
    ingestRecords.inc({ kind, outcome: "accepted" }, checked.records.length);
    deps.log.info("api ingest", {
      kind,
      workspace_id: identity.workspaceId,
      key: identity.prefix,
      records: checked.count,
      ms: Math.round(performance.now() - started),
    });
    return success(outcome.counts);
  };
  return key === null
    ? ingest(null)
    : deps.idempotency.run(identity.apiKeyId, key, { method: "POST", path, body }, ingest);
}

function success(counts: IngestCounts): Reply {
  return { status: 200, body: counts };
}

function invalidRecords(issues: readonly RecordIssue[]): ApiError {
  const invalid = new Set(issues.map((i) => i.index)).size;
  return new ApiError(
    422,
    "invalid_records",
    `${invalid} invalid record${invalid === 1 ? "" : "s"}; nothing was written`,
    {
      invalid_records: invalid,
      errors: issues.slice(0, MAX_LISTED_ERRORS),
      errors_omitted: Math.max(0, issues.length - MAX_LISTED_ERRORS),
    },
  );
}
