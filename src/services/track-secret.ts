// The track webhook's signing secret, one per workspace: created or rotated by
// `css-bot track-secret` (shown once), stored sealed with CSS_ENCRYPTION_KEY and bound to the
// workspace, and opened by the API to check each request's X-Signature.
import { randomBytes } from "node:crypto";
import { audit } from "../db/repositories/audit-log.ts";
import { readTrackSecret, writeTrackSecret } from "../db/repositories/track-secret.ts";
import { EncryptionKeyMissingError } from "../connectors/secrets.ts";
import { KnownError } from "../errors.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { SecretBox } from "../security/secret-box.ts";

export class TrackSecretExistsError extends KnownError {
  readonly code = "TRACK_SECRET_EXISTS";
}

export const trackSecretContext = (workspaceId: number) => `track-secret:${workspaceId}`;

/** A new secret for the workspace; an existing one is replaced only with `rotate`. */
export async function createTrackSecret(
  prisma: PrismaClient,
  box: SecretBox | null,
  workspaceId: number,
  o: { rotate: boolean; actor: string },
): Promise<{ secret: string; rotated: boolean }> {
  if (!box) throw missingKey();
  const secret = randomBytes(32).toString("hex");
  const sealed = Uint8Array.from(box.seal(secret, trackSecretContext(workspaceId)));
  return prisma.$transaction(async (tx) => {
    const existed = (await readTrackSecret(tx, workspaceId)) !== null;
    if (existed && !o.rotate)
      throw new TrackSecretExistsError(
        "the workspace has a track signing secret already: --rotate replaces it (then update it in Segment)",
      );
    if (!(await writeTrackSecret(tx, workspaceId, sealed, { onlyIfUnset: !o.rotate })))
      throw new TrackSecretExistsError("another command set the track signing secret meanwhile");
    await audit(tx, workspaceId, {
      actor: o.actor,
      action: existed ? "track-secret.rotate" : "track-secret.create",
      target: "track-secret",
    });
    return { secret, rotated: existed };
  });
}

/** The workspace's secret, or null when none was created. */
export async function openTrackSecret(
  prisma: PrismaClient,
  box: SecretBox | null,
  workspaceId: number,
): Promise<string | null> {
  const sealed = await readTrackSecret(prisma, workspaceId);
  if (sealed === null) return null;
  if (!box) throw missingKey();
  return box.open(sealed, trackSecretContext(workspaceId));
}

function missingKey(): EncryptionKeyMissingError {
  return new EncryptionKeyMissingError(
    "CSS_ENCRYPTION_KEY is not set: the track signing secret is stored encrypted with it (generate one with `openssl rand -hex 32`)",
  );
}
