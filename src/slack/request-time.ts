// Bolt refuses a signed request dated more than 5 minutes in the past, but not one dated ahead:
// a request signed for next week (a leaked body and signature, or a sender with a wrong clock)
// would be accepted until then. The timestamp is a header and the signature covers it, so this
// check needs no body; Bolt still reads and verifies the body itself.
import type { IncomingMessage } from "node:http";

/** Slack's window, the one Bolt applies to the past. */
export const REQUEST_TIMESTAMP_SKEW_SECONDS = 5 * 60;

/** True when the request's X-Slack-Request-Timestamp is more than 5 minutes ahead of `nowMs`. */
export function isFromTheFuture(req: IncomingMessage, nowMs = Date.now()): boolean {
  const header = req.headers["x-slack-request-timestamp"];
  const timestamp = Number(Array.isArray(header) ? header[0] : header);
  return Number.isFinite(timestamp) && timestamp > Math.floor(nowMs / 1000) + REQUEST_TIMESTAMP_SKEW_SECONDS;
}
