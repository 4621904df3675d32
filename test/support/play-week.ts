// A hand-built week of scores for four accounts, and the succeeded run of its last day with its band
// changes: what the play engine's tests (and /css plays' preview) evaluate plays against. Written
// by hand rather than recomputed, so each test can count what fires from the days below.
import { storeModelVersion } from "../../src/db/repositories/models.ts";
import { dayToDate, type Day } from "../../src/domain/dates.ts";
import { DEFAULT_MODEL, DEFAULT_MODEL_SOURCE } from "../../src/domain/model/default-model.ts";
import type { PrismaClient } from "../../src/generated/prisma/client.ts";

/**
 * The week, D-6 .. D (bands by the default model: healthy >= 80, caution >= 70, at_risk below; the
 * enterprise segment's: 85, 72):
 *   Acme   enterprise  MRR 5,000   86 86 86 86 86 86 68   healthy -> at_risk on D; fell 18 in 7 days
 *   Beta   smb         MRR   100   79 78 77 76 75 74 73   caution all week; fell 6
 *   Gamma  smb         MRR   900   78 78 78 78 78 78 66   caution -> at_risk on D; fell 12
 *   Delta  enterprise  MRR 20,000 90 90 90 90 90 90 79   healthy -> caution on D; fell 11
 */
export const WEEK: Record<string, { segment: string; mrr: number; owner: string | null; scores: number[] }> =
  {
    Acme: { segment: "enterprise", mrr: 5000, owner: "U0ALICE", scores: [86, 86, 86, 86, 86, 86, 68] },
    Beta: { segment: "smb", mrr: 100, owner: null, scores: [79, 78, 77, 76, 75, 74, 73] },
    Gamma: { segment: "smb", mrr: 900, owner: "U0BOB", scores: [78, 78, 78, 78, 78, 78, 66] },
    Delta: { segment: "enterprise", mrr: 20000, owner: null, scores: [90, 90, 90, 90, 90, 90, 79] },
  };

/** The default model's band of a score in the segment (the enterprise segment has bands of its own). */
export function band(segment: string, score: number): string {
  const [healthy, caution] = segment === "enterprise" ? [85, 72] : [80, 70];
  return score >= healthy ? "healthy" : score >= caution ? "caution" : "at_risk";
}

/**
 * Stores the default model, WEEK's accounts and their snapshots ending on `day`, and a succeeded run
 * as of `day` (slot "d") with the band changes of that day. Returns the accounts' ids by name.
 */
export async function buildPlayWeek(
  prisma: PrismaClient,
  workspaceId: number,
  day: Day,
): Promise<{ ids: Record<string, number>; runId: bigint }> {
  const model = await storeModelVersion(prisma, workspaceId, DEFAULT_MODEL, DEFAULT_MODEL_SOURCE, "test");
  const ids: Record<string, number> = {};
  for (const [name, a] of Object.entries(WEEK)) {
    const last = a.scores.at(-1)!;
    const row = await prisma.account.create({
      data: {
        workspaceId,
        externalId: name.toLowerCase(),
        name,
        segment: a.segment,
        mrr: a.mrr,
        owner: a.owner ? `${a.owner.toLowerCase()}@example.com` : null,
        ownerSlackUserId: a.owner,
        currentScore: last,
        currentBand: band(a.segment, last),
        scoredAsOf: dayToDate(day),
      },
    });
    ids[name] = row.id;
    await prisma.scoreSnapshot.createMany({
      data: a.scores.map((score, i) => ({
        workspaceId,
        accountId: row.id,
        asOf: dayToDate(day - 6 + i),
        modelId: model.id,
        score,
        band: band(a.segment, score),
        coverage: 1,
        components: [{ key: "usage", raw: score / 100, score, weight: 40, points: score * 0.4 }],
      })),
    });
  }
  const run = await prisma.recomputeRun.create({
    data: { workspaceId, slot: "d", asOf: dayToDate(day), status: "succeeded" },
  });
  for (const [name, a] of Object.entries(WEEK)) {
    const [before, after] = [a.scores.at(-2)!, a.scores.at(-1)!];
    if (band(a.segment, before) === band(a.segment, after)) continue;
    await prisma.bandChange.create({
      data: {
        workspaceId,
        accountId: ids[name]!,
        asOf: dayToDate(day),
        fromBand: band(a.segment, before),
        toBand: band(a.segment, after),
        fromScore: before,
        toScore: after,
        drivers: [],
        runId: run.id,
      },
    });
  }
  return { ids, runId: run.id };
}
