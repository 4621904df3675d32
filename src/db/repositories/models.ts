// Scoring model versions. A version is immutable; `model set` stores a new one and activates it.
import { createHash } from "node:crypto";
import { DEFAULT_MODEL, DEFAULT_MODEL_SOURCE } from "../../domain/model/default-model.ts";
import { parseModel } from "../../domain/model/parse-model.ts";
import type { ScoringModel } from "../../domain/model/schema.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { Db } from "../handle.ts";

export interface ActiveModel {
  id: number;
  version: number;
  model: ScoringModel;
  source: string;
  isDefault: boolean;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Stores `model` as the workspace's next version and makes it active. */
export async function storeModelVersion(
  prisma: PrismaClient,
  workspaceId: number,
  model: ScoringModel,
  source: string,
  createdBy: string,
  options: { unlessActive?: boolean } = {},
): Promise<{ id: number; version: number }> {
  return prisma.$transaction(async (tx) => {
    // Lock the workspace row so two concurrent `model set` calls cannot take the same version.
    await tx.$executeRaw`SELECT 1 FROM workspaces WHERE id = ${workspaceId} FOR UPDATE`;
    if (options.unlessActive) {
      const ws = await tx.workspace.findUniqueOrThrow({
        where: { id: workspaceId },
        include: { activeModel: true },
      });
      if (ws.activeModel) return { id: ws.activeModel.id, version: ws.activeModel.version };
    }
    const last = await tx.scoringModel.findFirst({
      where: { workspaceId },
      orderBy: { version: "desc" },
      select: { version: true },
    });
    const version = (last?.version ?? 0) + 1;
    const row = await tx.scoringModel.create({
      data: {
        workspaceId,
        version,
        name: model.name,
        definition: model,
        source,
        sha256: sha256(source),
        createdBy,
      },
    });
    await tx.workspace.update({ where: { id: workspaceId }, data: { activeModelId: row.id } });
    return { id: row.id, version };
  });
}

/** The active model, without storing anything (for `model show`). */
export async function findActiveModel(db: Db, workspaceId: number): Promise<ActiveModel | null> {
  const ws = await db.workspace.findUnique({ where: { id: workspaceId }, include: { activeModel: true } });
  const row = ws?.activeModel;
  if (!row) return null;
  return {
    id: row.id,
    version: row.version,
    model: parseModel(JSON.stringify(row.definition), `model version ${row.version}`),
    source: row.source,
    isDefault: false,
  };
}

/**
 * The active model for scoring. A workspace that never set one scores with the default model, which
 * is then stored as its first version, so every snapshot names the exact model that made it.
 */
export async function activeModelForScoring(prisma: PrismaClient, workspaceId: number): Promise<ActiveModel> {
  const active = await findActiveModel(prisma, workspaceId);
  if (active) return active;
  await storeModelVersion(
    prisma,
    workspaceId,
    DEFAULT_MODEL,
    DEFAULT_MODEL_SOURCE,
    "css-bot (default model)",
    { unlessActive: true },
  );
  // Read back: a concurrent caller may have stored it first.
  return (await findActiveModel(prisma, workspaceId))!;
}

/** Model versions parsed once per database client (a version never changes; ids are per database). */
const versions = new WeakMap<PrismaClient, Map<number, ScoringModel>>();

/** A stored model version of the workspace, parsed (cached). */
export async function modelVersion(
  prisma: PrismaClient,
  workspaceId: number,
  modelId: number,
): Promise<ScoringModel> {
  let byId = versions.get(prisma);
  if (!byId) versions.set(prisma, (byId = new Map<number, ScoringModel>()));
  let model = byId.get(modelId);
  if (!model) {
    const row = await prisma.scoringModel.findFirstOrThrow({ where: { id: modelId, workspaceId } });
    model = parseModel(JSON.stringify(row.definition), `model version ${row.version}`);
    byId.set(modelId, model);
  }
  return model;
}
