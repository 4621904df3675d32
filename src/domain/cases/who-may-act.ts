// Who may act on an at-risk case (assign, snooze, resolve): by default the members of the
// workspace's own Slack team who are not guests; a workspace may narrow it to the account's owner
// and its leads (the escalation lead and the case's owner), or to the members of a Slack user group.
// Pure: the facts come from Slack and the database, the decision from here.

/** A Slack user group's id, such as S0123ABCD. */
export type UserGroupId = `S${string}`;

export type CaseActors = "members" | "owner_and_leads" | UserGroupId;

export const USER_GROUP_ID = /^S[A-Z0-9]{2,}$/;

export function isUserGroupId(value: string): value is UserGroupId {
  return USER_GROUP_ID.test(value);
}

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
  /**
   * When the rule names a user group: its handle (for the reason) and members as Slack lists them
   * now, or why they are not known (the group is gone, the app may not read groups).
   */
  group?: { handle: string | null; members: ReadonlySet<string> } | { unknown: string };
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
  if (isUserGroupId(rule)) {
    const group = parties.group;
    if (!group || "unknown" in group) {
      return { allowed: false, reason: group?.unknown ?? `the user group ${rule} could not be read` };
    }
    if (!group.members.has(actor.userId)) {
      const name = group.handle ? `@${group.handle}` : rule;
      return {
        allowed: false,
        reason: `in this workspace only members of the user group ${name} can act on at-risk cases`,
      };
    }
  }
  return { allowed: true };
}
