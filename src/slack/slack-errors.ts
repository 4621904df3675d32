// The three ways a Slack Web API call can fail, as the queue needs to know them: a permanent refusal
// (retrying cannot help, so the job stops and an admin is told), a rate limit (the job waits for
// Retry-After), or a transient fault (the job retries with backoff). Whatever @slack/web-api threw
// becomes one of them in classifySlackError. Messages carry the method, Slack's error code and the
// channel, never a token or message text.
import { ErrorCode } from "@slack/web-api";
import { KnownError } from "../errors.ts";

export class SlackPermanentError extends KnownError {
  readonly code = "SLACK_PERMANENT";

  constructor(
    readonly method: string,
    readonly slackError: string,
    readonly channel?: string,
    options?: ErrorOptions,
  ) {
    super(`Slack refused ${method}: ${slackError}${channel ? ` (channel ${channel})` : ""}`, options);
  }
}

export class SlackRateLimitedError extends Error {
  constructor(
    readonly method: string,
    readonly retryAfterMs: number,
    options?: ErrorOptions,
  ) {
    super(`Slack rate limit on ${method}: retry in ${retryAfterMs} ms`, options);
    this.name = new.target.name;
  }
}

export class SlackTransientError extends Error {
  constructor(
    readonly method: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`Slack ${method} failed: ${message}`, options);
    this.name = new.target.name;
  }
}

export type ClassifiedSlackError = SlackPermanentError | SlackRateLimitedError | SlackTransientError;

// Slack's own faults, documented on every method page as errors "likely due to a transient issue on
// our end"; request_timeout means the POST body arrived truncated, and team_added_to_org passes once
// the workspace's migration ends.
const TRANSIENT_PLATFORM_ERRORS = new Set([
  "internal_error",
  "fatal_error",
  "service_unavailable",
  "request_timeout",
  "team_added_to_org",
]);
// When Slack answers {ok:false,error:"ratelimited"} without a Retry-After header.
const DEFAULT_RETRY_AFTER_MS = 1000;

/** Turns whatever WebClient threw into one of the three. */
export function classifySlackError(method: string, error: unknown, channel?: string): ClassifiedSlackError {
  if (isClassified(error)) return error;
  const cause = { cause: error };
  const e = (typeof error === "object" && error !== null ? error : {}) as SlackErrorShape;
  switch (e.code) {
    case ErrorCode.RateLimitedError:
      return new SlackRateLimitedError(method, secondsToMs(e.retryAfter), cause);
    case ErrorCode.PlatformError: {
      const slackError = typeof e.data?.error === "string" ? e.data.error : "unknown_error";
      if (slackError === "ratelimited") {
        return new SlackRateLimitedError(method, secondsToMs(e.data?.response_metadata?.retryAfter), cause);
      }
      if (TRANSIENT_PLATFORM_ERRORS.has(slackError))
        return new SlackTransientError(method, slackError, cause);
      return new SlackPermanentError(method, slackError, channel, cause);
    }
    // Arguments files.uploadV2 rejects before calling Slack: the same call fails the same way again.
    case ErrorCode.FileUploadInvalidArgumentsError:
    case ErrorCode.FileUploadReadFileDataError:
      return new SlackPermanentError(method, e.code, channel, cause);
    case ErrorCode.HTTPError:
      return new SlackTransientError(method, `HTTP ${e.statusCode ?? "error"}`, cause);
    case ErrorCode.RequestError:
      return new SlackTransientError(method, requestFailure(e.original), cause);
    default:
      return new SlackTransientError(method, error instanceof Error ? error.message : String(error), cause);
  }
}

/** fetch's "fetch failed" with its cause: "fetch failed (connect ECONNREFUSED 127.0.0.1:1)". */
function requestFailure(original: SlackErrorShape["original"]): string {
  const message = original?.message ?? "request failed";
  const cause = original?.cause?.message;
  return typeof cause === "string" && cause !== "" && !message.includes(cause)
    ? `${message} (${cause})`
    : message;
}

interface SlackErrorShape {
  code?: unknown;
  retryAfter?: unknown;
  statusCode?: number;
  original?: { message?: string; cause?: { message?: unknown } };
  data?: { error?: unknown; response_metadata?: { retryAfter?: unknown } };
}

// Failures of a request that never reached a server: nothing can have been posted.
const NOT_SENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/**
 * Whether Slack may have acted on a call that failed: a timeout, a connection reset, an HTTP 5xx, an
 * answer without the ts it promises, or one of Slack's own faults (fatal_error: "some aspect of the
 * operation may have succeeded"). Not when Slack answered that it refused (a permanent error), that
 * it is rate limited (429), or when the connection was never made. A post that failed this way is
 * looked for before it is sent again.
 */
export function deliveryUnknown(error: unknown): boolean {
  if (error instanceof SlackPermanentError || error instanceof SlackRateLimitedError) return false;
  for (let e: unknown = error, depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    const shape = e as { code?: unknown; original?: unknown; cause?: unknown };
    if (typeof shape.code === "string" && NOT_SENT_CODES.has(shape.code)) return false;
    e = shape.original ?? shape.cause;
  }
  return true;
}

function isClassified(error: unknown): error is ClassifiedSlackError {
  return (
    error instanceof SlackPermanentError ||
    error instanceof SlackRateLimitedError ||
    error instanceof SlackTransientError
  );
}

function secondsToMs(seconds: unknown): number {
  return typeof seconds === "number" && Number.isFinite(seconds) && seconds >= 0
    ? Math.round(seconds * 1000)
    : DEFAULT_RETRY_AFTER_MS;
}
