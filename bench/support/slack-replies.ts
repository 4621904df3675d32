// What a `/css <query>` reply was, told from the message itself (src/slack/blocks): the account
// card ends with its "Share in channel" button, a list offers a "Show" button per account, "no
// match" is noMatchMessage. A reply not ready within the ack budget (src/slack/listeners/commands/
// css.ts) is acked with a "Looking it up…" notice and sent to the response URL afterwards. A request
// not acked within 3 s gets Bolt's empty 404 (Slack then shows the user a timeout).
import { noMatchMessage } from "../../src/slack/blocks/replies.ts";
import { ACTIONS } from "../../src/slack/ids.ts";

/** What a target must answer: the real app a reply in the ack, the floor an empty 200. */
export type Expect = "reply" | "empty";

/**
 * card / list / none / deferred for the app; empty for the floor; anything else is a failure:
 * timeout (no ack within 3 s) or failed.
 */
export type Outcome = "card" | "list" | "none" | "deferred" | "empty" | "timeout" | "failed";

/** The notice css.ts acks with when the reply is not ready in time. */
const DEFERRED_TEXT = "Looking it up…";

/** The outcome of one HTTP reply, and why it is a failure when it is one. */
export function classifyAck(
  expect: Expect,
  query: string,
  reply: { status: number; text: string },
): [Outcome, string | undefined] {
  if (reply.status === 404 && reply.text === "") return ["timeout", "not acked within 3 s (Bolt's 404)"];
  if (reply.status !== 200) return ["failed", `HTTP ${reply.status} ${reply.text.slice(0, 200)}`];
  if (expect === "empty") {
    return reply.text === "" ? ["empty", undefined] : ["failed", `expected no body, got ${reply.text}`];
  }
  let message: unknown;
  try {
    message = JSON.parse(reply.text);
  } catch {
    return ["failed", `not JSON: ${reply.text.slice(0, 200)}`];
  }
  if (isRecord(message) && message.text === DEFERRED_TEXT) return ["deferred", undefined];
  return classifyMessage(query, message);
}

/** A reply message (in the ack or posted to the response URL): card, list or "no match". */
export function classifyMessage(query: string, message: unknown): [Outcome, string | undefined] {
  const text = JSON.stringify(message).slice(0, 200);
  if (!isRecord(message) || message.response_type !== "ephemeral")
    return ["failed", `not ephemeral: ${text}`];
  const blocks = JSON.stringify(message.blocks ?? []);
  if (blocks.includes(`"action_id":"${ACTIONS.shareCard}"`)) return ["card", undefined];
  if (blocks.includes(`"action_id":"${ACTIONS.showAccount}_`)) return ["list", undefined];
  if (message.text === noMatchMessage(query).text) return ["none", undefined];
  return ["failed", `neither a card, a list nor "no match": ${text}`];
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
