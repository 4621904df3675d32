// The CRMs css-bot writes scores back to, by connector kind.
import type { ConnectorKind } from "../contract.ts";
import type { CrmWriter } from "./contract.ts";
import { hubspotWriter } from "./hubspot.ts";
import { salesforceWriter } from "./salesforce.ts";

export type CrmWriters = Partial<Record<ConnectorKind, CrmWriter>>;

export const CRM_WRITERS: CrmWriters = { hubspot: hubspotWriter, salesforce: salesforceWriter };

export function writeBackKinds(writers: CrmWriters = CRM_WRITERS): ConnectorKind[] {
  return Object.keys(writers) as ConnectorKind[];
}
