// An account known to a CRM by its record id, with score snapshots: what write-back reads.
import { dayToDate, parseDay } from "../../src/domain/dates.ts";
import type { PrismaClient } from "../../src/generated/prisma/client.ts";

export interface SnapshotInput {
  workspaceId: number;
  modelId: number;
  accountId: number;
  score: number;
  /** YYYY-MM-DD. */
  day: string;
  churnProbability?: number | null;
  /** Default: one component, usage, carrying the whole score. */
  components?: { key: string; raw: number; score: number; weight: number; points: number }[];
}

/** A snapshot, healthy at 70 and above, at_risk below. */
export async function addSnapshot(prisma: PrismaClient, s: SnapshotInput): Promise<void> {
  await prisma.scoreSnapshot.create({
    data: {
      workspaceId: s.workspaceId,
      accountId: s.accountId,
      asOf: dayToDate(parseDay(s.day)!),
      modelId: s.modelId,
      score: s.score,
      band: s.score >= 70 ? "healthy" : "at_risk",
      coverage: 1,
      churnProbability: s.churnProbability ?? null,
      components: s.components ?? [{ key: "usage", raw: 1, score: s.score, weight: 1, points: s.score }],
    },
  });
}

/** An account with the CRM record id `recordId` in `source` (the connector's kind). */
export async function addCrmAccount(
  prisma: PrismaClient,
  workspaceId: number,
  source: string,
  recordId: string,
  name: string,
): Promise<number> {
  const account = await prisma.account.create({ data: { workspaceId, externalId: `X-${recordId}`, name } });
  await prisma.accountSourceId.create({
    data: { workspaceId, source, sourceId: recordId, accountId: account.id },
  });
  return account.id;
}
