// Adding, listing and removing a workspace's connectors. Settings and secret are validated with the
// connector's own schemas before anything is stored; the secret is sealed (never stored, logged or
// listed in the clear). Re-adding a name updates that connector and clears its failure, so fixed
// credentials sync at the next run (and a later failure is reported again).
import { z } from "zod";
import { cadenceOf } from "../connectors/common-settings.ts";
import { CONNECTOR_KINDS, ConnectorConfigError, type ConnectorKind } from "../connectors/contract.ts";
import { CONNECTORS, type ConnectorRegistry } from "../connectors/registry.ts";
import { openConnectorSecret, sealConnectorSecret } from "../connectors/secrets.ts";
import { connectorHttp } from "../connectors/sync-runner.ts";
import { CRM_WRITERS, writeBackKinds, type CrmWriters } from "../connectors/write-back/registry.ts";
import { audit } from "../db/repositories/audit-log.ts";
import { findConnectorByName, listConnectors, type ConnectorListing } from "../db/repositories/connectors.ts";
import { KnownError } from "../errors.ts";
import type { ConnectorConfig, Prisma, PrismaClient } from "../generated/prisma/client.ts";
import type { SecretBox } from "../security/secret-box.ts";

export class ConnectorInputError extends KnownError {
  readonly code = "CONNECTOR_INPUT";
}

export interface AddConnectorInput {
  name: string;
  kind: string;
  /** The settings JSON as given (validated here). */
  settings: unknown;
  /** The secret JSON; undefined keeps the stored one (re-adding to change settings only). */
  secret?: unknown;
  actor: string;
  /**
   * Run the connector's check against its source first (ConnectorDefinition.check: credentials
   * taken, settings fit): a refusal stores nothing. The CLI checks; tests of storage alone need not.
   */
  check?: boolean;
  /** Write scores back to the CRM after each recompute (true), stop (false), keep as is (undefined). */
  writeBack?: boolean;
}

export const connectorNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "must be 1-63 lower-case letters, digits, - or _, e.g. warehouse");

export function availableKinds(registry: ConnectorRegistry = CONNECTORS): ConnectorKind[] {
  return CONNECTOR_KINDS.filter((k) => registry[k] !== undefined);
}

export async function addConnector(
  prisma: PrismaClient,
  box: SecretBox | null,
  workspaceId: number,
  input: AddConnectorInput,
  registry: ConnectorRegistry = CONNECTORS,
): Promise<{ connector: ConnectorConfig; created: boolean }> {
  const name = connectorNameSchema.safeParse(input.name);
  if (!name.success)
    throw new ConnectorInputError(
      `connector name ${JSON.stringify(input.name)} ${name.error.issues[0]!.message}`,
    );
  const kind = input.kind as ConnectorKind;
  const definition = registry[kind];
  if (!definition) {
    throw new ConnectorInputError(
      `no connector of kind ${JSON.stringify(input.kind)} in this version (available: ${availableKinds(registry).join(", ")})`,
    );
  }
  if (input.writeBack) requireWriteBack(kind);
  const settings = validate(definition.settings, input.settings, "settings");
  const secret = input.secret === undefined ? undefined : validate(definition.secret, input.secret, "secret");
  if (input.check && definition.check) {
    const stored = secret === undefined ? await findConnectorByName(prisma, workspaceId, name.data) : null;
    const current =
      secret ??
      (stored?.encryptedSecret && stored.kind === kind
        ? validate(
            definition.secret,
            openConnectorSecret(box, workspaceId, stored.id, stored.encryptedSecret),
            "secret",
          )
        : undefined);
    // Without credentials there is nothing to check with; the schema check below names what is missing.
    if (current !== undefined) {
      const http = connectorHttp(definition, settings as Record<string, unknown>, current, {
        retryBudgetMs: 20_000,
      });
      await definition.check({ settings, secret: current, http, signal: new AbortController().signal });
    }
  }
  return prisma.$transaction(async (tx) => {
    const existing = await findConnectorByName(tx, workspaceId, name.data);
    if (existing && existing.kind !== kind) {
      throw new ConnectorInputError(
        `connector "${name.data}" is a ${existing.kind} connector: remove it first to make it ${kind}`,
      );
    }
    if (secret === undefined && !existing?.encryptedSecret) {
      // A connector that needs no secret validates an empty one; one that does is told what to give.
      validate(definition.secret, {}, "secret");
    }
    // Turning write-back on (again) clears a refusal: the admin says the field is fixed.
    const writeBack =
      input.writeBack === undefined ? {} : { writeBack: input.writeBack, writeBackError: null };
    const connector = existing
      ? await tx.connectorConfig.update({
          where: { id: existing.id },
          data: {
            settings: settings as Prisma.InputJsonValue,
            status: "active",
            lastError: null,
            ...writeBack,
          },
        })
      : await tx.connectorConfig.create({
          data: {
            workspaceId,
            name: name.data,
            kind,
            settings: settings as Prisma.InputJsonValue,
            ...writeBack,
          },
        });
    const sealed = secret === undefined ? null : sealConnectorSecret(box, workspaceId, connector.id, secret);
    const stored = sealed
      ? await tx.connectorConfig.update({ where: { id: connector.id }, data: { encryptedSecret: sealed } })
      : connector;
    await audit(tx, workspaceId, {
      actor: input.actor,
      action: existing ? "connector.update" : "connector.add",
      target: name.data,
      details: {
        kind,
        secret_replaced: sealed !== null,
        cadence: cadenceOf(settings),
        ...(input.writeBack === undefined ? {} : { write_back: input.writeBack }),
      },
    });
    return { connector: stored, created: !existing };
  });
}

/**
 * Turns write-back on or off for an existing connector. On clears a refusal recorded by a previous
 * write (the admin has fixed the field or the scopes), so the next recompute writes again.
 */
export async function setWriteBack(
  prisma: PrismaClient,
  workspaceId: number,
  name: string,
  on: boolean,
  actor: string,
  writers: CrmWriters = CRM_WRITERS,
): Promise<ConnectorConfig> {
  return prisma.$transaction(async (tx) => {
    const connector = await requireConnector(tx, workspaceId, name);
    if (on) requireWriteBack(connector.kind, writers);
    const updated = await tx.connectorConfig.update({
      where: { id: connector.id },
      data: { writeBack: on, writeBackError: null },
    });
    await audit(tx, workspaceId, {
      actor,
      action: on ? "connector.write_back_on" : "connector.write_back_off",
      target: name,
      details: { kind: connector.kind, cleared_error: connector.writeBackError },
    });
    return updated;
  });
}

function requireWriteBack(kind: string, writers: CrmWriters = CRM_WRITERS): void {
  if (writers[kind as ConnectorKind]) return;
  throw new ConnectorInputError(
    `write-back is not available for ${kind} connectors (available: ${writeBackKinds(writers).join(", ")})`,
  );
}

export async function removeConnector(
  prisma: PrismaClient,
  workspaceId: number,
  name: string,
  actor: string,
): Promise<ConnectorConfig> {
  return prisma.$transaction(async (tx) => {
    const connector = await requireConnector(tx, workspaceId, name);
    // Its sync runs go with it; the accounts and data it synced, and their source ids, stay.
    await tx.connectorConfig.delete({ where: { id: connector.id } });
    await audit(tx, workspaceId, {
      actor,
      action: "connector.remove",
      target: name,
      details: { kind: connector.kind },
    });
    return connector;
  });
}

export async function requireConnector(
  db: Prisma.TransactionClient | PrismaClient,
  workspaceId: number,
  name: string,
): Promise<ConnectorConfig> {
  const connector = await findConnectorByName(db, workspaceId, name);
  if (!connector) {
    throw new ConnectorInputError(
      `no connector "${name}" in this workspace (see \`css-bot connectors list\`)`,
    );
  }
  return connector;
}

export function connectorListing(prisma: PrismaClient, workspaceId: number): Promise<ConnectorListing[]> {
  return listConnectors(prisma, workspaceId);
}

function validate(schema: z.ZodType, value: unknown, what: "settings" | "secret"): unknown {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `  ${[what, ...i.path].join(".")}: ${i.message}`);
  throw new ConnectorConfigError(`invalid connector ${what}:\n${problems.join("\n")}`);
}
