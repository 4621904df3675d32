// Who may act on an at-risk case (assign, snooze, resolve): by default the members of the
// workspace's own Slack team who are not guests; a workspace may narrow it to the account's owner
// and its leads (the escalation lead and the case's owner). Pure: the facts come from Slack and the
// database, the decision from here.

export type CaseActors = "members" | "owner_and_leads";

export interface Actor {
  userId: string;
  /** The clicker's own team: another organisation's through Slack Connect differs. */
  teamId: string | null;
  /** Single- or multi-channel guest (Slack's is_restricted / is_ultra_restricted). */
  guest: boolean;
  /** A deactivated user, or one Slack no longer knows. */
  deleted: boolean;
}

export interface CaseParties {
  workspaceTeamId: string | null;
  accountOwner: string | null;
  caseOwner: string | null;
  escalationLead: string | null;
}

export type Permission = { allowed: true } | { allowed: false; reason: string };

export function mayActOnCase(rule: CaseActors, actor: Actor, parties: CaseParties): Permission {
  if (actor.deleted) return { allowed: false, reason: "your Slack account is deactivated" };
  if (parties.workspaceTeamId !== null && actor.teamId !== parties.workspaceTeamId) {
    return {
      allowed: false,
      reason: "only members of the workspace that installed css-bot can act on its cases",
    };
  }
  if (actor.guest) return { allowed: false, reason: "guests cannot act on at-risk cases" };
  if (rule === "owner_and_leads") {
    const leads = [parties.accountOwner, parties.caseOwner, parties.escalationLead];
    if (!leads.includes(actor.userId)) {
      return {
        allowed: false,
        reason:
          "in this workspace only the account's owner, the case's owner and the escalation lead can act on it",
      };
    }
  }
  return { allowed: true };
}
