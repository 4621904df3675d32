// `/css watch <account>`: a direct message to the watcher whenever the account changes band.
import type { Clients, SqlClient } from "../db/handle.ts";
import { findAccounts } from "../db/repositories/accounts.ts";
import { findActiveModel } from "../db/repositories/models.ts";
import { DEFAULT_MODEL } from "../domain/model/default-model.ts";
import type { Driver } from "../domain/scoring/explain.ts";
import { scoreMoveText } from "../domain/scoring/score-move.ts";
import { KnownError } from "../errors.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { driverText } from "../slack/blocks/at-risk-case.ts";
import { esc, escCode } from "../slack/blocks/text.ts";
import { bandLabel } from "./account-card.ts";

export class WatchError extends KnownError {
  readonly code = "WATCH";
}

/** The one account a query names, or a clear error (none, or several: name it by id). */
async function oneAccount(sql: SqlClient, workspaceId: number, query: string) {
  const matches = await findAccounts(sql, workspaceId, query, 6);
  if (matches.length === 0) throw new WatchError(`No account matches *${esc(query)}*.`);
  if (matches.length > 1) {
    const list = matches.map((m) => `\`${escCode(m.externalId)}\` ${esc(m.name)}`).join(", ");
    throw new WatchError(`*${esc(query)}* matches several accounts (${list}): name one by its id.`);
  }
  return matches[0]!;
}

export async function watchAccount(
  { prisma, sql }: Clients,
  workspaceId: number,
  query: string,
  slackUserId: string,
): Promise<{ name: string; already: boolean }> {
  const account = await oneAccount(sql, workspaceId, query);
  // One statement, so two clicks at once end in one watch and neither fails: the second is "already".
  const inserted = await prisma.$executeRawUnsafe(
    `INSERT INTO account_watches (workspace_id, account_id, slack_user_id, last_band)
     SELECT workspace_id, id, $3, current_band FROM accounts WHERE id = $2 AND workspace_id = $1
     ON CONFLICT (account_id, slack_user_id) DO NOTHING`,
    workspaceId,
    account.id,
    slackUserId,
  );
  return { name: account.name, already: inserted === 0 };
}

export async function unwatchAccount(
  { prisma, sql }: Clients,
  workspaceId: number,
  query: string,
  slackUserId: string,
): Promise<{ name: string; was: boolean }> {
  const account = await oneAccount(sql, workspaceId, query);
  const removed = await prisma.accountWatch.deleteMany({
    where: { workspaceId, accountId: account.id, slackUserId },
  });
  return { name: account.name, was: removed.count > 0 };
}

export interface WatchDm {
  send(userId: string, message: { text: string }): Promise<unknown>;
}

/**
 * Tells each watcher of the run's band changes, once per band: the watch remembers the band it last
 * told of, claimed before the message is sent (and released if Slack refuses, to try next run).
 */
export async function notifyWatchers(
  prisma: PrismaClient,
  workspaceId: number,
  runId: bigint,
  dm: WatchDm | null,
): Promise<number> {
  if (!dm) return 0;
  const model = (await findActiveModel(prisma, workspaceId))?.model ?? DEFAULT_MODEL;
  const rows = await prisma.$queryRawUnsafe<
    {
      account_id: number;
      slack_user_id: string;
      name: string;
      segment: string | null;
      last_band: string | null;
      to_band: string;
      from_score: number | null;
      to_score: number | null;
      drivers: Driver[];
    }[]
  >(
    `SELECT w.account_id, w.slack_user_id, a.name, a.segment, w.last_band, c.to_band, c.from_score, c.to_score, c.drivers
     FROM band_changes c
     JOIN account_watches w ON w.account_id = c.account_id AND w.workspace_id = c.workspace_id
     JOIN accounts a ON a.id = c.account_id
     WHERE c.workspace_id = $1 AND c.run_id = $2 AND w.last_band IS DISTINCT FROM c.to_band`,
    workspaceId,
    runId,
  );
  let sent = 0;
  for (const r of rows) {
    const claim = await prisma.accountWatch.updateMany({
      where: { accountId: r.account_id, slackUserId: r.slack_user_id, lastBand: r.last_band },
      data: { lastBand: r.to_band },
    });
    if (claim.count === 0) continue;
    const text =
      `:eyes: *${esc(r.name)}* is now ${esc(bandLabel(model, r.segment, r.to_band))}: ` +
      `${scoreMoveText(r.from_score, r.to_score, "→")}. Drivers: ${driverText(r.drivers)}. ` +
      "(`/css unwatch` to stop)";
    try {
      await dm.send(r.slack_user_id, { text });
      sent++;
    } catch (error) {
      await prisma.accountWatch.updateMany({
        where: { accountId: r.account_id, slackUserId: r.slack_user_id, lastBand: r.to_band },
        data: { lastBand: r.last_band },
      });
      throw error;
    }
  }
  return sent;
}
