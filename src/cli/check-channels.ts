// `settings set --digest-channel/--alert-channel`: the channel looked up in Slack before it is saved.
// A channel Slack does not show the bot (none such, or private without the bot) or an archived one is
// refused; one the bot is not in is saved with a warning to invite it; when Slack cannot be asked,
// the channel is saved and the warning says it was not checked.
import type { WorkspaceSettings } from "../config/workspace-settings.ts";
import { workspaceSettingsSchema } from "../config/workspace-settings.ts";
import {
  ALERT_CHANNEL,
  channelCheck,
  DIGEST_CHANNEL,
  type ChannelRole,
} from "../services/doctor/channels.ts";
import type { CommandSlack } from "../slack/access.ts";
import type { SlackChannel } from "../slack/gateway.ts";
import { UserError } from "./errors.ts";

/** Warnings to print once the settings are saved; throws a UserError (nothing saved) for a channel to refuse. */
export async function checkChannels(
  access: CommandSlack,
  changes: Partial<Pick<WorkspaceSettings, "digest_channel" | "alert_channel">>,
): Promise<string[]> {
  const given = [
    { role: DIGEST_CHANNEL, id: changes.digest_channel },
    { role: ALERT_CHANNEL, id: changes.alert_channel },
    // "none", and ids of the wrong shape (settings validation names them), are not looked up.
  ].filter((c): c is { role: ChannelRole; id: string } => looksLikeChannel(c.id));
  if (given.length === 0 || access.state === "off") return [];
  if (access.state === "unavailable") {
    return given.map(({ role, id }) => `${role.option} ${id} was not checked with Slack: ${access.message}`);
  }
  const warnings: string[] = [];
  for (const { role, id } of given) {
    let channel: SlackChannel | null;
    try {
      channel = await access.slack.channelInfo(id);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      warnings.push(
        `${role.option} ${id} could not be checked with Slack (${why}); saved unchecked: npx css-bot doctor checks it later`,
      );
      continue;
    }
    const check = channelCheck(role, id, channel);
    if (!channel || channel.isArchived) {
      throw new UserError(`${role.option} ${id}: ${check.message}. Nothing was saved. Fix: ${check.fix}`);
    }
    if (!channel.isMember) warnings.push(`${role.option}: ${check.message}. Fix: ${check.fix}`);
  }
  return warnings;
}

function looksLikeChannel(id: string | null | undefined): boolean {
  return typeof id === "string" && workspaceSettingsSchema.shape.digest_channel.safeParse(id).success;
}
