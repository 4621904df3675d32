// `settings set --case-actors`: a user group, given by its @handle or its id, looked up in Slack
// (usergroups.list) and stored by id, as channels are checked before they are saved. An unknown group
// is refused; a handle needs Slack to be resolved; an id is saved with a warning when Slack cannot be
// asked. Other values ("members", "owner_and_leads", mistakes) pass on to the settings' validation.
import { isUserGroupId } from "../domain/cases/who-may-act.ts";
import type { CommandSlack } from "../slack/access.ts";
import type { SlackUserGroup } from "../slack/gateway.ts";
import { SlackPermanentError } from "../slack/slack-errors.ts";
import { UserError } from "./errors.ts";

const OPTION = "--case-actors";
const SCOPE_FIX =
  "add usergroups:read under OAuth & Permissions > Bot Token Scopes (manifest.yml lists it), reinstall the app, then run this again";

/** The value to store and the warnings to print once it is saved; throws a UserError (nothing saved). */
export async function resolveCaseActors(
  access: CommandSlack,
  given: string,
): Promise<{ value: string; warnings: string[] }> {
  const value = given.trim();
  const handle = value.startsWith("@") ? value.slice(1).toLowerCase() : null;
  if (handle === null && !isUserGroupId(value)) return { value, warnings: [] };
  const unchecked = (why: string) => {
    if (handle === null)
      return { value, warnings: [`${OPTION} ${value} was not checked with Slack: ${why}`] };
    throw new UserError(
      `${OPTION} ${value}: a user group's handle is looked up in Slack, which ${why}. Nothing was saved. ` +
        `Fix: give the group's id (S0123ABCD), or configure Slack`,
    );
  };
  if (access.state === "off") return unchecked("is not configured");
  if (access.state === "unavailable") return unchecked(`cannot be asked (${access.message})`);
  let groups: SlackUserGroup[];
  try {
    groups = await access.slack.userGroups();
  } catch (error) {
    if (error instanceof SlackPermanentError && error.slackError === "missing_scope") {
      throw new UserError(
        `${OPTION} ${value}: the app may not read user groups (Slack: missing_scope). Nothing was saved. Fix: ${SCOPE_FIX}`,
      );
    }
    return unchecked(`did not answer (${error instanceof Error ? error.message : String(error)})`);
  }
  const found = groups.find((g) => (handle === null ? g.id === value : g.handle.toLowerCase() === handle));
  if (!found) {
    const known = groups.map((g) => `@${g.handle} (${g.id})`).slice(0, 10);
    throw new UserError(
      `${OPTION} ${value}: no such user group in Slack (or it is disabled). Nothing was saved. ` +
        (known.length ? `The groups: ${known.join(", ")}` : "The workspace has no user groups"),
    );
  }
  return { value: found.id, warnings: [] };
}
