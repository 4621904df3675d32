// The statements `/css <account>` sends (lookupAccount: the exact match with its card, then the
// search's rules until one matches, then the card), under EXPLAIN ANALYZE, for one query of each
// kind: where the database's time of a lookup goes, measured apart from the load, planning and
// execution added up.
import type { Clients, SqlClient } from "../../src/db/handle.ts";
import { lookupAccount } from "../../src/services/lookup-account.ts";
import { QUERY_KINDS, type Query } from "./slack-queries.ts";

export interface LookupPlan {
  query: Query;
  /** Planning and execution of every statement the lookup sent, added up. */
  ms: number;
  /** How many statements it sent. */
  statements: number;
  plan: string[];
}

/**
 * The statements lookupAccount sends, under EXPLAIN ANALYZE, for the first query of each kind: the
 * real function is called with a handle that explains each statement before running it, so the
 * statements are exactly the ones the app runs.
 */
export async function explainLookups(
  { prisma, sql }: Clients,
  workspaceId: number,
  queries: readonly Query[],
): Promise<LookupPlan[]> {
  const plans: LookupPlan[] = [];
  for (const kind of QUERY_KINDS) {
    const query = queries.find((q) => q.kind === kind);
    if (!query) continue;
    const lines: string[] = [];
    let ms = 0;
    let statements = 0;
    // Each statement is explained, then run for real, so the lookup goes on as it does in the app.
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
    await lookupAccount({ prisma, sql: explaining }, workspaceId, query.text);
    plans.push({ query, ms, statements, plan: lines });
  }
  return plans;
}
