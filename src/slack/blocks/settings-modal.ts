// The /css settings modal (admins): digest and alert channels, digest time and days, time zone,
// recompute cadence, escalation. Pure; the current settings fill it in.
import type { types } from "@slack/bolt";
import type { WorkspaceSettings } from "../../config/workspace-settings.ts";
import { VIEWS } from "../ids.ts";
import { esc, mentionChannel } from "./text.ts";

export const SETTINGS_BLOCKS = {
  digestChannel: "settings_digest_channel",
  alertChannel: "settings_alert_channel",
  digestTime: "settings_digest_time",
  digestDays: "settings_digest_days",
  timezone: "settings_timezone",
  cadence: "settings_cadence",
  lead: "settings_lead",
} as const;

/** Recompute cadences offered in the modal; any other cron pattern is set with the CLI. */
export const CADENCES: { label: string; cron: string }[] = [
  { label: "Every hour", cron: "0 * * * *" },
  { label: "Every 4 hours", cron: "0 */4 * * *" },
  { label: "Twice a day (06:00, 18:00)", cron: "0 6,18 * * *" },
  { label: "Daily at 06:00", cron: "0 6 * * *" },
];

const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

const option = (text: string, value: string) => ({ text: { type: "plain_text" as const, text }, value });

/** A delivery Slack refused, from the audit log: its method and error code are Slack's words, escaped. */
export function deliveryFailureNote(
  at: Date,
  d: { method?: string; error?: string; channel?: string | null },
): string {
  const where = d.channel ? ` in ${mentionChannel(d.channel)}` : "";
  return `:warning: ${at.toISOString().slice(0, 16).replace("T", " ")} UTC: Slack refused ${esc(d.method ?? "a call")} (${esc(d.error ?? "unknown")}${where})`;
}

export function settingsModal(s: WorkspaceSettings, notes: string[]): types.ModalView {
  const cadence = CADENCES.find((c) => c.cron === s.recompute_cron);
  const cadenceOptions = cadence
    ? CADENCES
    : [{ label: `Custom: ${s.recompute_cron}`, cron: s.recompute_cron }, ...CADENCES];
  const blocks: types.KnownBlock[] = [
    {
      type: "input",
      block_id: SETTINGS_BLOCKS.digestChannel,
      optional: true,
      label: { type: "plain_text", text: "Digest channel" },
      element: {
        type: "conversations_select",
        action_id: SETTINGS_BLOCKS.digestChannel,
        filter: { include: ["public", "private"], exclude_bot_users: true },
        ...(s.digest_channel ? { initial_conversation: s.digest_channel } : {}),
      },
    },
    {
      type: "input",
      block_id: SETTINGS_BLOCKS.alertChannel,
      optional: true,
      label: { type: "plain_text", text: "At-risk alert channel" },
      element: {
        type: "conversations_select",
        action_id: SETTINGS_BLOCKS.alertChannel,
        filter: { include: ["public", "private"], exclude_bot_users: true },
        ...(s.alert_channel ? { initial_conversation: s.alert_channel } : {}),
      },
    },
    {
      type: "input",
      block_id: SETTINGS_BLOCKS.digestTime,
      label: { type: "plain_text", text: "Digest time" },
      element: { type: "timepicker", action_id: SETTINGS_BLOCKS.digestTime, initial_time: s.digest_time },
    },
    {
      type: "input",
      block_id: SETTINGS_BLOCKS.digestDays,
      label: { type: "plain_text", text: "Digest days" },
      element: {
        type: "checkboxes",
        action_id: SETTINGS_BLOCKS.digestDays,
        options: DAYS.map((d, i) => option(d, String(i + 1))),
        initial_options: s.digest_days.map((d) => option(DAYS[d - 1]!, String(d))),
      },
    },
    {
      type: "input",
      block_id: SETTINGS_BLOCKS.timezone,
      label: { type: "plain_text", text: "Time zone (IANA, e.g. Europe/Paris)" },
      element: {
        type: "plain_text_input",
        action_id: SETTINGS_BLOCKS.timezone,
        initial_value: s.timezone,
        max_length: 64,
      },
    },
    {
      type: "input",
      block_id: SETTINGS_BLOCKS.cadence,
      label: { type: "plain_text", text: "Recompute scores" },
      element: {
        type: "static_select",
        action_id: SETTINGS_BLOCKS.cadence,
        options: cadenceOptions.map((c) => option(c.label, c.cron)),
        initial_option: option(cadence?.label ?? `Custom: ${s.recompute_cron}`, s.recompute_cron),
      },
    },
    {
      type: "input",
      block_id: SETTINGS_BLOCKS.lead,
      optional: true,
      label: {
        type: "plain_text",
        text: `Escalate unclaimed cases after ${s.escalate_after_business_days} business days to`,
      },
      element: {
        type: "users_select",
        action_id: SETTINGS_BLOCKS.lead,
        ...(s.escalation_lead ? { initial_user: s.escalation_lead } : {}),
      },
    },
  ];
  if (notes.length > 0) {
    blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: notes.join("\n").slice(0, 3000) }] });
  }
  return {
    type: "modal",
    callback_id: VIEWS.settings,
    title: { type: "plain_text", text: "css-bot settings" },
    submit: { type: "plain_text", text: "Save" },
    close: { type: "plain_text", text: "Cancel" },
    blocks,
  };
}
