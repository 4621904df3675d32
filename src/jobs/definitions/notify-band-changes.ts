// After a run: turns its band changes into at-risk cases and thread messages (notify queue, so a
// slow Slack never holds up a recompute). One job per run (notifyJobId); running it again changes
// nothing already reported. Without a run (after the alert channel changed), it opens the missing
// cases and delivers what waits.
import { UnrecoverableError } from "bullmq";
import { z } from "zod";
import { workspaceToday } from "../../slack/workspace-today.ts";
import { notifyWatchers } from "../../services/account-watches.ts";
import { escalateUnclaimed, reportBandChanges, wakeSnoozed } from "../../services/at-risk-cases.ts";
import { matchOwners } from "../../services/match-owners.ts";
import { deliverFires } from "../../services/plays/deliver-fires.ts";
import { firePlays } from "../../services/plays/fire-plays.ts";
import { defineJob } from "../define-job.ts";
import { withSlackFailures } from "../slack-failures.ts";

export const notifyBandChangesPayload = z.object({
  workspaceId: z.number().int().positive(),
  runId: z.string().regex(/^\d+$/).optional(),
});

/**
 * A run's notification job id. Run ids restart when a database is re-created and repeat when one is
 * restored from a backup, while the jobs BullMQ keeps in Redis do not: the run's start time (unique to
 * the run's row, kept by its retries) keeps a new run from colliding with an old run's finished job.
 */
export function notifyJobId(run: { id: bigint; startedAt: Date }): string {
  return `notify-${run.id}-${run.startedAt.getTime().toString(36)}`;
}

export const notifyBandChanges = defineJob({
  name: "notify-band-changes",
  queue: "notify",
  payload: notifyBandChangesPayload,
  attempts: 10,
  backoffMs: 2000,
  handler: async (p, { prisma, sql, slack, job }) => {
    const workspace = await prisma.workspace.findFirst({ where: { id: p.workspaceId, deletedAt: null } });
    if (!workspace) throw new UnrecoverableError(`workspace ${p.workspaceId} no longer exists`);
    const client = slack ? await slack.forWorkspace(workspace) : null;
    const today = workspaceToday(workspace);
    return withSlackFailures(prisma, job, workspace.id, async () => ({
      // Which of the playbook's plays fire for this run (recorded once per play, account and day).
      plays: p.runId === undefined ? null : await firePlays({ prisma, sql }, workspace.id, BigInt(p.runId)),
      ...(await reportBandChanges(
        prisma,
        workspace.id,
        p.runId === undefined ? null : BigInt(p.runId),
        client,
        today,
      )),
      // After the cases' threads (so a play's reply finds its case's thread): the fires' messages,
      // webhooks and edge plays' cases.
      fires: await deliverFires(prisma, workspace.id, client, today),
      // Every run also wakes the cases whose snooze is over (a band change may never come)...
      woken: await wakeSnoozed(prisma, workspace.id, client, today),
      // ...and escalates the cases left unclaimed too long (at most once each).
      escalated: await escalateUnclaimed(prisma, workspace.id, client, today),
      watchers:
        p.runId === undefined
          ? null
          : await notifyWatchers(
              prisma,
              workspace.id,
              BigInt(p.runId),
              client && { send: (u, m) => client.sendDm(u, m) },
            ),
      // Last, so the alerts never wait for it: owners' emails matched to Slack users, a few per run,
      // for the mentions, DMs and `/css mine` of the next ones.
      owners: client ? await matchOwners(prisma, workspace.id, client) : null,
    }));
  },
});
