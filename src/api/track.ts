// POST /api/v1/track: Segment track events (one, or `{"batch": [...]}`) to usage metrics.
// The API key names the workspace, and the raw body must carry the workspace's X-Signature. Unlike
// the ingest endpoints a batch is not all or nothing: Segment retries what is not 2xx, so a batch
// with some usable events is written and answered 200 with what was rejected; 422 only when
// nothing in it is usable, and nothing is written then. A server without CSS_ENCRYPTION_KEY cannot
// open the secret: 503 saying so (the server's setup, not a fault that passes by itself).
import type { IncomingMessage } from "node:http";
import { EncryptionKeyMissingError } from "../connectors/secrets.ts";
import type { SecretBox } from "../security/secret-box.ts";
import type { ApiKeyIdentity } from "../services/api-keys.ts";
import { recordTrackActivity, type TrackOutcome } from "../services/track-activity.ts";
import { openTrackSecret } from "../services/track-secret.ts";
import type { RecordIssue } from "../services/ingest-batch.ts";
import { ApiError } from "./api-error.ts";
import { authenticate } from "./auth.ts";
import { readBody, requireJson, type Reply } from "./http.ts";
import { idempotencyKeyOf, type CompleteKey } from "./idempotency.ts";
import { MAX_LISTED_ERRORS, type IngestDeps } from "./ingest-records.ts";
import { checkTrackEvents, parseTrackBody } from "./track-events.ts";
import { verifySignature } from "./track-signature.ts";

export interface TrackDeps extends IngestDeps {
  box: SecretBox | null;
}

export async function handleTrack(deps: TrackDeps, req: IncomingMessage, path: string): Promise<Reply> {
  const started = performance.now();
  const identity = await authenticate(deps.prisma, req);
  requireJson(req);
  return deps.admission.run(() => trackBody(deps, req, path, identity, started));
}

async function trackBody(
  deps: TrackDeps,
  req: IncomingMessage,
  path: string,
  identity: ApiKeyIdentity,
  started: number,
): Promise<Reply> {
  const body = await readBody(req, deps.config.maxBodyBytes);
  const secret = await openTrackSecret(deps.prisma, deps.box, identity.workspaceId).catch((e: unknown) => {
    deps.log.error("the track signing secret cannot be opened", {
      workspace_id: identity.workspaceId,
      ...(e instanceof EncryptionKeyMissingError ? { error: "CSS_ENCRYPTION_KEY is not set" } : {}),
    });
    if (e instanceof EncryptionKeyMissingError) throw new ApiError(503, "encryption_key_missing", NO_KEY);
    throw e;
  });
  if (secret === null || !verifySignature(secret, body, req.headers["x-signature"]))
    throw new ApiError(
      401,
      "bad_signature",
      secret === null
        ? "the workspace has no track signing secret: create one with `css-bot track-secret`"
        : "X-Signature must be the hex HMAC-SHA1 of the body under the workspace's track signing secret",
    );
  const items = parseTrackBody(body);
  await deps.rateLimiter.consume(identity.apiKeyId, items.length);
  const key = idempotencyKeyOf(req);
  const track = async (complete: CompleteKey | null): Promise<Reply> => {
    const checked = checkTrackEvents(items);
    const reply = (outcome: TrackOutcome | null) =>
      summary(checked.ignored, [...checked.issues, ...(outcome?.issues ?? [])], outcome);
    const outcome =
      checked.activities.length === 0
        ? null
        : await recordTrackActivity(deps.prisma, identity.workspaceId, checked.activities, {
            onWritten: complete ? (tx, o) => complete(tx, reply(o)) : undefined,
          });
    const result = reply(outcome);
    deps.log.info("api track", {
      workspace_id: identity.workspaceId,
      key: identity.prefix,
      events: items.length,
      metrics: outcome?.metrics ?? 0,
      superseded: outcome?.superseded ?? 0,
      status: result.status,
      ms: Math.round(performance.now() - started),
    });
    if (result.status !== 200) throw new ApiError(422, "invalid_events", noneUsable(result), result.body);
    return result;
  };
  return key === null
    ? track(null)
    : deps.idempotency.run(identity.apiKeyId, key, { method: "POST", path, body }, track);
}

const NO_KEY =
  "the server has no CSS_ENCRYPTION_KEY, and the workspace's track signing secret is stored encrypted " +
  "with it: the server's operator must set the key it was stored with and restart";

type TrackCounts = {
  accepted: number;
  ignored: number;
  rejected: number;
  /** Usage metrics recounted but not written: another source's value for the day ranks above. */
  superseded: number;
  errors: RecordIssue[];
  errors_omitted: number;
};

/** 200 with the counts, or 422 when events were rejected and none accepted. */
function summary(
  ignored: number,
  issues: RecordIssue[],
  outcome: TrackOutcome | null,
): Reply & { body: TrackCounts } {
  const accepted = outcome?.accepted ?? 0;
  issues.sort((a, b) => a.index - b.index);
  const rejected = new Set(issues.map((i) => i.index)).size;
  return {
    status: rejected > 0 && accepted === 0 ? 422 : 200,
    body: {
      accepted,
      ignored,
      rejected,
      superseded: outcome?.superseded ?? 0,
      errors: issues.slice(0, MAX_LISTED_ERRORS),
      errors_omitted: Math.max(0, issues.length - MAX_LISTED_ERRORS),
    },
  };
}

function noneUsable(reply: { body: TrackCounts }): string {
  const n = reply.body.rejected;
  return `${n} invalid event${n === 1 ? "" : "s"} and none usable; nothing was written`;
}
