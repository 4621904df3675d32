// Write-back to Salesforce: css-bot's custom fields on Account, which an admin creates (the REST API
// cannot; docs/connectors.md, "Write-back", lists them), checked against the org's describe (present,
// of a type css-bot can write, editable by the integration user), then written through the sObject
// Collections API, 200 accounts a call, each record on its own (allOrNone false).
import { z } from "zod";
import type { RecordValues, WriteBackField } from "../../domain/crm/write-back.ts";
import type { SourceHttp } from "../contract.ts";
import { audienceOf, SalesforceSession } from "../salesforce/auth.ts";
import type { SalesforceSecret } from "../salesforce/auth.ts";
import type { SalesforceSettings } from "../salesforce/connector.ts";
import { envelope } from "../vendor-common.ts";
import { WriteRefusedError, type CrmWriter } from "./contract.ts";

interface FieldSpec {
  name: string;
  /** Describe's types css-bot can write this value to. */
  types: readonly string[];
  /** What to create, as Setup names it. */
  create: string;
  number: boolean;
}

/** css-bot's fields on Account (API names fixed: reports and flows may use them). */
export const SALESFORCE_FIELDS: Record<WriteBackField, FieldSpec> = {
  score: { name: "CSS_Score__c", types: ["double", "int"], create: "Number(3, 0)", number: true },
  band: { name: "CSS_Band__c", types: ["string", "textarea"], create: "Text(40)", number: false },
  churn_probability: {
    name: "CSS_Churn_Probability__c",
    types: ["double"],
    create: "Number(1, 3)",
    number: true,
  },
  top_drivers: {
    name: "CSS_Top_Drivers__c",
    types: ["string", "textarea"],
    create: "Text(255)",
    number: false,
  },
  card_link: {
    name: "CSS_Card_Link__c",
    types: ["url", "string", "textarea"],
    create: "URL(255)",
    number: false,
  },
};

const describeSchema = z.looseObject({
  fields: z.array(z.looseObject({ name: z.string(), type: z.string(), updateable: z.boolean().optional() })),
});
const resultsSchema = z.array(
  z.looseObject({
    id: z.string().nullish(),
    success: z.boolean(),
    errors: z.array(z.looseObject({ statusCode: z.string(), message: z.string().optional() })).default([]),
  }),
);
/** Per-record errors that say the account is gone (deleted, merged away): left out, not refused. */
const GONE = new Set(["ENTITY_IS_DELETED", "INVALID_CROSS_REFERENCE_KEY", "INVALID_ID_FIELD"]);

export const salesforceWriter: CrmWriter = {
  title: "Salesforce",
  permissions:
    "the integration user's profile or permission set must have Edit on Account and read/write field-level security on css-bot's fields",
  batchSize: 200,
  // The org's allowance is per 24 hours (REQUEST_LIMIT_EXCEEDED is retried like a 429); a short
  // pause keeps a large write-back from crowding the org's other integrations.
  paceMs: 50,
  open: ({ settings, secret, http }) => {
    const s = settings as SalesforceSettings;
    const session = new SalesforceSession(http, secret as SalesforceSecret, audienceOf(s.base_url));
    const api = `/services/data/${s.api_version}`;
    return {
      prepare: () => checkFields(session, api),
      write: (batch) => writeAccounts(session, api, batch),
    };
  },
};

async function checkFields(session: Pick<SourceHttp, "json">, api: string): Promise<void> {
  const path = `${api}/sobjects/Account/describe`;
  const described = envelope(describeSchema, await session.json({ path }), `Salesforce ${path}`);
  const fields = new Map(described.fields.map((f) => [f.name.toLowerCase(), f]));
  const problems: string[] = [];
  for (const spec of Object.values(SALESFORCE_FIELDS)) {
    const field = fields.get(spec.name.toLowerCase());
    if (!field)
      problems.push(
        `${spec.name} is missing or not visible to the integration user (create it as ${spec.create})`,
      );
    else if (!spec.types.includes(field.type))
      problems.push(`${spec.name} is a ${field.type} field; css-bot writes ${spec.create}`);
    else if (field.updateable === false)
      problems.push(
        `${spec.name} is read-only for the integration user (give it Edit in field-level security)`,
      );
  }
  if (problems.length) throw new WriteRefusedError(`Salesforce Account fields: ${problems.join("; ")}`);
}

async function writeAccounts(
  session: Pick<SourceHttp, "json">,
  api: string,
  batch: readonly RecordValues[],
): Promise<{ notFound: string[] }> {
  const path = `${api}/composite/sobjects`;
  const records = batch.map((r) => ({
    attributes: { type: "Account" },
    id: r.recordId,
    ...fieldValues(r.values),
  }));
  const answer = envelope(
    resultsSchema,
    await session.json({ method: "PATCH", path, body: { allOrNone: false, records } }),
    `Salesforce ${path}`,
  );
  const notFound: string[] = [];
  answer.forEach((result, i) => {
    if (result.success) return;
    const [first] = result.errors;
    if (first && GONE.has(first.statusCode)) notFound.push(batch[i]!.recordId);
    else
      throw new WriteRefusedError(
        `Salesforce refused the update of Account ${batch[i]!.recordId}: ${first?.statusCode ?? "error"}: ${first?.message ?? "no message"}`,
      );
  });
  return { notFound };
}

/** Salesforce takes numbers as JSON numbers and clears a field with null. */
function fieldValues(values: RecordValues["values"]): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {};
  for (const [field, spec] of Object.entries(SALESFORCE_FIELDS)) {
    const value = values[field as WriteBackField];
    out[spec.name] = value === "" ? null : spec.number ? Number(value) : value;
  }
  return out;
}
