// A small portfolio for revenue at risk, written straight to the tables: accounts with MRR, owners
// and renewal dates, and a current snapshot each carrying its churn probability, as a recompute
// with a churn map would leave them (test/services/churn-probability.int.test.ts checks that the
// recompute writes the map's value). Known numbers, so a test can state every sum.
import { storeModelVersion } from "../../src/db/repositories/models.ts";
import { dayToDate, formatDay, type Day } from "../../src/domain/dates.ts";
import { DEFAULT_MODEL, DEFAULT_MODEL_SOURCE } from "../../src/domain/model/default-model.ts";
import { parseModel } from "../../src/domain/model/parse-model.ts";
import type { PrismaClient } from "../../src/generated/prisma/client.ts";
import { HOSTILE_NAME } from "./mrkdwn.ts";

export const MAP_SOURCE = `${DEFAULT_MODEL_SOURCE.trimEnd()}
churn_probability:
  horizon_days: 90
  method: isotonic
  portfolio:
    points: [[30, 0.6], [90, 0.02]]
`;

export interface RiskFixture {
  name: string;
  mrr: number | null;
  /** Days after today. */
  renewsIn: number | null;
  /** [score, band, probability]; null: never scored. */
  snapshot: [number, string, number] | null;
  owner?: string;
  ownerSlackUserId?: string;
  status?: "active" | "churned";
}

// Within 60 days: Acme 10,000 × 0.5 = 5,000, Gamma 50,000 × 0.02 = 1,000, Beta 2,000 × 0.2 = 400;
// Echo has no MRR, Delta no score; Far renews after 200 days (5,400); Gone has churned.
export const RISK_PORTFOLIO: RiskFixture[] = [
  {
    name: "Acme",
    mrr: 10_000,
    renewsIn: 20,
    snapshot: [35, "at_risk", 0.5],
    owner: "ana@example.com",
    ownerSlackUserId: "U0ANA",
  },
  { name: HOSTILE_NAME, mrr: 2000, renewsIn: 10, snapshot: [60, "caution", 0.2], owner: HOSTILE_NAME },
  { name: "Gamma", mrr: 50_000, renewsIn: 50, snapshot: [85, "healthy", 0.02], owner: "bo@example.com" },
  { name: "Delta", mrr: 3000, renewsIn: 5, snapshot: null },
  { name: "Echo", mrr: null, renewsIn: 30, snapshot: [40, "at_risk", 0.45] },
  { name: "Far", mrr: 9000, renewsIn: 200, snapshot: [30, "at_risk", 0.6] },
  { name: "Gone", mrr: 7000, renewsIn: 15, snapshot: [20, "at_risk", 0.9], status: "churned" },
];

/** The portfolio's accounts and snapshots as of `today`; the active model is the default one with a churn map. */
export async function writeRiskPortfolio(
  prisma: PrismaClient,
  workspaceId: number,
  today: Day,
  fixtures: RiskFixture[] = RISK_PORTFOLIO,
): Promise<Map<string, number>> {
  const model = await storeModelVersion(
    prisma,
    workspaceId,
    parseModel(MAP_SOURCE, "with-map.yaml"),
    MAP_SOURCE,
    "test",
  );
  const ids = new Map<string, number>();
  for (const [i, f] of fixtures.entries()) {
    const account = await prisma.account.create({
      data: {
        workspaceId,
        externalId: `risk-${i}`,
        name: f.name,
        mrr: f.mrr,
        owner: f.owner ?? null,
        ownerSlackUserId: f.ownerSlackUserId ?? null,
        renewalDate: f.renewsIn === null ? null : dayToDate(today + f.renewsIn),
        status: f.status ?? "active",
        ...(f.snapshot
          ? { currentScore: f.snapshot[0], currentBand: f.snapshot[1], scoredAsOf: dayToDate(today) }
          : {}),
      },
    });
    ids.set(f.name, account.id);
    if (!f.snapshot) continue;
    await prisma.$executeRawUnsafe(
      `INSERT INTO score_snapshots (workspace_id, account_id, as_of, model_id, score, band, coverage, components, churn_probability)
       VALUES ($1, $2, $3::date, $4, $5, $6, 1, '[]'::json, $7)`,
      workspaceId,
      account.id,
      formatDay(today),
      model.id,
      f.snapshot[0],
      f.snapshot[1],
      f.snapshot[2],
    );
  }
  return ids;
}

/** Makes the default model (no churn map) the active one again. */
export async function activateModelWithoutMap(prisma: PrismaClient, workspaceId: number): Promise<void> {
  await storeModelVersion(prisma, workspaceId, DEFAULT_MODEL, DEFAULT_MODEL_SOURCE, "test");
}
