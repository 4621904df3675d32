// Renewal dates from Salesforce Opportunities (settings.renewal_opportunity_types): an account's
// renewal is the earliest CloseDate of its open opportunities of those types. Opportunities change
// without touching their Account, so each sync reads every open renewal opportunity, and the renewal
// ones closed since the last sync: an account left with none has its renewal date cleared.
import type { Day } from "../../domain/dates.ts";
import { z } from "zod";
import type { RejectedRecord, SourceAccount } from "../contract.ts";
import { queryBatches, type SalesforceRead } from "./query.ts";
import { checkRecords, vendorDay } from "../vendor-common.ts";

const opportunitySchema = z.looseObject({
  Id: z.string(),
  AccountId: z.string(),
  CloseDate: z.string().nullish(),
  IsClosed: z.boolean(),
});

/** A SOQL string literal: quotes and backslashes escaped (SOQL's own escapes). */
export const soqlString = (text: string): string => `'${text.replace(/[\\']/g, (c) => `\\${c}`)}'`;

export async function readRenewals(
  read: SalesforceRead,
  api: string,
  types: readonly string[],
  /** Closed opportunities modified since then are read too (SOQL datetime); null on the first read. */
  closedSince: string | null,
): Promise<{ read: number; updates: SourceAccount[]; rejected: RejectedRecord[] }> {
  const open =
    closedSince === null ? "IsClosed = false" : `(IsClosed = false OR SystemModstamp >= ${closedSince})`;
  const soql =
    "SELECT Id, AccountId, CloseDate, IsClosed FROM Opportunity WHERE AccountId != null" +
    ` AND Type IN (${types.map(soqlString).join(", ")}) AND ${open}`;
  const next = new Map<string, Day | null>();
  const rejected: RejectedRecord[] = [];
  let count = 0;
  for await (const batch of queryBatches(read, api, "query", soql)) {
    const checked = checkRecords(batch.records, opportunitySchema, "opportunity");
    count += batch.records.length;
    rejected.push(...checked.rejected);
    for (const o of checked.records) {
      if (!next.has(o.AccountId)) next.set(o.AccountId, null);
      if (o.IsClosed) continue;
      const day = o.CloseDate ? vendorDay(o.CloseDate) : null;
      if (day === null) {
        rejected.push({
          record: `opportunity ${o.Id}`,
          reason: `CloseDate: not a date: ${JSON.stringify(o.CloseDate)}`,
        });
        continue;
      }
      const seen = next.get(o.AccountId);
      if (seen === null || seen === undefined || day < seen) next.set(o.AccountId, day);
    }
  }
  const updates = [...next].map(([sourceId, renewalDate]) => ({ sourceId, renewalDate }));
  return { read: count, updates, rejected };
}
