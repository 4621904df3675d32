// Ingest API keys: only a SHA-256 of each key is stored, with its prefix for display.
import type { ApiKey } from "../../generated/prisma/client.ts";
import type { Db } from "../handle.ts";

export async function insertApiKey(
  db: Db,
  key: { workspaceId: number; name: string; prefix: string; keyHash: string },
): Promise<ApiKey> {
  return db.apiKey.create({ data: key });
}

/** The workspace's keys, oldest first. */
export async function listApiKeys(db: Db, workspaceId: number): Promise<ApiKey[]> {
  return db.apiKey.findMany({ where: { workspaceId }, orderBy: { id: "asc" } });
}

/** The workspace's keys with this id or this prefix (several when prefixes collide). */
export async function findApiKeys(
  db: Db,
  workspaceId: number,
  match: { id: number } | { prefix: string },
): Promise<ApiKey[]> {
  return db.apiKey.findMany({ where: { workspaceId, ...match }, orderBy: { id: "asc" } });
}

/** Revokes a key (a revoked key stays revoked: the first revocation time is kept). */
export async function revokeApiKey(db: Db, workspaceId: number, id: number): Promise<void> {
  await db.apiKey.updateMany({
    where: { id, workspaceId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
}

export interface ApiKeyIdentity {
  apiKeyId: number;
  workspaceId: number;
  prefix: string;
}

/** The live key with this hash: not revoked, of a workspace that is not deleted. */
export async function findLiveApiKey(db: Db, keyHash: string): Promise<ApiKeyIdentity | null> {
  const rows = await db.$queryRawUnsafe<{ id: number; workspace_id: number; prefix: string }[]>(
    `SELECT k.id, k.workspace_id, k.prefix FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id
     WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND w.deleted_at IS NULL`,
    keyHash,
  );
  const row = rows[0];
  return row ? { apiKeyId: row.id, workspaceId: row.workspace_id, prefix: row.prefix } : null;
}
