// Connector credentials at rest: JSON sealed with AES-256-GCM (security/secret-box.ts), bound to the
// workspace and the connector's id, so a sealed secret copied to another connector fails to open.
import { KnownError } from "../errors.ts";
import type { SecretBox } from "../security/secret-box.ts";

export class EncryptionKeyMissingError extends KnownError {
  readonly code = "ENCRYPTION_KEY_MISSING";
}

export function secretContext(workspaceId: number, connectorId: number): string {
  return `connector:${workspaceId}:${connectorId}`;
}

export function sealConnectorSecret(
  box: SecretBox | null,
  workspaceId: number,
  connectorId: number,
  secret: unknown,
): Uint8Array<ArrayBuffer> {
  if (!box) throw missingKey();
  return Uint8Array.from(box.seal(JSON.stringify(secret), secretContext(workspaceId, connectorId)));
}

/** The stored secret as JSON (`{}` when none was stored, for connectors that need none). */
export function openConnectorSecret(
  box: SecretBox | null,
  workspaceId: number,
  connectorId: number,
  sealed: Uint8Array | null,
): unknown {
  if (sealed === null) return {};
  if (!box) throw missingKey();
  return JSON.parse(box.open(sealed, secretContext(workspaceId, connectorId))) as unknown;
}

function missingKey(): EncryptionKeyMissingError {
  return new EncryptionKeyMissingError(
    "CSS_ENCRYPTION_KEY is not set: connector secrets are stored encrypted with it (generate one with `openssl rand -hex 32`)",
  );
}
