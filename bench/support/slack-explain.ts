// The search `/css <account>` runs (findAccounts), under EXPLAIN ANALYZE, for one query of each kind:
// where the time of a lookup goes, measured apart from the load: every statement it sends (one per
// rule tried, until one matches), planning and execution added up.
import type { SqlClient } from "../../src/db/handle.ts";
import { findAccounts } from "../../src/db/repositories/accounts.ts";
import { MAX_CHOICES } from "../../src/services/lookup-account.ts";
import { QUERY_KINDS, type Query } from "./slack-queries.ts";

export interface SearchPlan {
  query: Query;
  /** Planning and execution of every statement the search sent, added up. */
  ms: number;
  /** How many statements it sent (one per rule tried). */
  statements: number;
  plan: string[];
}

/**
 * The search query findAccounts sends, under EXPLAIN ANALYZE, for the first query of each kind: the
 * real function is called with a handle that prefixes its SQL with EXPLAIN, so the statement is
 * exactly the one the app runs (what it returns is then a plan, not accounts, and is dropped).
 */
export async function explainSearches(
  sql: SqlClient,
  workspaceId: number,
  queries: readonly Query[],
): Promise<SearchPlan[]> {
  const plans: SearchPlan[] = [];
  for (const kind of QUERY_KINDS) {
    const query = queries.find((q) => q.kind === kind);
    if (!query) continue;
    const lines: string[] = [];
    let ms = 0;
    let statements = 0;
    // Each statement is explained, then run for real, so the search stops at the rule it stops at.
    const explaining: SqlClient = {
      ...sql,
      query: async <T extends object>(statement: string, params: readonly unknown[]) => {
        const rows = await sql.query<{ "QUERY PLAN": string }>(
          `EXPLAIN (ANALYZE, BUFFERS) ${statement}`,
          params,
        );
        const plan = rows.map((r) => r["QUERY PLAN"]);
        const time = (what: string) =>
          Number(new RegExp(`${what} Time: ([\\d.]+) ms`).exec(plan.join("\n"))?.[1]);
        ms += time("Planning") + time("Execution");
        statements++;
        lines.push(`-- statement ${statements}`, ...plan);
        return sql.query<T>(statement, params);
      },
    };
    await findAccounts(explaining, workspaceId, query.text, MAX_CHOICES);
    plans.push({ query, ms, statements, plan: lines });
  }
  return plans;
}
