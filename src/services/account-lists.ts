// The lists behind `/css at-risk`, `/css mine` and `/css movers`.
import {
  accountsInBands,
  accountsOwnedBy,
  weeklyMovers,
  type ListedAccount,
} from "../db/repositories/account-lists.ts";
import { findActiveModel } from "../db/repositories/models.ts";
import { DEFAULT_MODEL } from "../domain/model/default-model.ts";
import type { ScoringModel } from "../domain/model/schema.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";

export const LIST_LIMIT = 15;

/** The lowest band of the model and of each segment that sets its own bands: "at risk" wherever it applies. */
export function riskBands(model: ScoringModel): string[] {
  const lowest = (bands: ScoringModel["bands"]) => [...bands].sort((a, b) => a.min - b.min)[0]!.key;
  const keys = [
    lowest(model.bands),
    ...Object.values(model.segments ?? {}).flatMap((s) => (s.bands ? [lowest(s.bands)] : [])),
  ];
  return [...new Set(keys)];
}

export async function atRiskAccounts(
  prisma: PrismaClient,
  workspaceId: number,
  segment: string | null,
): Promise<{ accounts: ListedAccount[]; total: number }> {
  const model = (await findActiveModel(prisma, workspaceId))?.model ?? DEFAULT_MODEL;
  return accountsInBands(prisma, workspaceId, riskBands(model), { segment, limit: LIST_LIMIT });
}

export async function myAccounts(prisma: PrismaClient, workspaceId: number, slackUserId: string) {
  return accountsOwnedBy(prisma, workspaceId, slackUserId, LIST_LIMIT);
}

export async function movers(prisma: PrismaClient, workspaceId: number) {
  return weeklyMovers(prisma, workspaceId, 5);
}
