// The key plays' webhooks are signed with, one per workspace: created or rotated by
// `css-bot webhook-secret` (shown once), stored sealed with CSS_ENCRYPTION_KEY, opened by the
// deliver-webhooks job. The HMAC key is the secret's text exactly as printed.
import { KnownError } from "../../errors.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { SecretBox } from "../../security/secret-box.ts";
import { workspaceSecretOf } from "../workspace-secret.ts";

export class WebhookSecretExistsError extends KnownError {
  readonly code = "WEBHOOK_SECRET_EXISTS";
}

const webhookSecret = workspaceSecretOf({
  field: "webhookSecret",
  name: "webhook-secret",
  what: "the webhook signing secret",
  exists: (raced) =>
    new WebhookSecretExistsError(
      raced
        ? "another command set the webhook signing secret meanwhile"
        : "the workspace has a webhook signing secret already: `css-bot webhook-secret --rotate` replaces it (then update every receiver)",
    ),
});

export const webhookSecretContext = webhookSecret.context;
export const createWebhookSecret = webhookSecret.create;

/** The HMAC key (the secret's characters as UTF-8), or null when none was created. */
export async function openWebhookSecret(
  prisma: PrismaClient,
  box: SecretBox | null,
  workspaceId: number,
): Promise<Buffer | null> {
  const secret = await webhookSecret.open(prisma, box, workspaceId);
  return secret === null ? null : Buffer.from(secret, "utf8");
}
