// The CRMs css-bot writes scores back to, by connector kind (Salesforce's is to come).
import type { ConnectorKind } from "../contract.ts";
import type { CrmWriter } from "./contract.ts";
import { hubspotWriter } from "./hubspot.ts";

export type CrmWriters = Partial<Record<ConnectorKind, CrmWriter>>;

export const CRM_WRITERS: CrmWriters = { hubspot: hubspotWriter };

export function writeBackKinds(writers: CrmWriters = CRM_WRITERS): ConnectorKind[] {
  return Object.keys(writers) as ConnectorKind[];
}
