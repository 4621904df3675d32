// Salesforce Cases as support load, the metrics the Zendesk connector writes from tickets, so a model
// reads either: `open_tickets` (the account's cases not closed, on the sync day), `open_tickets_high`
// (those of them at a high priority) and `tickets_created` (cases opened per account and day).
//
// Each sync reads every open case (a query of IsClosed = false), so the open counts are exact; the
// accounts that had open cases at the last sync and have none now get 0. Cases created are recounted
// for whole days, from the day before the last sync's day (a case stamped just before midnight may
// commit after it) to today: a day's count is written whole, so recounting it changes nothing. The
// first sync counts every case ever created. Deleted cases count nowhere (Query, not QueryAll).
import { z } from "zod";
import { dateToDay, formatDay, type Day } from "../../domain/dates.ts";
import type { RejectedRecord, SourceMetric, SyncPage } from "../contract.ts";
import { queryBatches, type SalesforceRead } from "./query.ts";
import { checkRecords } from "../vendor-common.ts";

export const casesStateSchema = z.object({
  /** Accounts (Salesforce Ids) with open cases at the last sync. */
  open: z.array(z.string()),
  /** The first day whose cases created the next sync recounts. */
  from: z.number().int(),
});
export type CasesState = z.infer<typeof casesStateSchema>;

const openCaseSchema = z.looseObject({
  Id: z.string(),
  AccountId: z.string(),
  Priority: z.string().nullish(),
});
const createdCaseSchema = z.looseObject({ Id: z.string(), AccountId: z.string(), CreatedDate: z.string() });

export async function readCases(
  read: SalesforceRead,
  api: string,
  highPriorities: readonly string[],
  previous: CasesState | null,
  today: Day,
): Promise<{ page: Omit<SyncPage<unknown>, "cursor">; state: CasesState }> {
  const high = new Set(highPriorities.map((p) => p.toLowerCase()));
  const rejected: RejectedRecord[] = [];
  let readCount = 0;
  const open = new Map<string, { all: number; high: number }>();
  const openSoql = "SELECT Id, AccountId, Priority FROM Case WHERE IsClosed = false AND AccountId != null";
  for await (const batch of queryBatches(read, api, "query", openSoql)) {
    const checked = checkRecords(batch.records, openCaseSchema, "case");
    readCount += batch.records.length;
    rejected.push(...checked.rejected);
    for (const c of checked.records) {
      const counts = open.get(c.AccountId) ?? { all: 0, high: 0 };
      counts.all++;
      if (high.has((c.Priority ?? "").toLowerCase())) counts.high++;
      open.set(c.AccountId, counts);
    }
  }
  const from = previous ? Math.min(previous.from, today - 1) : null;
  const created = new Map<string, Map<Day, number>>();
  const createdSoql =
    "SELECT Id, AccountId, CreatedDate FROM Case WHERE AccountId != null" +
    (from === null ? "" : ` AND CreatedDate >= ${formatDay(from)}T00:00:00Z`);
  for await (const batch of queryBatches(read, api, "query", createdSoql)) {
    const checked = checkRecords(batch.records, createdCaseSchema, "case");
    readCount += batch.records.length;
    rejected.push(...checked.rejected);
    for (const c of checked.records) {
      const at = Date.parse(c.CreatedDate);
      if (Number.isNaN(at)) {
        rejected.push({ record: `case ${c.Id}`, reason: `CreatedDate: not a time: ${c.CreatedDate}` });
        continue;
      }
      const days = created.get(c.AccountId) ?? new Map<Day, number>();
      const day = dateToDay(new Date(at));
      days.set(day, (days.get(day) ?? 0) + 1);
      created.set(c.AccountId, days);
    }
  }
  const metric = (account: string, name: string, value: number, observedOn: Day): SourceMetric => ({
    sourceAccountId: account,
    metric: name,
    value,
    observedOn,
  });
  const metrics: SourceMetric[] = [];
  for (const [account, counts] of open) {
    metrics.push(metric(account, "open_tickets", counts.all, today));
    metrics.push(metric(account, "open_tickets_high", counts.high, today));
  }
  for (const account of previous?.open ?? []) {
    if (open.has(account)) continue;
    metrics.push(metric(account, "open_tickets", 0, today), metric(account, "open_tickets_high", 0, today));
  }
  for (const [account, days] of created)
    for (const [day, count] of days) metrics.push(metric(account, "tickets_created", count, day));
  return {
    page: { read: readCount, metrics, rejected },
    state: { open: [...open.keys()], from: today - 1 },
  };
}
