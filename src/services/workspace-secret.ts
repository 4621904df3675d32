// A workspace's signing secrets (the track webhook's, plays' webhooks'): made of 32 random bytes as
// 64 hex characters, shown once when created, stored sealed with CSS_ENCRYPTION_KEY and bound to
// the workspace and the kind, so one copied into another row or column fails to open.
import { randomBytes } from "node:crypto";
import { audit } from "../db/repositories/audit-log.ts";
import {
  readWorkspaceSecret,
  writeWorkspaceSecret,
  type WorkspaceSecretField,
} from "../db/repositories/workspace-secrets.ts";
import { EncryptionKeyMissingError } from "../connectors/secrets.ts";
import type { KnownError } from "../errors.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { SecretBox } from "../security/secret-box.ts";

/** What differs between the kinds: where it is stored, how it is named, what a clash says. */
export interface WorkspaceSecretKind {
  field: WorkspaceSecretField;
  /** The audit log's action prefix and the sealing context's: "track-secret". */
  name: string;
  /** For the missing key's message: "the track signing secret". */
  what: string;
  /** The error when one exists already and `rotate` was not asked for (or another command won). */
  exists: (raced: boolean) => KnownError;
}

export const secretContext = (kind: Pick<WorkspaceSecretKind, "name">, workspaceId: number) =>
  `${kind.name}:${workspaceId}`;

/** A new secret for the workspace; an existing one is replaced only with `rotate`. */
export async function createWorkspaceSecret(
  prisma: PrismaClient,
  box: SecretBox | null,
  workspaceId: number,
  kind: WorkspaceSecretKind,
  o: { rotate: boolean; actor: string },
): Promise<{ secret: string; rotated: boolean }> {
  if (!box) throw missingKey(kind);
  const secret = randomBytes(32).toString("hex");
  const sealed = Uint8Array.from(box.seal(secret, secretContext(kind, workspaceId)));
  return prisma.$transaction(async (tx) => {
    const existed = (await readWorkspaceSecret(tx, workspaceId, kind.field)) !== null;
    if (existed && !o.rotate) throw kind.exists(false);
    if (!(await writeWorkspaceSecret(tx, workspaceId, kind.field, sealed, { onlyIfUnset: !o.rotate })))
      throw kind.exists(true);
    await audit(tx, workspaceId, {
      actor: o.actor,
      action: `${kind.name}.${existed ? "rotate" : "create"}`,
      target: kind.name,
    });
    return { secret, rotated: existed };
  });
}

/** The workspace's secret, or null when none was created. */
export async function openWorkspaceSecret(
  prisma: PrismaClient,
  box: SecretBox | null,
  workspaceId: number,
  kind: WorkspaceSecretKind,
): Promise<string | null> {
  const sealed = await readWorkspaceSecret(prisma, workspaceId, kind.field);
  if (sealed === null) return null;
  if (!box) throw missingKey(kind);
  return box.open(sealed, secretContext(kind, workspaceId));
}

function missingKey(kind: WorkspaceSecretKind): EncryptionKeyMissingError {
  return new EncryptionKeyMissingError(
    `CSS_ENCRYPTION_KEY is not set: ${kind.what} is stored encrypted with it (generate one with \`openssl rand -hex 32\`)`,
  );
}

/** One kind's functions, bound to it: what track-secret.ts and plays/webhook-secret.ts export. */
export function workspaceSecretOf(kind: WorkspaceSecretKind) {
  return {
    context: (workspaceId: number) => secretContext(kind, workspaceId),
    /** A new secret for the workspace; an existing one is replaced only with `rotate`. */
    create: (
      prisma: PrismaClient,
      box: SecretBox | null,
      workspaceId: number,
      o: { rotate: boolean; actor: string },
    ): Promise<{ secret: string; rotated: boolean }> =>
      createWorkspaceSecret(prisma, box, workspaceId, kind, o),
    /** The workspace's secret, or null when none was created. */
    open: (prisma: PrismaClient, box: SecretBox | null, workspaceId: number): Promise<string | null> =>
      openWorkspaceSecret(prisma, box, workspaceId, kind),
  };
}
