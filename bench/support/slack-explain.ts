// The search `/css <account>` runs (findAccounts), under EXPLAIN ANALYZE, for one query of each kind:
// where the time of a lookup goes, measured apart from the load.
import type { Db } from "../../src/db/handle.ts";
import { findAccounts } from "../../src/db/repositories/accounts.ts";
import type { PrismaClient } from "../../src/generated/prisma/client.ts";
import { MAX_CHOICES } from "../../src/services/lookup-account.ts";
import { QUERY_KINDS, type Query } from "./slack-queries.ts";

export interface SearchPlan {
  query: Query;
  ms: number;
  plan: string[];
}

/**
 * The search query findAccounts sends, under EXPLAIN ANALYZE, for the first query of each kind: the
 * real function is called with a handle that prefixes its SQL with EXPLAIN, so the statement is
 * exactly the one the app runs (what it returns is then a plan, not accounts, and is dropped).
 */
export async function explainSearches(
  prisma: PrismaClient,
  workspaceId: number,
  queries: readonly Query[],
): Promise<SearchPlan[]> {
  const plans: SearchPlan[] = [];
  for (const kind of QUERY_KINDS) {
    const query = queries.find((q) => q.kind === kind);
    if (!query) continue;
    let lines: string[] = [];
    const explaining = {
      $queryRawUnsafe: async (statement: string, ...params: unknown[]) => {
        const rows = await prisma.$queryRawUnsafe<{ "QUERY PLAN": string }[]>(
          `EXPLAIN (ANALYZE, BUFFERS) ${statement}`,
          ...params,
        );
        lines = rows.map((r) => r["QUERY PLAN"]);
        return [];
      },
    } as unknown as Db;
    await findAccounts(explaining, workspaceId, query.text, MAX_CHOICES);
    const ms = Number(/Execution Time: ([\d.]+) ms/.exec(lines.join("\n"))?.[1] ?? Number.NaN);
    plans.push({ query, ms, plan: lines });
  }
  return plans;
}
