// The digest and alert channels: set, and a channel the bot is in. A channel left unset, or one the bot
// was never invited to, means no digest or no at-risk threads, and nothing else says so.
import type { SlackChannel, WorkspaceSlack } from "../../slack/gateway.ts";
import { fail, ok, reason, warn, type Check } from "./check.ts";

export interface ChannelRole {
  /** The check's name, e.g. "digest channel". */
  name: string;
  /** The `settings set` option, e.g. "--digest-channel". */
  option: string;
  /** What the channel is for, e.g. "no digest is posted" when it is missing. */
  without: string;
}

export const DIGEST_CHANNEL: ChannelRole = {
  name: "digest channel",
  option: "--digest-channel",
  without: "no digest is posted",
};
export const ALERT_CHANNEL: ChannelRole = {
  name: "alert channel",
  option: "--alert-channel",
  without: "no at-risk threads are opened",
};

/** `slack` is null when Slack cannot be asked (not configured, or the token failed): `why` says which. */
export async function checkChannel(
  role: ChannelRole,
  channelId: string | null,
  slack: WorkspaceSlack | null,
  why: string,
): Promise<Check> {
  if (!channelId) {
    return warn(role.name, `not set: ${role.without}`, `npx css-bot settings set ${role.option} C0123ABCD`);
  }
  if (!slack) return warn(role.name, `${channelId}, not checked: ${why}`, "see the slack check above");
  let channel: SlackChannel | null;
  try {
    channel = await slack.channelInfo(channelId);
  } catch (error) {
    return warn(role.name, `${channelId} could not be checked: ${reason(error)}`, "npx css-bot doctor again");
  }
  return channelCheck(role, channelId, channel);
}

/** What conversations.info said of a channel, as a check. */
export function channelCheck(role: ChannelRole, channelId: string, channel: SlackChannel | null): Check {
  if (!channel) {
    return fail(
      role.name,
      `${channelId} not found: no such channel, or a private channel the bot is not in (${role.without})`,
      `check the id (at the bottom of the channel's About tab), invite the bot with /invite @css-bot in a private channel, or npx css-bot settings set ${role.option} <channel id>`,
    );
  }
  const label = `#${channel.name} (${channel.id})`;
  if (channel.isArchived) {
    return fail(
      role.name,
      `${label} is archived (${role.without})`,
      `npx css-bot settings set ${role.option} <channel id>`,
    );
  }
  if (!channel.isMember) {
    return fail(
      role.name,
      `the bot is not in ${label}: ${role.without}`,
      `/invite @css-bot in #${channel.name}`,
    );
  }
  return ok(role.name, `${label}, the bot is in it`);
}
