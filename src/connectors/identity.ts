// One customer, one account, whatever system its data came from. A source's account is matched, in
// this order:
//   1. by the id the source knows it by, recorded in account_source_ids (source = connector kind);
//   2. by the customer's own account id (accounts.external_id) when the source carries it, or by the
//      id a connector gave the account it created (`<kind>:<sourceId>`);
//   3. by domain (exact, lower case) to an account of the workspace: with several, the one with the
//      customer's own id, else the oldest. A source that names the customer's own id only takes an
//      account by domain that a connector created (and gives it that id); two accounts with their
//      own ids are two customers even on one domain;
//   4. otherwise a new account is created, its external id the customer's id when the source has it,
//      else `<kind>:<sourceId>` (say, `hubspot:8812`, `stripe:cus_N1`).
// The match is recorded in account_source_ids, so the next sync finds it at step 1.
//
// The SQL connector is different: its source ids ARE the customer's account ids (the account_id
// column of the file formats), so its records are matched by external id directly and nothing is
// recorded in account_source_ids.
import { resolveAccountIds } from "../db/repositories/accounts.ts";
import type { Db } from "../db/handle.ts";
import {
  createMissingAccounts,
  findByDomains,
  findBySourceIds,
  updateAccountFields,
  upsertSourceIds,
  type AccountFields,
  type DomainAccount,
} from "../db/repositories/source-accounts.ts";
import { formatDay } from "../domain/dates.ts";
import {
  CONNECTOR_KINDS,
  type ConnectorKind,
  type RejectedRecord,
  type SourceAccount,
  type SourceRemoval,
} from "./contract.ts";

/** Sources whose ids are the customer's own account ids. */
const CUSTOMER_ID_SOURCES: ReadonlySet<ConnectorKind> = new Set(["sql"]);

const SYNTHETIC_ID = new RegExp(`^(${CONNECTOR_KINDS.join("|")}):`);

/** The external id of an account a connector creates when the source has no customer id for it. */
export function syntheticExternalId(kind: ConnectorKind, sourceId: string): string {
  return `${kind}:${sourceId}`;
}

/**
 * The response's dedupe key: per source and response id, so a response read again is one response.
 * The SQL connector's response ids are the customer's (or a row digest, `row:...`), keyed as the file
 * import keys them, so a response imported from a file and read from the warehouse is stored once.
 */
export function responseKey(kind: ConnectorKind, responseId: string): string {
  if (!CUSTOMER_ID_SOURCES.has(kind)) return `${kind}:${responseId}`;
  return responseId.startsWith("row:") ? responseId : `id:${responseId}`;
}

/** Account ids of source account ids already known (for metrics and responses). */
export async function resolveSourceAccounts(
  db: Db,
  workspaceId: number,
  kind: ConnectorKind,
  sourceIds: readonly string[],
): Promise<Map<string, number>> {
  return CUSTOMER_ID_SOURCES.has(kind)
    ? resolveAccountIds(db, workspaceId, sourceIds)
    : findBySourceIds(db, workspaceId, kind, sourceIds);
}

type Target = { id: number; rename?: string } | { create: string; name: string };

/**
 * Matches a page's accounts to accounts (creating the missing ones), writes their fields and
 * records their source ids. Returns sourceId -> account id for every account of the page.
 */
export async function reconcileAccounts(
  db: Db,
  workspaceId: number,
  kind: ConnectorKind,
  accounts: readonly SourceAccount[],
): Promise<Map<string, number>> {
  if (accounts.length === 0) return new Map();
  const customerIds = CUSTOMER_ID_SOURCES.has(kind);
  // One record per source id: a later one's known fields win.
  const bySource = new Map<string, SourceAccount>();
  for (const a of accounts) {
    const r = customerIds ? { ...a, externalId: a.externalId ?? a.sourceId } : a;
    bySource.set(r.sourceId, { ...bySource.get(r.sourceId), ...r });
  }
  const records = [...bySource.values()];
  const ownId = (a: SourceAccount) => a.externalId ?? syntheticExternalId(kind, a.sourceId);

  const mapped = customerIds
    ? new Map<string, number>()
    : await findBySourceIds(db, workspaceId, kind, [...bySource.keys()]);
  const byExternal = await resolveAccountIds(db, workspaceId, records.map(ownId));
  const domainRows = await findByDomains(
    db,
    workspaceId,
    records.flatMap((a) => (a.domain ? [a.domain] : [])),
  );
  const byDomain = new Map<string, DomainAccount[]>();
  for (const row of domainRows) byDomain.set(row.domain, [...(byDomain.get(row.domain) ?? []), row]);

  const targets = new Map<string, Target>();
  /** Targets claimed in this page, by external id and by domain, so a page never makes two of one. */
  const claimed = new Map<string, Target>();
  const claimedDomains = new Map<string, Target>();
  const renamed = new Set<number>();
  function pick(a: SourceAccount): Target {
    const known = mapped.get(a.sourceId);
    if (known !== undefined) return { id: known };
    const ext = ownId(a);
    const byId = byExternal.get(ext);
    if (byId !== undefined) return { id: byId };
    const already = claimed.get(ext);
    if (already) return already;
    const domainTarget = a.domain ? matchDomain(a, a.domain) : null;
    if (domainTarget) return domainTarget;
    const target: Target = { create: ext, name: a.name ?? a.domain ?? ext };
    claimed.set(ext, target);
    if (a.domain) claimedDomains.set(a.domain, target);
    return target;
  }

  function matchDomain(a: SourceAccount, domain: string): Target | null {
    const inPage = claimedDomains.get(domain);
    const candidates = byDomain.get(domain) ?? [];
    if (a.externalId == null) {
      const best = candidates.find((c) => !SYNTHETIC_ID.test(c.externalId)) ?? candidates[0];
      return best ? { id: best.id } : (inPage ?? null);
    }
    // The customer's own id: only an account a connector made up is taken (once), and given that id.
    const best = candidates.find((c) => SYNTHETIC_ID.test(c.externalId) && !renamed.has(c.id));
    if (!best) return null;
    renamed.add(best.id);
    const target: Target = { id: best.id, rename: a.externalId };
    claimed.set(a.externalId, target);
    return target;
  }

  for (const a of records) targets.set(a.sourceId, pick(a));
  const created = await createMissingAccounts(
    db,
    workspaceId,
    [...new Set([...targets.values()].filter((t) => "create" in t))].map((t) => ({
      externalId: (t as { create: string }).create,
      name: (t as { name: string }).name,
    })),
  );
  const ids = new Map<string, number>();
  const updates = new Map<number, { id: number; rename?: string; fields: AccountFields }>();
  for (const a of records) {
    const t = targets.get(a.sourceId)!;
    const id = "id" in t ? t.id : created.get(t.create)!;
    ids.set(a.sourceId, id);
    const previous = updates.get(id);
    updates.set(id, {
      id,
      ...("rename" in t && t.rename
        ? { rename: t.rename }
        : previous?.rename
          ? { rename: previous.rename }
          : {}),
      fields: { ...previous?.fields, ...fieldsOf(a) },
    });
  }
  await updateAccountFields(db, workspaceId, [...updates.values()]);
  if (!customerIds) await upsertSourceIds(db, workspaceId, kind, ids);
  return ids;
}

/**
 * A source's removed accounts (contract.ts SourceRemoval), after its page's accounts were reconciled.
 * A deleted account is churned on the day of its deletion, its MRR 0 (as Stripe's deleted customers).
 * A merged one's source id is recorded as the winner's account, so later records naming it land
 * there; when the two were different accounts here, the loser's stays as it was (its history is its
 * own: css-bot does not fold one account's snapshots and cases into another's) and a note says so.
 */
export async function applyRemovals(
  db: Db,
  workspaceId: number,
  kind: ConnectorKind,
  removals: readonly SourceRemoval[],
): Promise<{ applied: number; notes: RejectedRecord[] }> {
  if (removals.length === 0) return { applied: 0, notes: [] };
  const ids = removals.flatMap((r) => (r.mergedInto ? [r.sourceId, r.mergedInto] : [r.sourceId]));
  const known = await findBySourceIds(db, workspaceId, kind, ids);
  const churned: { id: number; fields: AccountFields }[] = [];
  const repointed = new Map<string, number>();
  const notes: RejectedRecord[] = [];
  for (const r of removals) {
    const account = known.get(r.sourceId);
    if (account === undefined) continue; // never an account here: nothing to remove
    if (!r.mergedInto) {
      churned.push({ id: account, fields: { status: "churned", churned_at: formatDay(r.on), mrr: 0 } });
      continue;
    }
    const winner = known.get(r.mergedInto);
    const record = `account ${r.sourceId}`;
    if (winner === undefined) {
      notes.push({ record, reason: `merged into ${r.mergedInto}, which is no account here: left as it was` });
      continue;
    }
    repointed.set(r.sourceId, winner);
    if (winner !== account)
      notes.push({
        record,
        reason: `merged into ${r.mergedInto}: the account it was here (id ${account}) keeps its history and is no longer synced; remove or mark it churned by an import`,
      });
  }
  await updateAccountFields(db, workspaceId, churned);
  await upsertSourceIds(db, workspaceId, kind, repointed);
  return { applied: churned.length + repointed.size, notes };
}

/** Sets the fields of the accounts the source already knows by these ids; returns how many. */
export async function updateKnownAccounts(
  db: Db,
  workspaceId: number,
  kind: ConnectorKind,
  updates: readonly SourceAccount[],
): Promise<number> {
  if (updates.length === 0) return 0;
  const known = await findBySourceIds(
    db,
    workspaceId,
    kind,
    updates.map((u) => u.sourceId),
  );
  const rows = updates.flatMap((u) => {
    const id = known.get(u.sourceId);
    return id === undefined ? [] : [{ id, fields: fieldsOf(u) }];
  });
  await updateAccountFields(db, workspaceId, rows);
  return rows.length;
}

/** The columns a source account sets: the fields it knows (null included), none it left out. */
function fieldsOf(a: SourceAccount): AccountFields {
  const f: AccountFields = {};
  const day = (d: number | null) => (d === null ? null : formatDay(d));
  if (a.name != null) f.name = a.name;
  if (a.domain !== undefined) f.domain = a.domain;
  if (a.segment !== undefined) f.segment = a.segment;
  if (a.owner !== undefined) f.owner = a.owner;
  if (a.mrr !== undefined) f.mrr = a.mrr;
  if (a.seats !== undefined) f.seats = a.seats;
  if (a.renewalDate !== undefined) f.renewal_date = day(a.renewalDate);
  if (a.createdAt !== undefined) f.customer_since = day(a.createdAt);
  // A churn date without a status means the account churned (as in the file formats).
  const status = a.status ?? (a.churnedAt != null ? "churned" : undefined);
  if (status !== undefined) f.status = status;
  if (a.churnedAt !== undefined) f.churned_at = day(a.churnedAt);
  return f;
}
