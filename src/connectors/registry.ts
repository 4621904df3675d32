// Every connector this version knows, by kind. Adding one is one line here (and its import).
import type { ConnectorDefinition, ConnectorKind } from "./contract.ts";
import { hubspotConnector } from "./hubspot.ts";
import { salesforceConnector } from "./salesforce/connector.ts";
import { sqlConnector } from "./sql.ts";
import { stripeConnector } from "./stripe.ts";
import { zendeskConnector } from "./zendesk.ts";

// The settings, secret and cursor types differ per connector; the runner only moves them between
// the definition's own schemas and its sync(), so here they are unknown.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyConnectorDefinition = ConnectorDefinition<any, any, any>;

export const CONNECTORS: Partial<Record<ConnectorKind, AnyConnectorDefinition>> = {
  sql: sqlConnector,
  stripe: stripeConnector,
  hubspot: hubspotConnector,
  salesforce: salesforceConnector,
  zendesk: zendeskConnector,
};

export type ConnectorRegistry = Partial<Record<ConnectorKind, AnyConnectorDefinition>>;
