// Playbook versions, kept as scoring models are: a version is immutable; `plays set` stores a new one
// and activates it. A workspace that never stored one runs the default playbook, which (unlike the
// default model) is not stored: a fire records its play's key, not a playbook version.
import { createHash } from "node:crypto";
import { DEFAULT_PLAYBOOK, DEFAULT_PLAYBOOK_SOURCE } from "../../domain/plays/default-playbook.ts";
import { parsePlaybook } from "../../domain/plays/parse-playbook.ts";
import type { Playbook } from "../../domain/plays/schema.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { Db } from "../handle.ts";

export interface StoredPlaybook {
  id: number;
  version: number;
  playbook: Playbook;
  source: string;
  isDefault: false;
}

export type ActivePlaybook =
  StoredPlaybook | { id: null; version: 0; playbook: Playbook; source: string; isDefault: true };

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Stores `playbook` as the workspace's next version and makes it active. */
export async function storePlaybookVersion(
  prisma: PrismaClient,
  workspaceId: number,
  playbook: Playbook,
  source: string,
  createdBy: string,
): Promise<{ id: number; version: number }> {
  return prisma.$transaction(async (tx) => {
    // Lock the workspace row so two concurrent `plays set` calls cannot take the same version.
    await tx.$executeRaw`SELECT 1 FROM workspaces WHERE id = ${workspaceId} FOR UPDATE`;
    const last = await tx.playbook.findFirst({
      where: { workspaceId },
      orderBy: { version: "desc" },
      select: { version: true },
    });
    const version = (last?.version ?? 0) + 1;
    const row = await tx.playbook.create({
      data: {
        workspaceId,
        version,
        name: playbook.name,
        definition: playbook,
        source,
        sha256: sha256(source),
        createdBy,
      },
    });
    await tx.workspace.update({ where: { id: workspaceId }, data: { activePlaybookId: row.id } });
    return { id: row.id, version };
  });
}

/** The workspace's stored active playbook, or null when none was set (for `plays show`). */
export async function findActivePlaybook(db: Db, workspaceId: number): Promise<StoredPlaybook | null> {
  const ws = await db.workspace.findUnique({
    where: { id: workspaceId },
    include: { activePlaybook: true },
  });
  return ws?.activePlaybook ? toStored(ws.activePlaybook) : null;
}

/**
 * Each stored version's playbook as parsed, by its row's id (versions never change): parsing one of
 * 20 plays took 10-18 ms, and every notification pass reads the active one two or three times.
 * Cleared when it holds PARSED_LIMIT (databases re-created under one process reuse ids: the parse
 * depends only on the stored JSON, which the key does not prove, so the JSON is compared too).
 */
const parsed = new Map<number, { json: string; playbook: Playbook }>();
const PARSED_LIMIT = 64;

function parseStored(row: { id: number; version: number; definition: unknown }): Playbook {
  const json = JSON.stringify(row.definition);
  const known = parsed.get(row.id);
  if (known?.json === json) return known.playbook;
  // Parsed again rather than cast: the stored JSON gets the current schema's defaults.
  const playbook = parsePlaybook(json, `playbook version ${row.version}`);
  if (parsed.size >= PARSED_LIMIT) parsed.clear();
  parsed.set(row.id, { json, playbook });
  return playbook;
}

function toStored(row: { id: number; version: number; definition: unknown; source: string }): StoredPlaybook {
  return {
    id: row.id,
    version: row.version,
    playbook: parseStored(row),
    source: row.source,
    isDefault: false,
  };
}

/** What a workspace runs until it stores a playbook. */
export const DEFAULT_ACTIVE_PLAYBOOK: ActivePlaybook = {
  id: null,
  version: 0,
  playbook: DEFAULT_PLAYBOOK,
  source: DEFAULT_PLAYBOOK_SOURCE,
  isDefault: true,
};

/** The playbook the plays run with: the stored active one, else the default playbook (version 0). */
export async function activePlaybook(db: Db, workspaceId: number): Promise<ActivePlaybook> {
  return (await findActivePlaybook(db, workspaceId)) ?? DEFAULT_ACTIVE_PLAYBOOK;
}

/** One stored version of the workspace's playbooks by id (a run's), or null when there is none. */
export async function playbookById(db: Db, workspaceId: number, id: number): Promise<StoredPlaybook | null> {
  const row = await db.playbook.findFirst({ where: { id, workspaceId } });
  return row ? toStored(row) : null;
}
