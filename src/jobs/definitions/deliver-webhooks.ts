// Sends a workspace's due webhook calls (services/plays/webhooks.ts), fired every minute by its
// `webhooks-ws-<id>` scheduler. Each delivery keeps its own tries and backoff in its row, so this
// job retries only faults of its own (the database), briefly: the next fire is a minute away.
import { UnrecoverableError } from "bullmq";
import { z } from "zod";
import { KnownError } from "../../errors.ts";
import { openWebhookSecret } from "../../services/plays/webhook-secret.ts";
import { deliverDueWebhooks } from "../../services/plays/webhooks.ts";
import { defineJob } from "../define-job.ts";

export const deliverWebhooksPayload = z.object({
  workspaceId: z.number().int().positive(),
});

export const deliverWebhooksJob = defineJob({
  name: "deliver-webhooks",
  queue: "notify",
  payload: deliverWebhooksPayload,
  attempts: 3,
  backoffMs: 5000,
  handler: async (p, { prisma, secretBox }) => {
    const workspace = await prisma.workspace.findFirst({ where: { id: p.workspaceId, deletedAt: null } });
    if (!workspace) throw new UnrecoverableError(`workspace ${p.workspaceId} no longer exists`);
    // A secret that cannot be opened (no key, the wrong key) holds the deliveries, saying why in
    // the delivery log, rather than failing every minute's job.
    let secret: Buffer | null = null;
    let noSecretReason: string | undefined;
    try {
      secret = await openWebhookSecret(prisma, secretBox ?? null, workspace.id);
    } catch (error) {
      if (!(error instanceof KnownError)) throw error;
      noSecretReason = `the webhook secret cannot be opened: ${error.message}`;
    }
    return deliverDueWebhooks(prisma, workspace.id, {
      secret,
      ...(noSecretReason ? { noSecretReason } : {}),
    });
  },
});
