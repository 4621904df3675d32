// The breakdown of an account's score, and the drivers since its previous snapshot.
import { KnownError } from "../errors.ts";
import { formatDay, type Day } from "../domain/dates.ts";
import { parseModel } from "../domain/model/parse-model.ts";
import { resolveSegment } from "../domain/model/resolve-segment.ts";
import type { ScoringModel } from "../domain/model/schema.ts";
import { driversBetween, summariseChange, type Driver } from "../domain/scoring/explain.ts";
import { searchAccounts, type AccountSummary } from "../db/repositories/accounts.ts";
import { observationSources } from "../db/repositories/observations.ts";
import { snapshotPair, type StoredSnapshot } from "../db/repositories/snapshots.ts";
import type { Clients, SqlClient } from "../db/handle.ts";

export class AccountLookupError extends KnownError {
  readonly code = "ACCOUNT_LOOKUP";
}

export interface Explanation {
  account: AccountSummary;
  current: StoredSnapshot;
  previous: StoredSnapshot | null;
  drivers: Driver[];
  summary: string | null;
  model: { version: number; definition: ScoringModel };
  /** Metric components: the sources of the account's observations in the component's window. */
  sources: Map<string, string[]>;
  /** The ids the connectors know the account by (identity reconciliation), by source then id. */
  sourceIds: { source: string; sourceId: string }[];
}

export async function resolveAccount(
  sql: SqlClient,
  workspaceId: number,
  query: string,
): Promise<AccountSummary> {
  if (query.trim() === "") throw new AccountLookupError("name an account: its id, name or domain");
  const { matches, total, atLeast } = await searchAccounts(sql, workspaceId, query);
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new AccountLookupError(`no account matches ${JSON.stringify(query)}`);
  const list = matches.map((m) => `  ${m.externalId}  ${m.name}`).join("\n");
  const first = total > matches.length ? ` (the first ${matches.length})` : "";
  throw new AccountLookupError(
    `${JSON.stringify(query)} matches ${total}${atLeast ? " or more" : ""} accounts; name one by id${first}:\n${list}`,
  );
}

export async function explainAccount(
  { prisma, sql }: Clients,
  workspaceId: number,
  query: string,
  asOf: Day | null,
): Promise<Explanation> {
  const account = await resolveAccount(sql, workspaceId, query);
  const { current, previous } = await snapshotPair(prisma, workspaceId, account.id, asOf);
  if (!current) {
    const when = asOf === null ? "" : ` on or before ${formatDay(asOf)}`;
    throw new AccountLookupError(
      `${account.name} (${account.externalId}) has no score${when} yet: run \`css-bot recompute\``,
    );
  }
  const modelRow = await prisma.scoringModel.findFirstOrThrow({
    where: { id: current.modelId, workspaceId },
  });
  const drivers = previous ? driversBetween(previous, current) : [];
  const definition = parseModel(JSON.stringify(modelRow.definition), `model version ${modelRow.version}`);
  const windows = resolveSegment(definition, account.segment).components.flatMap((c) =>
    c.input.metric === undefined ? [] : [{ key: c.key, metric: c.input.metric, days: c.input.window_days }],
  );
  return {
    account,
    current,
    previous,
    drivers,
    summary: previous ? summariseChange(previous, current, drivers) : null,
    model: { version: modelRow.version, definition },
    sources: await observationSources(prisma, workspaceId, account.id, windows, current.asOf),
    sourceIds: await prisma.accountSourceId.findMany({
      where: { workspaceId, accountId: account.id },
      orderBy: [{ source: "asc" }, { sourceId: "asc" }],
      select: { source: true, sourceId: true },
    }),
  };
}
