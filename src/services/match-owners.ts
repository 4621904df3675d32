// Account owners come from the data as emails (a CRM's owner, an import's `owner` column); Slack
// needs user ids to mention them, DM them and answer `/css mine`. This matches each owner email of
// the workspace not yet matched to its Slack user (users.lookupByEmail, needs users:read.email).
// A changed owner is unmatched by the writers, so it is looked up again; an email with no Slack user
// stays unmatched, and this process does not ask Slack about it again for a day.

import type { PrismaClient } from "../generated/prisma/client.ts";

export interface OwnerLookup {
  /** The Slack user with this email, or null when the workspace has none. */
  lookupByEmail(email: string): Promise<string | null>;
}

/**
 * Emails looked up per run at most: users.lookupByEmail is a tier 3 method (about 50 a minute,
 * paced by the gateway), and a run must not hold the notifications queue for long.
 */
export const OWNERS_PER_RUN = 10;

/** Emails Slack had no user for, per workspace, until when not to ask again (process memory). */
const misses = new Map<string, number>();
const MISS_TTL_MS = 24 * 60 * 60 * 1000;

export async function matchOwners(
  prisma: PrismaClient,
  workspaceId: number,
  slack: OwnerLookup,
  limit = OWNERS_PER_RUN,
): Promise<{ matched: number; unmatched: number }> {
  const now = Date.now();
  const emails = (
    await prisma.$queryRawUnsafe<{ email: string }[]>(
      `SELECT DISTINCT lower(trim(owner)) AS email FROM accounts
       WHERE workspace_id = $1 AND owner_slack_user_id IS NULL AND owner LIKE '%_@_%'
       ORDER BY 1`,
      workspaceId,
    )
  )
    .filter(({ email }) => (misses.get(`${workspaceId}\n${email}`) ?? 0) < now)
    .slice(0, limit);
  let matched = 0;
  for (const { email } of emails) {
    const userId = await slack.lookupByEmail(email);
    if (userId === null) {
      misses.set(`${workspaceId}\n${email}`, now + MISS_TTL_MS);
      continue;
    }
    matched += await prisma.$executeRawUnsafe(
      `UPDATE accounts SET owner_slack_user_id = $3
       WHERE workspace_id = $1 AND owner_slack_user_id IS NULL AND lower(trim(owner)) = $2`,
      workspaceId,
      email,
      userId,
    );
  }
  const [left] = await prisma.$queryRawUnsafe<{ n: number }[]>(
    `SELECT count(*)::int AS n FROM accounts
     WHERE workspace_id = $1 AND owner_slack_user_id IS NULL AND owner LIKE '%_@_%'`,
    workspaceId,
  );
  return { matched, unmatched: left?.n ?? 0 };
}
