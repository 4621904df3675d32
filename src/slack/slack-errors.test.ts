// Errors built with @slack/web-api's own classes, as WebClient throws them.
import {
  ErrorCode,
  WebAPIFileUploadInvalidArgumentsError,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
} from "@slack/web-api";
import { describe, expect, it } from "vitest";
import { KnownError } from "../errors.ts";
import {
  classifySlackError,
  deliveryUnknown,
  SlackPermanentError,
  SlackRateLimitedError,
  SlackTransientError,
} from "./slack-errors.ts";

const refusal = (error: string, retryAfter?: number) =>
  new WebAPIPlatformError({
    ok: false,
    error,
    response_metadata: retryAfter === undefined ? {} : { retryAfter },
  });

describe("classifySlackError", () => {
  it("turns an HTTP 429 into a rate limit in milliseconds", () => {
    const error = new WebAPIRateLimitedError(30);
    const classified = classifySlackError("chat.postMessage", error, "C1");
    expect(classified).toBeInstanceOf(SlackRateLimitedError);
    expect(classified).toMatchObject({ method: "chat.postMessage", retryAfterMs: 30_000, cause: error });
  });

  it("treats a ratelimited refusal as a rate limit, 1 s when Slack gives no Retry-After", () => {
    expect(classifySlackError("users.info", refusal("ratelimited", 3))).toMatchObject({
      constructor: SlackRateLimitedError,
      retryAfterMs: 3000,
    });
    expect(classifySlackError("users.info", refusal("ratelimited"))).toMatchObject({
      constructor: SlackRateLimitedError,
      retryAfterMs: 1000,
    });
  });

  it.each(["internal_error", "fatal_error", "service_unavailable", "request_timeout", "team_added_to_org"])(
    "treats %s as transient",
    (slackError) => {
      const classified = classifySlackError("chat.update", refusal(slackError), "C1");
      expect(classified).toBeInstanceOf(SlackTransientError);
      expect(classified.message).toBe(`Slack chat.update failed: ${slackError}`);
    },
  );

  it.each([
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "invalid_blocks",
    "invalid_blocks_format",
    "msg_too_long",
    "no_text",
    "account_inactive",
    "invalid_auth",
    "not_authed",
    "token_revoked",
    "token_expired",
    "missing_scope",
    "user_not_found",
    "users_not_found",
    "message_not_found",
    "cant_update_message",
    "thread_not_found",
    "restricted_action",
    "an_error_slack_adds_later",
  ])("treats %s as permanent", (slackError) => {
    const error = refusal(slackError);
    const classified = classifySlackError("chat.postMessage", error, "C123");
    expect(classified).toBeInstanceOf(SlackPermanentError);
    expect(classified).toBeInstanceOf(KnownError);
    expect(classified).toMatchObject({
      code: "SLACK_PERMANENT",
      name: "SlackPermanentError",
      method: "chat.postMessage",
      slackError,
      channel: "C123",
      cause: error,
    });
    expect(classified.message).toBe(`Slack refused chat.postMessage: ${slackError} (channel C123)`);
  });

  it("names no channel when the call had none", () => {
    expect(classifySlackError("users.info", refusal("user_not_found")).message).toBe(
      "Slack refused users.info: user_not_found",
    );
  });

  it("treats HTTP 5xx and request failures (network, timeouts) as transient", () => {
    const http = classifySlackError(
      "chat.postMessage",
      new WebAPIHTTPError(503, "Service Unavailable", {}, ""),
    );
    expect(http).toBeInstanceOf(SlackTransientError);
    expect(http.message).toBe("Slack chat.postMessage failed: HTTP 503");

    const timeout = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    const request = classifySlackError("chat.postMessage", new WebAPIRequestError(timeout));
    expect(request).toBeInstanceOf(SlackTransientError);
    expect(request.message).toBe("Slack chat.postMessage failed: The operation was aborted due to timeout");

    // fetch says only "fetch failed"; its cause says why.
    const refused = new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:1") });
    expect(classifySlackError("auth.test", new WebAPIRequestError(refused)).message).toBe(
      "Slack auth.test failed: fetch failed (connect ECONNREFUSED 127.0.0.1:1)",
    );
  });

  it("treats arguments files.uploadV2 rejects before calling Slack as permanent", () => {
    const error = new WebAPIFileUploadInvalidArgumentsError("Missing valid file upload data");
    expect(classifySlackError("files.uploadV2", error, "C1")).toMatchObject({
      constructor: SlackPermanentError,
      slackError: ErrorCode.FileUploadInvalidArgumentsError,
    });
  });

  it("treats anything else as transient", () => {
    expect(classifySlackError("auth.test", new Error("socket hang up")).message).toBe(
      "Slack auth.test failed: socket hang up",
    );
    expect(classifySlackError("auth.test", "weird")).toBeInstanceOf(SlackTransientError);
    expect(classifySlackError("auth.test", undefined)).toBeInstanceOf(SlackTransientError);
  });

  it("keeps an error already classified, such as the pacer's", () => {
    const paced = new SlackRateLimitedError("chat.postMessage", 2500);
    expect(classifySlackError("chat.postMessage", paced)).toBe(paced);
  });
});

describe("deliveryUnknown", () => {
  const post = (error: unknown) => classifySlackError("chat.postMessage", error, "C1");

  it("is unknown after a timeout, a reset, an HTTP 5xx or Slack's own fault", () => {
    const timeout = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    expect(deliveryUnknown(post(new WebAPIRequestError(timeout)))).toBe(true);
    const reset = new TypeError("fetch failed", {
      cause: Object.assign(new Error("other side closed"), { code: "ECONNRESET" }),
    });
    expect(deliveryUnknown(post(new WebAPIRequestError(reset)))).toBe(true);
    expect(deliveryUnknown(post(new WebAPIHTTPError(502, "Bad Gateway", {}, "")))).toBe(true);
    expect(deliveryUnknown(post(refusal("fatal_error")))).toBe(true);
  });

  it("is known (not posted) when Slack refused, rate limited, or was never reached", () => {
    expect(deliveryUnknown(post(refusal("channel_not_found")))).toBe(false);
    expect(deliveryUnknown(post(new WebAPIRateLimitedError(3)))).toBe(false);
    const refused = new TypeError("fetch failed", {
      cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }),
    });
    expect(deliveryUnknown(post(new WebAPIRequestError(refused)))).toBe(false);
  });
});
