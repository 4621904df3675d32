// One sync of one connector (sync queue), fired by the connector's scheduler (`sync-conn-<id>`) or
// enqueued by `css-bot connectors sync` with a slot of its own. Refused credentials and broken
// settings fail the job for good (the connector shows why); an unavailable source is retried with
// backoff, each attempt resuming from the last committed page.
import { UnrecoverableError } from "bullmq";
import { z } from "zod";
import { isPermanent, runSync } from "../../connectors/sync-runner.ts";
import { slotKey } from "../../domain/schedule/slots.ts";
import { fireConnectorPlays } from "../../services/plays/connector-plays.ts";
import { defineJob } from "../define-job.ts";

export const connectorSyncPayload = z.object({
  workspaceId: z.number().int().positive(),
  connectorId: z.number().int().positive(),
  /** Set for manual syncs; a scheduled fire takes the slot it was due for. */
  slot: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .optional(),
});

/** The job id of a connector's sync in a slot: the same slot enqueued twice runs once. */
export function connectorSyncJobId(connectorId: number, slot: string): string {
  return `sync-${connectorId}-${slot}`;
}

export const connectorSync = defineJob({
  name: "connector-sync",
  queue: "sync",
  payload: connectorSyncPayload,
  // 1, 2, 4, 8 minutes apart (with jitter): an outage of a quarter of an hour is ridden out.
  attempts: 5,
  backoffMs: 60_000,
  handler: async (p, { prisma, slack, secretBox, job }) => {
    const slot = p.slot ?? slotKey(new Date(job.opts.prevMillis ?? job.timestamp));
    try {
      const result = await runSync({ prisma, box: secretBox ?? null, slack }, p.connectorId, {
        workspaceId: p.workspaceId,
        trigger: p.slot ? "manual" : "schedule",
      });
      const { rejections: _rejections, ...summary } = result;
      return { slot, ...summary };
    } catch (error) {
      const permanent = isPermanent(error);
      // The sync failed for good (no retry can fix it, or this was the last try): connector_failed
      // plays fire, once a day per connector. A failure a retry rides out is no news.
      if (permanent || job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
        const connector = await prisma.connectorConfig.findFirst({
          where: { id: p.connectorId, workspaceId: p.workspaceId },
        });
        if (connector) {
          await fireConnectorPlays(prisma, p.workspaceId, {
            id: connector.id,
            name: connector.name,
            kind: connector.kind,
            error: (error as Error).message,
          });
        }
      }
      if (permanent) throw new UnrecoverableError((error as Error).message);
      throw error;
    }
  },
});
