// The App Home of one user: the accounts they own (band, score, 30-day trend) and the at-risk cases
// assigned to them.
import { accountsOwnedBy, type ListedAccount } from "../db/repositories/account-lists.ts";
import { dateToDay, formatDay, type Day } from "../domain/dates.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";

export const HOME_ACCOUNTS = 25;
export const HOME_CASES = 15;

export interface HomeCase {
  caseId: bigint;
  version: number;
  status: "open" | "snoozed";
  accountName: string;
  score: number | null;
  dueDate: Day | null;
  snoozedUntil: Day | null;
  channelId: string | null;
  threadTs: string | null;
}

export interface HomeView {
  accounts: { list: ListedAccount[]; total: number };
  trends: Map<number, (number | null)[]>;
  cases: HomeCase[];
}

export async function loadHome(
  prisma: PrismaClient,
  workspaceId: number,
  slackUserId: string,
  today: Day,
): Promise<HomeView> {
  const owned = await accountsOwnedBy(prisma, workspaceId, slackUserId, HOME_ACCOUNTS);
  const ids = owned.accounts.map((a) => a.id);
  const points = await prisma.$queryRawUnsafe<{ account_id: number; day: Date; score: number | null }[]>(
    `SELECT account_id, as_of AS day, score FROM score_snapshots
     WHERE workspace_id = $1 AND account_id = ANY($2::int[]) AND as_of > $3::date - 30 AND as_of <= $3::date`,
    workspaceId,
    ids,
    formatDay(today),
  );
  const trends = new Map<number, (number | null)[]>(
    ids.map((id) => [id, Array<number | null>(30).fill(null)]),
  );
  for (const p of points) {
    const i = 29 - (today - dateToDay(p.day));
    if (i >= 0 && i < 30) trends.get(p.account_id)![i] = p.score;
  }
  const cases = await prisma.followUp.findMany({
    where: { workspaceId, ownerSlackUserId: slackUserId, status: { in: ["open", "snoozed"] } },
    include: { account: { select: { name: true, currentScore: true } } },
    orderBy: [{ dueDate: "asc" }, { openedAt: "asc" }],
    take: HOME_CASES,
  });
  return {
    accounts: { list: owned.accounts, total: owned.total },
    trends,
    cases: cases.map((c) => ({
      caseId: c.id,
      version: c.version,
      status: c.status as "open" | "snoozed",
      accountName: c.account.name,
      score: c.account.currentScore,
      dueDate: c.dueDate ? dateToDay(c.dueDate) : null,
      snoozedUntil: c.snoozedUntil ? dateToDay(c.snoozedUntil) : null,
      channelId: c.channelId,
      threadTs: c.threadTs,
    })),
  };
}
