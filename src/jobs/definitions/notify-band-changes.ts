// After a run: turns its band changes into at-risk cases and thread messages (notify queue, so a
// slow Slack never holds up a recompute). One job per run (job id notify-<runId>); running it again
// changes nothing already reported.
import { DelayedError, UnrecoverableError } from "bullmq";
import { z } from "zod";
import { readSettings } from "../../config/workspace-settings.ts";
import { audit } from "../../db/repositories/audit-log.ts";
import { localDay } from "../../domain/schedule/slots.ts";
import { reportBandChanges } from "../../services/at-risk-cases.ts";
import { SlackPermanentError, SlackRateLimitedError } from "../../slack/slack-errors.ts";
import { defineJob } from "../define-job.ts";

export const notifyBandChangesPayload = z.object({
  workspaceId: z.number().int().positive(),
  runId: z.string().regex(/^\d+$/),
});

export const notifyBandChanges = defineJob({
  name: "notify-band-changes",
  queue: "notify",
  payload: notifyBandChangesPayload,
  attempts: 10,
  backoffMs: 2000,
  handler: async (p, { prisma, slack, job }) => {
    const workspace = await prisma.workspace.findFirst({ where: { id: p.workspaceId, deletedAt: null } });
    if (!workspace) throw new UnrecoverableError(`workspace ${p.workspaceId} no longer exists`);
    const client = slack ? await slack.forWorkspace(workspace) : null;
    const today = localDay(new Date(), readSettings(workspace.settings).timezone);
    try {
      return await reportBandChanges(prisma, workspace.id, BigInt(p.runId), client, today);
    } catch (error) {
      if (error instanceof SlackRateLimitedError && job.token) {
        // Slack said when to come back: the queue waits, not a sleeping worker (and not an attempt).
        await job.moveToDelayed(Date.now() + error.retryAfterMs, job.token);
        throw new DelayedError();
      }
      if (error instanceof SlackPermanentError) {
        await audit(prisma, workspace.id, {
          actor: "css-bot",
          action: "slack.delivery_failed",
          details: { method: error.method, error: error.slackError, channel: error.channel ?? null },
        });
        throw new UnrecoverableError(error.message);
      }
      throw error;
    }
  },
});
