// Salesforce's Query and QueryAll resources: one SOQL query, its batches of records followed through
// nextRecordsUrl to the end (developer.salesforce.com/docs/platform/api-rest/guide/resources-query.md).
// The Accounts and the Cases of the Salesforce connector read through it.
import { z } from "zod";
import type { HttpRequest } from "../contract.ts";
import { envelope } from "../vendor-common.ts";

/** One GET of the connector's session (token, batch size and usage header handled there). */
export type SalesforceRead = (path: string, query?: HttpRequest["query"]) => Promise<unknown>;

const querySchema = z.looseObject({
  done: z.boolean(),
  totalSize: z.number().int(),
  nextRecordsUrl: z.string().optional(),
  records: z.array(z.unknown()),
});

export interface QueryBatch {
  records: unknown[];
  /** No batch follows. */
  done: boolean;
}

/** The batches of one query, in order; the caller may stop between batches. */
export async function* queryBatches(
  read: SalesforceRead,
  api: string,
  resource: "query" | "queryAll",
  soql: string,
): AsyncGenerator<QueryBatch> {
  let answer = await read(`${api}/${resource}`, { q: soql });
  for (;;) {
    const page = envelope(querySchema, answer, `Salesforce ${api}/${resource}`);
    const done = page.done || !page.nextRecordsUrl;
    yield { records: page.records, done };
    if (done) return;
    answer = await read(page.nextRecordsUrl!);
  }
}
