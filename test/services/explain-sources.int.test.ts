// css-bot explain names the connectors' ids an account was matched by ("From Salesforce 001...,
// Stripe cus_..."), so a reader sees which CRM, billing and support records make up the account.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { explanationJson } from "../../src/cli/commands/explain.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { explainAccount } from "../../src/services/explain-account.ts";
import { recomputeWorkspace } from "../../src/services/recompute.ts";
import { runCli } from "../support/cli.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { importPortfolio, PORTFOLIO_END } from "../support/portfolio.ts";

describe("explain: the sources an account was matched by", () => {
  let db: TestDatabase;
  let workspaceId: number;
  let matched: { id: number; externalId: string };
  let plain: { id: number; externalId: string };

  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    workspaceId = (await ensureWorkspace(db.prisma, "t-sources")).id;
    await importPortfolio(db.prisma, workspaceId, { accounts: 4, days: 20 });
    await recomputeWorkspace(db, workspaceId, PORTFOLIO_END);
    [matched, plain] = (await db.prisma.account.findMany({
      where: { workspaceId },
      orderBy: { id: "asc" },
      take: 2,
      select: { id: true, externalId: true },
    })) as [typeof matched, typeof plain];
    await db.prisma.accountSourceId.createMany({
      data: [
        { workspaceId, accountId: matched.id, source: "stripe", sourceId: "cus_N1xyz" },
        { workspaceId, accountId: matched.id, source: "salesforce", sourceId: "001FK0000000001AAQ" },
      ],
    });
  }, 120_000);
  afterAll(async () => db?.close());

  it("lists them in the JSON and as a From line, and neither for an account no connector matched", async () => {
    const x = await explainAccount(db, workspaceId, matched.externalId, null);
    expect(explanationJson(x).source_ids).toEqual([
      { source: "salesforce", id: "001FK0000000001AAQ" },
      { source: "stripe", id: "cus_N1xyz" },
    ]);
    const env = { DATABASE_URL: db.url! };
    const text = await runCli(["explain", matched.externalId, "--workspace", "t-sources"], env);
    expect(text.stderr).toBe("");
    expect(text.stdout.split("\n")[1]).toBe("From Salesforce 001FK0000000001AAQ, Stripe cus_N1xyz");

    expect(explanationJson(await explainAccount(db, workspaceId, plain.externalId, null)).source_ids).toEqual(
      [],
    );
    const other = await runCli(["explain", plain.externalId, "--workspace", "t-sources"], env);
    expect(other.stdout).not.toContain("From ");
  });
});
