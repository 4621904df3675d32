// Slack: configured at all, the bot token accepted, its scopes, and (one-workspace mode) the
// workspace connected to the token's team. Without these nothing reaches Slack, and the workers only
// say so in their logs.
import type { Workspace } from "../../generated/prisma/client.ts";
import { BOT_SCOPES, USER_GROUP_SCOPE } from "../../slack/app.ts";
import type { CommandSlack } from "../../slack/access.ts";
import type { WorkspaceSlack } from "../../slack/gateway.ts";
import { SlackPermanentError } from "../../slack/slack-errors.ts";
import { fail, ok, reason, warn, type Check } from "./check.ts";

export const SLACK_ENV_FIX =
  "set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (one workspace), or SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, " +
  "SLACK_STATE_SECRET and CSS_ENCRYPTION_KEY (OAuth installs): docs/slack.md, Installing the Slack app";

/** Scopes whose absence only costs an extra, and what it costs. */
const HISTORY_COST = "a post whose answer is lost (a timeout) is sent again and may appear twice";
const OPTIONAL_SCOPES = new Map([
  ["files:write", "the digest is posted without its chart"],
  ["channels:history", HISTORY_COST],
  ["groups:history", HISTORY_COST],
]);

/** The token's team when Slack accepted it; null otherwise (the other Slack checks are then skipped). */
export async function checkSlackToken(
  access: CommandSlack,
): Promise<{ check: Check; slack: WorkspaceSlack | null; teamId: string | null }> {
  if (access.state === "off") {
    const message = "not configured: no alerts or digests are posted, and /css does not answer";
    return { check: warn("slack", message, SLACK_ENV_FIX), slack: null, teamId: null };
  }
  if (access.state === "unavailable") {
    // A workspace not installed in Slack is one Slack does not serve; a token that cannot be read is broken.
    const check = (access.severe ? fail : warn)("slack", access.message, access.fix);
    return { check, slack: null, teamId: null };
  }
  try {
    const { teamId, botUserId } = await access.slack.authTest();
    return {
      check: ok("slack", `the bot token works (team ${teamId}, bot user ${botUserId})`),
      slack: access.slack,
      teamId,
    };
  } catch (error) {
    if (error instanceof SlackPermanentError) {
      const fix =
        access.mode === "single"
          ? "copy the app's Bot User OAuth Token (OAuth & Permissions, xoxb-...) into SLACK_BOT_TOKEN"
          : "install the app again from https://<host>/slack/install";
      return {
        check: fail("slack", `Slack refused the bot token: ${error.slackError}`, fix),
        slack: null,
        teamId: null,
      };
    }
    const fix = "check the network and SLACK_API_URL, then npx css-bot doctor again";
    return { check: fail("slack", `Slack did not answer: ${reason(error)}`, fix), slack: null, teamId: null };
  }
}

/**
 * The scopes Slack reports for the token against the ones the app asks for (manifest.yml);
 * usergroups:read only when case_actors names a user group (`usesUserGroup`).
 */
export async function checkSlackScopes(slack: WorkspaceSlack, usesUserGroup = false): Promise<Check> {
  const needed = BOT_SCOPES.filter((s) => usesUserGroup || s !== USER_GROUP_SCOPE);
  const granted = await slack.scopes().catch(() => null);
  if (granted === null) {
    return warn(
      "slack scopes",
      "Slack did not say which scopes the token has (no x-oauth-scopes header)",
      `compare the app's OAuth & Permissions page with manifest.yml: ${needed.join(", ")}`,
    );
  }
  const missing = needed.filter((s) => !granted.includes(s));
  if (missing.length === 0) return ok("slack scopes", `all ${needed.length} granted`);
  const fix =
    "add them under OAuth & Permissions > Bot Token Scopes (manifest.yml lists them), then reinstall the app";
  const message = `missing ${missing.join(", ")}`;
  const costs = new Set(missing.map((s) => OPTIONAL_SCOPES.get(s)));
  return costs.has(undefined)
    ? fail("slack scopes", `${message}: the features that need them fail`, fix)
    : warn("slack scopes", `${message}: ${[...costs].join("; ")}`, fix);
}

/**
 * One-workspace mode: the web process connects the workspace CSS_WORKSPACE to the token's team on
 * the first request Slack sends; until then, and for any other workspace, nothing is posted.
 */
export function checkSlackTeam(o: {
  workspace: Workspace;
  teamId: string;
  /** The workspace connected to the team, if any. */
  connected: Workspace | null;
  defaultWorkspace: string;
}): Check {
  const { workspace, teamId, connected } = o;
  const name = "slack team";
  if (connected?.id === workspace.id)
    return ok(name, `workspace "${workspace.slug}" is connected to team ${teamId}`);
  if (connected) {
    return fail(
      name,
      `team ${teamId} is connected to workspace "${connected.slug}", not "${workspace.slug}": nothing of this one is posted`,
      `npx css-bot --workspace ${connected.slug} doctor (import into that workspace)`,
    );
  }
  if (workspace.slug !== o.defaultWorkspace) {
    return fail(
      name,
      `the bot serves workspace "${o.defaultWorkspace}" (CSS_WORKSPACE), not "${workspace.slug}"`,
      `set CSS_WORKSPACE=${workspace.slug} for css-bot start and the workers`,
    );
  }
  return warn(
    name,
    `workspace "${workspace.slug}" is connected to team ${teamId} on the first request from Slack; until then nothing is posted`,
    "type /css help in Slack (with css-bot start running), then npx css-bot doctor again",
  );
}
