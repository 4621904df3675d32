// The fake Slack's user groups: usergroups.list and usergroups.users.list, in the shapes of
// docs.slack.dev/reference/methods/usergroups.list and .../usergroups.users.list (scope
// usergroups:read, checked by the fake's dispatch). Kept apart from slack-api.ts, which only routes
// the two methods here.

type Rec = Record<string, unknown>;

export interface FakeUserGroup {
  /** S..., as Slack's ids. */
  id: string;
  /** Without the @. */
  handle: string;
  name?: string;
  users: string[];
  /** A disabled group: listed only with include_disabled, and its users only then. */
  disabled?: boolean;
}

const flag = (v: unknown): boolean => v === true || v === "true" || v === "1" || v === 1;

export class FakeUserGroups {
  private readonly groups = new Map<string, FakeUserGroup>();

  /** Adds the group, or replaces the one with its id (its members changed, say). */
  add(group: FakeUserGroup): void {
    this.groups.set(group.id, group);
  }

  /** usergroups.list: the team's groups; users and user_count only when asked for. */
  list(a: Rec, teamId: string): Rec {
    const visible = [...this.groups.values()].filter((g) => !g.disabled || flag(a.include_disabled));
    return {
      usergroups: visible.map((g) => ({
        id: g.id,
        team_id: teamId,
        is_usergroup: true,
        is_subteam: true,
        name: g.name ?? g.handle,
        description: "",
        handle: g.handle,
        is_external: false,
        date_create: 1_700_000_000,
        date_update: 1_700_000_000,
        date_delete: g.disabled ? 1_700_000_500 : 0,
        auto_type: null,
        created_by: "U0CREATOR",
        updated_by: "U0CREATOR",
        deleted_by: null,
        prefs: { channels: [], groups: [] },
        ...(flag(a.include_users) ? { users: g.users } : {}),
        ...(flag(a.include_count) ? { user_count: g.users.length } : {}),
      })),
    };
  }

  /** usergroups.users.list: the group's user ids; no_such_subteam for an unknown (or disabled) one. */
  users(a: Rec, refuse: (error: string) => never): Rec {
    const id = typeof a.usergroup === "string" ? a.usergroup : "";
    if (!id) refuse("invalid_arguments");
    const group = this.groups.get(id);
    if (!group || (group.disabled && !flag(a.include_disabled))) return refuse("no_such_subteam");
    return { users: group.users };
  }
}
