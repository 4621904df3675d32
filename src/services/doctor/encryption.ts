// CSS_ENCRYPTION_KEY: set wherever something is stored sealed with it (OAuth installations, connector
// credentials, the track webhook's secret, plays' webhook secret), and the key they were sealed with.
import { openConnectorSecret } from "../../connectors/secrets.ts";
import type { SecretBox } from "../../security/secret-box.ts";
import { installationContext } from "../../slack/installation-store.ts";
import { webhookSecretContext } from "../plays/webhook-secret.ts";
import { trackSecretContext } from "../track-secret.ts";
import { fail, ok, reason, type Check } from "./check.ts";

export interface SealedSecrets {
  workspaceId: number;
  /** OAuth installs store bot tokens sealed. */
  oauth: boolean;
  /** The workspace's own sealed installation (OAuth), with its team. */
  installation: { teamId: string; sealed: Uint8Array } | null;
  trackSecret: Uint8Array | null;
  webhookSecret: Uint8Array | null;
  connectors: { id: number; name: string; encryptedSecret: Uint8Array | null }[];
}

export function checkEncryptionKey(box: SecretBox | null, sealed: SealedSecrets): Check {
  const connectors = sealed.connectors.filter((c) => c.encryptedSecret !== null);
  const needs = [
    ...(sealed.oauth ? ["the OAuth installations' bot tokens"] : []),
    ...(sealed.trackSecret ? ["the track webhook's secret"] : []),
    ...(sealed.webhookSecret ? ["the plays' webhook secret"] : []),
    ...connectors.map((c) => `connector "${c.name}"'s credentials`),
  ];
  const name = "encryption key";
  if (needs.length === 0) {
    return ok(name, box ? "set (nothing stored with it yet)" : "not needed: nothing is stored encrypted");
  }
  if (!box) {
    return fail(
      name,
      `CSS_ENCRYPTION_KEY is not set, and ${needs.join(", ")} ${needs.length === 1 ? "is" : "are"} stored encrypted with it`,
      "set CSS_ENCRYPTION_KEY to the key they were stored with",
    );
  }
  try {
    const { installation } = sealed;
    if (installation) box.open(installation.sealed, installationContext(installation.teamId));
    if (sealed.trackSecret) box.open(sealed.trackSecret, trackSecretContext(sealed.workspaceId));
    if (sealed.webhookSecret) box.open(sealed.webhookSecret, webhookSecretContext(sealed.workspaceId));
    for (const c of connectors) openConnectorSecret(box, sealed.workspaceId, c.id, c.encryptedSecret);
  } catch (error) {
    return fail(
      name,
      reason(error),
      "set CSS_ENCRYPTION_KEY to the key it was stored with, or store the secret again",
    );
  }
  return ok(name, `set, and opens ${needs.join(", ")}`);
}
