// Write-back to HubSpot: css-bot's custom company properties, in their own property group
// ("css_bot"), created when missing through the properties API; values written through the batch
// update API, 100 companies a call. docs/connectors.md, "Write-back", lists them for admins.
import { z } from "zod";
import type { RecordValues, WriteBackField } from "../../domain/crm/write-back.ts";
import type { SourceHttp } from "../contract.ts";
import { envelope } from "../vendor-common.ts";
import { WriteRefusedError, type CrmWriter } from "./contract.ts";

export const HUBSPOT_GROUP = { name: "css_bot", label: "css-bot", displayOrder: -1 };

interface PropertySpec {
  name: string;
  label: string;
  type: "string" | "number";
  fieldType: "text" | "textarea" | "number";
  description: string;
}

/** css-bot's fields as HubSpot company properties (internal names fixed: reports may use them). */
export const HUBSPOT_PROPERTIES: Record<WriteBackField, PropertySpec> = {
  score: {
    name: "css_score",
    label: "Customer Success Score",
    type: "number",
    fieldType: "number",
    description: "The account's health score, 0-100, from css-bot's latest recompute.",
  },
  band: {
    name: "css_band",
    label: "CSS band",
    type: "string",
    fieldType: "text",
    description: "The score's band (healthy, watch, at_risk...).",
  },
  churn_probability: {
    name: "css_churn_probability",
    label: "CSS churn probability",
    type: "number",
    fieldType: "number",
    description: "The chance of churning within the model's horizon, 0-1; empty without a churn map.",
  },
  top_drivers: {
    name: "css_top_drivers",
    label: "CSS top drivers",
    type: "string",
    fieldType: "textarea",
    description: "The components costing the score the most points, worst first.",
  },
  card_link: {
    name: "css_card_link",
    label: "CSS card",
    type: "string",
    fieldType: "text",
    description: "A link to the account's card in Slack (its case thread), when it has one.",
  },
};

const PROPERTIES = "/crm/v3/properties/companies";
const GROUPS = `${PROPERTIES}/groups`;
const BATCH_UPDATE = "/crm/v3/objects/companies/batch/update";

const listSchema = z.looseObject({
  results: z.array(z.looseObject({ name: z.string(), type: z.string().optional() })),
});
const batchSchema = z.looseObject({
  status: z.string().optional(),
  errors: z
    .array(
      z.looseObject({
        category: z.string().optional(),
        message: z.string().optional(),
        context: z.looseObject({ ids: z.array(z.string()).optional() }).optional(),
      }),
    )
    .optional(),
});

export const hubspotWriter: CrmWriter = {
  title: "HubSpot",
  permissions:
    "scopes crm.objects.companies.read, crm.objects.companies.write, crm.schemas.companies.read, crm.schemas.companies.write",
  batchSize: 100,
  // Private apps may make 100 requests per 10 s (Free and Starter; more on higher tiers): 9 batch
  // calls a second leave room for the connector's own sync.
  paceMs: 110,
  open: ({ http }) => ({ prepare: () => prepareHubSpot(http), write: (batch) => writeHubSpot(http, batch) }),
};

async function prepareHubSpot(http: SourceHttp): Promise<void> {
  const groups = envelope(listSchema, await http.json({ path: GROUPS }), `HubSpot ${GROUPS}`);
  if (!groups.results.some((g) => g.name === HUBSPOT_GROUP.name))
    await http.json({ method: "POST", path: GROUPS, body: HUBSPOT_GROUP });
  const existing = envelope(listSchema, await http.json({ path: PROPERTIES }), `HubSpot ${PROPERTIES}`);
  const types = new Map(existing.results.map((p) => [p.name, p.type]));
  for (const spec of Object.values(HUBSPOT_PROPERTIES)) {
    const type = types.get(spec.name);
    if (type === undefined) {
      await http.json({
        method: "POST",
        path: PROPERTIES,
        body: { ...spec, groupName: HUBSPOT_GROUP.name },
      });
    } else if (type !== spec.type) {
      throw new WriteRefusedError(
        `the HubSpot company property ${spec.name} is of type ${type}, css-bot writes a ${spec.type}: ` +
          `delete the property (css-bot then creates it) or change its type`,
      );
    }
  }
}

async function writeHubSpot(
  http: SourceHttp,
  batch: readonly RecordValues[],
): Promise<{ notFound: string[] }> {
  const inputs = batch.map((r) => ({ id: r.recordId, properties: hubspotProperties(r.values) }));
  const answer = envelope(
    batchSchema,
    await http.json({ method: "POST", path: BATCH_UPDATE, body: { inputs } }),
    `HubSpot ${BATCH_UPDATE}`,
  );
  const notFound: string[] = [];
  for (const error of answer.errors ?? []) {
    // A company deleted or merged since the last sync: the next sync says so; nothing to refuse.
    if (error.category === "OBJECT_NOT_FOUND") notFound.push(...(error.context?.ids ?? []));
    else
      throw new WriteRefusedError(
        `HubSpot refused part of a batch update (${error.category ?? "error"}): ${error.message ?? "no message"}`,
      );
  }
  return { notFound };
}

function hubspotProperties(values: RecordValues["values"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, spec] of Object.entries(HUBSPOT_PROPERTIES))
    out[spec.name] = values[field as WriteBackField];
  return out;
}
