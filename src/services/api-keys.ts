// Ingest API keys: created (shown once), listed, revoked, and checked on every API request. A key
// is `css_<prefix>_<secret>`: the prefix (8 characters) names it in lists; the secret is 32 random
// bytes. Only the key's SHA-256 is stored, so a database dump gives nobody a working key.
import { createHash, randomBytes, randomInt } from "node:crypto";
import type { ApiKey, PrismaClient } from "../generated/prisma/client.ts";
import { audit } from "../db/repositories/audit-log.ts";
import {
  findApiKeys,
  findLiveApiKey,
  insertApiKey,
  listApiKeys,
  revokeApiKey,
  type ApiKeyIdentity,
} from "../db/repositories/api-keys.ts";
import { KnownError } from "../errors.ts";

export type { ApiKeyIdentity };

const PREFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const KEY_PATTERN = /^css_[a-z0-9]{8}_[A-Za-z0-9_-]{43,}$/;

export class ApiKeyNotFoundError extends KnownError {
  readonly code = "API_KEY_NOT_FOUND";
}

/** A new key and what is stored of it. */
export function generateApiKey(): { key: string; prefix: string; keyHash: string } {
  let prefix = "";
  for (let i = 0; i < 8; i++) prefix += PREFIX_ALPHABET[randomInt(PREFIX_ALPHABET.length)];
  const key = `css_${prefix}_${randomBytes(32).toString("base64url")}`;
  return { key, prefix, keyHash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** `css_ab12cd34`: how a key is named where the key itself must not appear. */
export const displayPrefix = (prefix: string) => `css_${prefix}`;

export async function createApiKey(
  prisma: PrismaClient,
  workspaceId: number,
  name: string,
  actor: string,
): Promise<{ apiKey: ApiKey; key: string }> {
  const { key, prefix, keyHash } = generateApiKey();
  const apiKey = await prisma.$transaction(async (tx) => {
    const created = await insertApiKey(tx, { workspaceId, name, prefix, keyHash });
    await audit(tx, workspaceId, {
      actor,
      action: "apikey.create",
      target: `apikey:${created.id}`,
      details: { name, prefix: displayPrefix(prefix) },
    });
    return created;
  });
  return { apiKey, key };
}

export function listWorkspaceApiKeys(prisma: PrismaClient, workspaceId: number): Promise<ApiKey[]> {
  return listApiKeys(prisma, workspaceId);
}

/**
 * Revokes the workspace's key named by its id or prefix (`ab12cd34` or `css_ab12cd34`); a key
 * already revoked stays as it was. Returns the key as it now is.
 */
export async function revokeWorkspaceApiKey(
  prisma: PrismaClient,
  workspaceId: number,
  idOrPrefix: string,
  actor: string,
): Promise<{ apiKey: ApiKey; alreadyRevoked: boolean }> {
  const text = idOrPrefix.trim();
  const match = /^\d+$/.test(text) ? { id: Number(text) } : { prefix: text.replace(/^css_/, "") };
  const found = await findApiKeys(prisma, workspaceId, match);
  if (found.length === 0)
    throw new ApiKeyNotFoundError(
      `no API key ${JSON.stringify(text)} in this workspace (see \`apikey list\`)`,
    );
  if (found.length > 1)
    throw new ApiKeyNotFoundError(
      `${found.length} API keys have the prefix ${JSON.stringify(text)}: revoke one by its id (${found.map((k) => k.id).join(", ")})`,
    );
  const apiKey = found[0]!;
  if (apiKey.revokedAt) return { apiKey, alreadyRevoked: true };
  const revoked = await prisma.$transaction(async (tx) => {
    await revokeApiKey(tx, workspaceId, apiKey.id);
    await audit(tx, workspaceId, {
      actor,
      action: "apikey.revoke",
      target: `apikey:${apiKey.id}`,
      details: { name: apiKey.name, prefix: displayPrefix(apiKey.prefix) },
    });
    return tx.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } });
  });
  return { apiKey: revoked, alreadyRevoked: false };
}

/** The live key a bearer token names, or null (malformed, unknown, revoked, or its workspace deleted). */
export async function authenticateApiKey(prisma: PrismaClient, key: string): Promise<ApiKeyIdentity | null> {
  if (!KEY_PATTERN.test(key)) return null;
  return findLiveApiKey(prisma, hashApiKey(key));
}
