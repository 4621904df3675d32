// Whether the person who clicked may act on an at-risk case (domain/cases/who-may-act.ts), from what
// Slack says of them (and, when case_actors names a user group, of its members) and what the database
// says of the case; a refusal is audit-logged and its reason returned for the clicker.
import type { WebClient } from "@slack/web-api";
import { readSettings } from "../config/workspace-settings.ts";
import { audit } from "../db/repositories/audit-log.ts";
import {
  isUserGroupId,
  mayActOnCase,
  type Actor,
  type CaseParties,
  type UserGroupId,
} from "../domain/cases/who-may-act.ts";
import type { PrismaClient, Workspace } from "../generated/prisma/client.ts";

/** Slack's facts about a user: their team, and whether they are a guest (users.info). */
export async function actorOf(client: WebClient, userId: string): Promise<Actor> {
  try {
    const { user } = await client.users.info({ user: userId });
    return {
      userId,
      teamId: user?.team_id ?? null,
      guest: Boolean(user?.is_restricted || user?.is_ultra_restricted),
      deleted: Boolean(user?.deleted),
    };
  } catch (error) {
    // A user Slack does not know for this team is no member of it.
    if ((error as { data?: { error?: string } }).data?.error === "user_not_found") {
      return { userId, teamId: null, guest: false, deleted: true };
    }
    throw error;
  }
}

/** Null when `actor` may do `action` on the case; otherwise why not (also audit-logged). */
export async function refusalFor(
  prisma: PrismaClient,
  workspace: Workspace,
  caseId: bigint,
  actor: Actor,
  action: string,
  groupOf: (group: UserGroupId) => Promise<GroupFacts>,
): Promise<string | null> {
  const followUp = await prisma.followUp.findFirst({
    where: { id: caseId, workspaceId: workspace.id },
    include: { account: { select: { ownerSlackUserId: true } } },
  });
  if (!followUp) return null; // the action itself says the case is gone
  // Read now, not from the request's cached workspace: a narrowed rule applies at once.
  const current = await prisma.workspace.findUniqueOrThrow({ where: { id: workspace.id } });
  const settings = readSettings(current.settings);
  const permission = mayActOnCase(settings.case_actors, actor, {
    workspaceTeamId: current.slackTeamId,
    accountOwner: followUp.account.ownerSlackUserId,
    caseOwner: followUp.ownerSlackUserId,
    escalationLead: settings.escalation_lead,
    ...(isUserGroupId(settings.case_actors) ? { group: await groupOf(settings.case_actors) } : {}),
  });
  if (permission.allowed) return null;
  await audit(prisma, workspace.id, {
    actor: actor.userId,
    action: "follow_up.refused",
    target: `follow_up:${caseId}`,
    details: { action, reason: permission.reason, team: actor.teamId, guest: actor.guest },
  });
  return permission.reason;
}

/** The clicker's refusal, if any: Slack's facts about them (actorOf), then the rule (refusalFor). */
export async function refusalOfClick(
  prisma: PrismaClient,
  client: WebClient,
  click: { workspace: Workspace; caseId: bigint; userId: string; action: string },
): Promise<string | null> {
  const actor = await actorOf(client, click.userId);
  return refusalFor(prisma, click.workspace, click.caseId, actor, click.action, (group) =>
    groupFactsOf(client, click.workspace.id, group),
  );
}

type GroupFacts = NonNullable<CaseParties["group"]>;

/**
 * How long a user group's members are reused (process memory): a burst of clicks asks Slack once,
 * well within the Tier 2 rate (about 20 calls a minute) of usergroups.users.list and usergroups.list.
 * A member added to or removed from the group is seen within this time.
 */
export const GROUP_MEMBERS_TTL_MS = 60_000;

const groups = new Map<string, { facts: GroupFacts; until: number }>();
const loading = new Map<string, Promise<GroupFacts>>();

/** The group's members and handle, from the cache while fresh; concurrent clicks share one lookup. */
export async function groupFactsOf(
  client: WebClient,
  workspaceId: number,
  group: UserGroupId,
  now: () => number = Date.now,
): Promise<GroupFacts> {
  const key = `${workspaceId}\n${group}`;
  const hit = groups.get(key);
  if (hit && hit.until > now()) return hit.facts;
  let pending = loading.get(key);
  if (!pending) {
    pending = readGroup(client, group).finally(() => loading.delete(key));
    loading.set(key, pending);
  }
  const facts = await pending;
  groups.set(key, { facts, until: now() + GROUP_MEMBERS_TTL_MS });
  return facts;
}

async function readGroup(client: WebClient, group: UserGroupId): Promise<GroupFacts> {
  try {
    const [members, list] = await Promise.all([
      client.usergroups.users.list({ usergroup: group }),
      client.usergroups.list({}),
    ]);
    const handle = list.usergroups?.find((g) => g.id === group)?.handle ?? null;
    return { handle, members: new Set(members.users ?? []) };
  } catch (error) {
    // Refusals that last: nobody may act until an admin fixes them, and the reason says how.
    const code = (error as { data?: { error?: string } }).data?.error;
    const fix = "an admin can set another with css-bot settings set --case-actors";
    if (code === "no_such_subteam")
      return { unknown: `the user group ${group} allowed to act on cases no longer exists (${fix})` };
    if (code === "missing_scope")
      return {
        unknown: `the app may not read the user group ${group} allowed to act on cases: it needs the usergroups:read scope (an admin can add it and reinstall the app, or set another rule)`,
      };
    throw error;
  }
}
