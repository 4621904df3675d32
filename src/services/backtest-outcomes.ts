// Reads an outcomes file (`account_id,churned[,churned_at]`, CSV or JSON Lines like the other
// files): which accounts churned. Bad rows are reported by file, line and field, like every input.
import { z } from "zod";
import { parseDay, type Day } from "../domain/dates.ts";
import { readRows, type FileColumns } from "../ingest/read-records.ts";
import type { IssueReport } from "../ingest/row-issues.ts";

export interface Outcome {
  accountId: string;
  churned: boolean;
  churnedAt: Day | null;
  line: number;
}

const OUTCOME_COLUMNS: FileColumns = {
  label: "outcomes",
  required: ["account_id", "churned"],
  optional: ["churned_at"],
};

const blank = (v: unknown) => v === undefined || v === null || (typeof v === "string" && v.trim() === "");

const outcomeSchema = z
  .object({
    account_id: z.preprocess(
      (v) => (typeof v === "number" ? String(v) : typeof v === "string" ? v.trim() : v),
      z.string({ error: "required" }).min(1, "required").max(200, "at most 200 characters"),
    ),
    churned: z.preprocess(
      (v) => {
        const s = typeof v === "string" ? v.trim().toLowerCase() : v;
        if (s === "1" || s === 1 || s === "true" || s === true) return true;
        if (s === "0" || s === 0 || s === "false" || s === false) return false;
        return blank(v) ? undefined : String(v);
      },
      z.boolean({
        error: (i) =>
          i.input === undefined ? "required" : `must be 1, 0, true or false, got ${JSON.stringify(i.input)}`,
      }),
    ),
    churned_at: z.preprocess(
      (v) => (blank(v) ? null : v),
      z
        .string({ error: "a date YYYY-MM-DD is expected" })
        .nullable()
        .transform((s, ctx) => {
          if (s === null) return null;
          const day = parseDay(s);
          if (day === null) {
            ctx.addIssue({
              code: "custom",
              message: `not a date (YYYY-MM-DD or ISO timestamp): ${JSON.stringify(s)}`,
            });
            return z.NEVER;
          }
          return day;
        }),
    ),
  })
  .superRefine((r, ctx) => {
    if (!r.churned && r.churned_at !== null)
      ctx.addIssue({ code: "custom", path: ["churned_at"], message: "set, but churned is 0 (false)" });
  });

/**
 * Every outcome of the file, keyed by account; bad rows, duplicates and accounts not in `known` go
 * to `report` (their outcome is left out).
 */
export async function readOutcomes(
  file: string,
  known: ReadonlySet<string>,
  accountsFile: string,
  report: IssueReport,
): Promise<Map<string, Outcome>> {
  const outcomes = new Map<string, Outcome>();
  for await (const row of readRows(file, OUTCOME_COLUMNS, (line, values) => ({ line, values }))) {
    if ("issues" in row) {
      report.add(file, row.issues);
      continue;
    }
    const { line } = row;
    const result = outcomeSchema.safeParse(row.values);
    if (!result.success) {
      report.add(
        file,
        result.error.issues.map((i) => ({
          line,
          field: i.path.length > 0 ? String(i.path[0]) : null,
          reason: i.message,
        })),
      );
      continue;
    }
    const r = result.data;
    const issue = (reason: string) => report.add(file, [{ line, field: "account_id", reason }]);
    const first = outcomes.get(r.account_id);
    if (first) issue(`duplicate outcome for ${JSON.stringify(r.account_id)} (first on line ${first.line})`);
    else if (!known.has(r.account_id))
      issue(`unknown account ${JSON.stringify(r.account_id)} (not in ${accountsFile})`);
    else
      outcomes.set(r.account_id, {
        accountId: r.account_id,
        churned: r.churned,
        churnedAt: r.churned_at,
        line,
      });
  }
  return outcomes;
}
