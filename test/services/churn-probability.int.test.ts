// A model with a churn map (calibrate writes one from outcomes) gives every snapshot its probability,
// and the card says it in words; a model without one stores none and the card says nothing of it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storeModelVersion } from "../../src/db/repositories/models.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { formatDay } from "../../src/domain/dates.ts";
import { churnProbability } from "../../src/domain/model/churn-map.ts";
import { DEFAULT_MODEL_SOURCE } from "../../src/domain/model/default-model.ts";
import { parseModel } from "../../src/domain/model/parse-model.ts";
import { loadAccountCard } from "../../src/services/account-card.ts";
import { recomputeWorkspace } from "../../src/services/recompute.ts";
import { runCli } from "../support/cli.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { importPortfolio, PORTFOLIO_END } from "../support/portfolio.ts";

// Written as calibrate writes it: a portfolio curve, and one of the enterprise segment's own.
const MAP = `
churn_probability:
  horizon_days: 90
  method: isotonic
  portfolio:
    accounts: 400
    churned: 60
    points: [[40, 0.6], [70, 0.25], [90, 0.02]]
  segments:
    enterprise: { accounts: 120, churned: 30, points: [[50, 0.4], [95, 0.01]] }
`;

describe("churn probability on snapshots", () => {
  let db: TestDatabase;
  let workspaceId: number;

  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    workspaceId = (await ensureWorkspace(db.prisma, "t-churn")).id;
    await importPortfolio(db.prisma, workspaceId, { accounts: 60, days: 45 });
  }, 120_000);
  afterAll(async () => db?.close());

  const snapshots = () =>
    db.sql.query<{
      account_id: number;
      segment: string | null;
      score: number | null;
      churn_probability: number | null;
    }>(
      `SELECT s.account_id, a.segment, s.score, s.churn_probability FROM score_snapshots s
       JOIN accounts a ON a.id = s.account_id WHERE s.workspace_id = $1 AND s.as_of = $2::date`,
      [workspaceId, formatDay(PORTFOLIO_END)],
    );

  it("stores none without a map, and the card says nothing of churn", async () => {
    await recomputeWorkspace(db, workspaceId, PORTFOLIO_END);
    const rows = await snapshots();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.churn_probability === null)).toBe(true);
    const card = await loadAccountCard(db, workspaceId, rows[0]!.account_id);
    expect(card?.current?.churn).toBeNull();
  });

  it("stores the map's probability for each scored account, by its segment, and the card says it", async () => {
    const source = `${DEFAULT_MODEL_SOURCE.trimEnd()}\n${MAP}`;
    const model = parseModel(source, "with-map.yaml");
    await storeModelVersion(db.prisma, workspaceId, model, source, "test");
    await recomputeWorkspace(db, workspaceId, PORTFOLIO_END);
    const rows = await snapshots();
    const segments = new Set(rows.map((r) => r.segment));
    expect(segments.has("enterprise")).toBe(true);
    for (const r of rows) {
      const expected = r.score === null ? null : churnProbability(model, r.segment, r.score);
      if (expected === null) expect(r.churn_probability).toBeNull();
      else expect(r.churn_probability).toBeCloseTo(expected, 12);
    }
    const scored = rows.find((r) => r.score !== null)!;
    const card = await loadAccountCard(db, workspaceId, scored.account_id);
    expect(card?.current?.churn?.horizonDays).toBe(90);
    expect(card?.current?.churn?.phrase).toMatch(/chance of churning within 90 days$/);

    // `css-bot explain` says the same, in its JSON and its text.
    const [{ external_id: id }] = (await db.sql.query<{ external_id: string }>(
      `SELECT external_id FROM accounts WHERE id = $1`,
      [scored.account_id],
    )) as [{ external_id: string }];
    const env = { DATABASE_URL: db.url!, CSS_WORKSPACE: "t-churn" };
    const json = await runCli(["explain", id, "--json"], env);
    expect(json.code, json.stderr).toBe(0);
    const x = JSON.parse(json.stdout) as { churn_probability: number; churn_horizon_days: number };
    expect(x.churn_probability).toBeCloseTo(scored.churn_probability!, 12);
    expect(x.churn_horizon_days).toBe(90);
    const text = await runCli(["explain", id], env);
    expect(text.stdout).toMatch(
      /Churn: about \d+ in \d+ chance of churning within 90 days \(\d+\.\d%, the model's churn map; fitted on \d+ accounts, \d+ churned\)/,
    );
  });
});
