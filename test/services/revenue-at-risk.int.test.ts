// The digest's revenue at risk on the real PostgreSQL: shares of MRR from the current snapshots'
// churn probabilities when the active model has a churn map, nothing at all without one, and never an
// amount in the messages a channel sees.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { dayToDate, parseDay } from "../../src/domain/dates.ts";
import { buildDigest } from "../../src/services/build-digest.ts";
import { digestMessages } from "../../src/slack/blocks/digest.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { activateModelWithoutMap, writeRiskPortfolio } from "../support/risk-portfolio.ts";

const TODAY = parseDay("2026-12-07")!;

let db: TestDatabase;
let workspaceId: number;

beforeAll(async () => {
  db = await createTestDatabase("postgres");
  workspaceId = (await ensureWorkspace(db.prisma, "T_RISK")).id;
  const ids = await writeRiskPortfolio(db.prisma, workspaceId, TODAY);
  // A band change today, so the digest shows the portfolio and not only "no band changes".
  await db.prisma.bandChange.create({
    data: {
      workspaceId,
      accountId: ids.get("Acme")!,
      asOf: dayToDate(TODAY),
      fromBand: "caution",
      toBand: "at_risk",
      fromScore: 70,
      toScore: 35,
      drivers: [],
    },
  });
}, 120_000);

afterAll(async () => db?.close());

const messagesText = async () =>
  digestMessages(await buildDigest(db.prisma, workspaceId, TODAY))
    .map((m) => `${m.text}\n${JSON.stringify(m.blocks)}`)
    .join("\n");

describe("the digest's revenue at risk", () => {
  it("gives the share of MRR at risk and next quarter's GRR over the active accounts with both", async () => {
    const view = await buildDigest(db.prisma, workspaceId, TODAY);
    // Acme 10,000 × 0.5, Beta 2,000 × 0.2, Gamma 50,000 × 0.02, Far 9,000 × 0.6: 11,800 of 71,000.
    // Delta (no score) and Echo (no MRR) are left out; Gone has churned.
    const counted: [number, number][] = [
      [10_000, 0.5],
      [2000, 0.2],
      [50_000, 0.02],
      [9000, 0.6],
    ];
    const quarterLoss = counted.reduce((s, [mrr, p]) => s + mrr * (1 - Math.pow(1 - p, 91 / 90)), 0);
    expect(view.portfolio.revenueAtRisk).toEqual({
      horizonDays: 90,
      share: expect.closeTo(11_800 / 71_000, 12) as number,
      grossRevenueRetention: expect.closeTo(1 - quarterLoss / 71_000, 12) as number,
      accounts: 4,
      leftOut: 2,
    });
    const text = await messagesText();
    expect(text).toContain(
      "Revenue at risk: *16.6%* of MRR expected to churn within 90 days · gross revenue retention forecast for next quarter *83.",
    );
    expect(text).toContain(
      "(4 accounts with a churn probability; 2 without a probability or MRR not counted)",
    );
    // The accounts' MRR (10,000, 50,000...) and the expected losses appear nowhere in the channel's digest.
    expect(text).not.toMatch(/[$€£¥]|\/mo|\d,\d{3}|11800|71000|10000|50000/);
  });

  it("leaves the line out when the active model has no churn map", async () => {
    await activateModelWithoutMap(db.prisma, workspaceId);
    const view = await buildDigest(db.prisma, workspaceId, TODAY);
    expect(view.portfolio.revenueAtRisk).toBeNull();
    const text = await messagesText();
    expect(text).toContain("Average score");
    expect(text).not.toContain("Revenue at risk");
  });
});
