// What a job does when Slack refuses: one policy for every job that posts.
//   rate limited  the job waits in the queue for Slack's Retry-After (not an attempt, no sleeping worker)
//   permanent     recorded in the audit log for the admins, and not retried (UnrecoverableError)
//   anything else rethrown: the queue retries it with backoff
import { DelayedError, UnrecoverableError, type Job } from "bullmq";
import { audit } from "../db/repositories/audit-log.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { SlackPermanentError, SlackRateLimitedError } from "../slack/slack-errors.ts";

export async function withSlackFailures<T>(
  prisma: PrismaClient,
  job: Job,
  workspaceId: number,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof SlackRateLimitedError && job.token) {
      await job.moveToDelayed(Date.now() + error.retryAfterMs, job.token);
      throw new DelayedError();
    }
    if (error instanceof SlackPermanentError) {
      await audit(prisma, workspaceId, {
        actor: "css-bot",
        action: "slack.delivery_failed",
        details: { method: error.method, error: error.slackError, channel: error.channel ?? null },
      });
      throw new UnrecoverableError(error.message);
    }
    throw error;
  }
}
