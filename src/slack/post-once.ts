// Exactly once toward Slack when a call's answer is lost. A chat.postMessage that timed out (or whose
// connection broke, or that got a 5xx) may have been posted all the same: sending it again is how a
// case's thread or a digest appeared two or three times. So every post that must not be doubled
// carries message metadata naming what it is (a case's thread, a reply, a digest's part...), and its
// try is recorded, durably and before the call, by the caller's row. A later try (a retried job,
// another process after a crash) that finds a try recorded first looks for the message by its
// metadata in the channel or thread since that try, and adopts its ts instead of posting again.
//
// What is left: a message Slack stores later than the next try's look (after the job's backoff) is
// still sent twice, and without channels:history / groups:history nothing can be looked up, so the
// post is sent again as before (said once in the log; `css-bot doctor` warns).
import type { PostMetadata, SentMessage, WorkspaceSlack } from "./gateway.ts";
import { deliveryUnknown } from "./slack-errors.ts";

/** What postOnce needs of Slack: the gateway's post and look-up. */
export type OnceSlack = Pick<WorkspaceSlack, "postMessage" | "findPosted">;

/** The record of an earlier try, kept by the row whose message it is. */
export interface PostAttempt {
  /** When an earlier try whose outcome is unknown was sent; null when there is none. */
  at: Date | null;
  /** Where that try was sent, when the message may now go elsewhere (a case's alert channel changed). */
  channel?: string | null;
  /** Records, before the call, that a try is sent at this time. */
  begin(at: Date): Promise<unknown>;
  /** Forgets the try: Slack said no (refused, rate limited) or was never reached, so nothing was posted. */
  forget(): Promise<unknown>;
}

export type PostArgs = Omit<Parameters<WorkspaceSlack["postMessage"]>[0], "metadata">;

/**
 * Posts `message` with `metadata` unless an earlier try of it reached Slack. Returns the message's
 * channel and ts, and whether it was found rather than posted.
 */
export async function postOnce(
  slack: OnceSlack,
  message: PostArgs,
  metadata: PostMetadata,
  attempt: PostAttempt,
  now: Date = new Date(),
): Promise<SentMessage & { found: boolean }> {
  if (attempt.at) {
    const found = await slack.findPosted({
      channel: attempt.channel ?? message.channel,
      threadTs: message.thread_ts,
      since: attempt.at,
      metadata,
    });
    if (found) return { ...found, found: true };
    // Not there: sent again, and the first try's time kept, so a look after this one covers both.
  } else {
    await attempt.begin(now);
  }
  try {
    return { ...(await slack.postMessage({ ...message, metadata })), found: false };
  } catch (error) {
    if (!deliveryUnknown(error)) await attempt.forget();
    throw error;
  }
}

// The metadata of each kind of message the workers post (event types are lower case with _, as Slack's
// design guidelines ask). Ids are strings: a case or digest id is a bigint.

/** A case's thread parent. */
export const caseThreadMetadata = (caseId: bigint): PostMetadata => ({
  event_type: "css_case",
  event_payload: { case_id: String(caseId), part: "thread" },
});

/** A reply in a case's thread, by the id its outbox gave it. */
export const caseReplyMetadata = (caseId: bigint, replyId: string): PostMetadata => ({
  event_type: "css_case",
  event_payload: { case_id: String(caseId), part: "reply", reply_id: replyId },
});

/** The day's notice of cases waiting for a thread. */
export const backlogNoticeMetadata = (workspaceId: number, day: string): PostMetadata => ({
  event_type: "css_backlog",
  event_payload: { workspace_id: workspaceId, day },
});

/** One message (part, from 0) of a digest. */
export const digestMetadata = (digestId: bigint, part: number): PostMetadata => ({
  event_type: "css_digest",
  event_payload: { digest_id: String(digestId), part },
});
