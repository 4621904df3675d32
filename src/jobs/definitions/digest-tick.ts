// Fired by each workspace's digest schedule (its local digest time on its digest days): posts the
// day's digest, once per channel and day (services/post-digest).
import { UnrecoverableError } from "bullmq";
import { z } from "zod";
import { readSettings } from "../../config/workspace-settings.ts";
import { localDay } from "../../domain/schedule/slots.ts";
import { postDigest } from "../../services/post-digest.ts";
import { defineJob } from "../define-job.ts";
import { withSlackFailures } from "../slack-failures.ts";

export const digestTickPayload = z.object({
  workspaceId: z.number().int().positive(),
  /** Set by `css-bot digest --now`; a scheduled fire takes the local day it was due for. */
  localDate: z.number().int().optional(),
});

export const digestTick = defineJob({
  name: "digest-tick",
  queue: "notify",
  payload: digestTickPayload,
  attempts: 8,
  backoffMs: 5000,
  handler: async (p, { prisma, slack, job }) => {
    const workspace = await prisma.workspace.findFirst({ where: { id: p.workspaceId, deletedAt: null } });
    if (!workspace) throw new UnrecoverableError(`workspace ${p.workspaceId} no longer exists`);
    const fireAt = new Date(job.opts.prevMillis ?? job.timestamp);
    const day = p.localDate ?? localDay(fireAt, readSettings(workspace.settings).timezone);
    const client = slack ? await slack.forWorkspace(workspace) : null;
    return withSlackFailures(prisma, job, workspace.id, () => postDigest(prisma, workspace.id, day, client));
  },
});
