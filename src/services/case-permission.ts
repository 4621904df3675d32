// Whether the person who clicked may act on an at-risk case (domain/cases/who-may-act.ts), from what
// Slack says of them and what the database says of the case; a refusal is audit-logged and its
// reason returned for the clicker.
import type { WebClient } from "@slack/web-api";
import { readSettings } from "../config/workspace-settings.ts";
import { audit } from "../db/repositories/audit-log.ts";
import { mayActOnCase, type Actor } from "../domain/cases/who-may-act.ts";
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
  return refusalFor(prisma, click.workspace, click.caseId, actor, click.action);
}
