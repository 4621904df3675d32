// `/css settings` (workspace admins and owners only): opens the settings modal; its submission is
// validated like `css-bot settings set` (errors shown beside the field) and moves the schedules.
import type { App, SlashCommand, ViewStateValue } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { readSettings, type WorkspaceSettings } from "../../../config/workspace-settings.ts";
import { lastBacktestNote } from "../../../services/backtest-history.ts";
import { connectorListing } from "../../../services/connectors.ts";
import { InvalidSettingsError, updateSettings } from "../../../services/workspace-settings.ts";
import { connectorNotes } from "../../blocks/connector-notes.ts";
import { deliveryFailureNote, SETTINGS_BLOCKS, settingsModal } from "../../blocks/settings-modal.ts";
import { workspaceOf, type SlackDeps } from "../../context.ts";
import { VIEWS } from "../../ids.ts";

/** A workspace admin or owner, as Slack says (users.info): who may change settings and preview plays. */
export async function isAdmin(client: WebClient, userId: string): Promise<boolean> {
  const user = await client.users.info({ user: userId });
  return user.user?.is_admin === true || user.user?.is_owner === true;
}

/** Opens the modal for an admin; a message for anyone else. Called by the /css listener after its ack. */
export async function openSettings(
  deps: SlackDeps,
  command: SlashCommand,
  client: WebClient,
  workspace: ReturnType<typeof workspaceOf>,
): Promise<string | null> {
  if (!(await isAdmin(client, command.user_id))) {
    return "Only workspace admins can change css-bot's settings. `/css help` lists what you can do.";
  }
  const fresh = await deps.prisma.workspace.findUniqueOrThrow({ where: { id: workspace.id } });
  const failures = await deps.prisma.auditLogEntry.findMany({
    where: { workspaceId: workspace.id, action: "slack.delivery_failed" },
    orderBy: { at: "desc" },
    take: 3,
  });
  // What admins must know: Slack's recent refusals (a channel the bot was removed from...).
  const notes = failures.map((f) =>
    deliveryFailureNote(f.at, f.details as Parameters<typeof deliveryFailureNote>[1]),
  );
  // The last back-test of the live score (`css-bot backtest --from-history`), when there is one.
  const backtest = await lastBacktestNote(deps.prisma, workspace.id);
  if (backtest) notes.unshift(backtest);
  // Each connector's last sync and error (`css-bot connectors list` has the details).
  notes.push(...connectorNotes(await connectorListing(deps.prisma, workspace.id)));
  await client.views.open({
    trigger_id: command.trigger_id,
    view: settingsModal(readSettings(fresh.settings), notes),
  });
  return null;
}

const value = (values: Record<string, Record<string, ViewStateValue>>, block: string) =>
  values[block]?.[block];

export function registerSettingsView(app: App, deps: SlackDeps): void {
  app.view(VIEWS.settings, async ({ ack, view, body, context, client }) => {
    const v = view.state.values;
    const changes: Partial<WorkspaceSettings> = {
      digest_channel: value(v, SETTINGS_BLOCKS.digestChannel)?.selected_conversation ?? null,
      alert_channel: value(v, SETTINGS_BLOCKS.alertChannel)?.selected_conversation ?? null,
      digest_days: (value(v, SETTINGS_BLOCKS.digestDays)?.selected_options ?? []).map((o) => Number(o.value)),
      timezone: (value(v, SETTINGS_BLOCKS.timezone)?.value ?? "").trim(),
      escalation_lead: value(v, SETTINGS_BLOCKS.lead)?.selected_user ?? null,
    };
    const time = value(v, SETTINGS_BLOCKS.digestTime)?.selected_time;
    if (time) changes.digest_time = time;
    const cron = value(v, SETTINGS_BLOCKS.cadence)?.selected_option?.value;
    if (cron) changes.recompute_cron = cron;
    // The admin check again: a submission is a request of its own.
    if (!(await isAdmin(client, body.user.id))) {
      await ack({
        response_action: "errors",
        errors: { [SETTINGS_BLOCKS.timezone]: "Only workspace admins can save settings." },
      });
      return;
    }
    const workspace = workspaceOf(context);
    try {
      const saved = await updateSettings(deps.prisma, workspace.id, changes, `slack:${body.user.id}`);
      await ack();
      await deps.onSettingsChanged?.(workspace.id, saved);
    } catch (error) {
      if (!(error instanceof InvalidSettingsError)) throw error;
      await ack({ response_action: "errors", errors: fieldErrors(error.message) });
    }
  });
}

const FIELD: Record<string, string> = {
  digest_channel: SETTINGS_BLOCKS.digestChannel,
  alert_channel: SETTINGS_BLOCKS.alertChannel,
  digest_time: SETTINGS_BLOCKS.digestTime,
  digest_days: SETTINGS_BLOCKS.digestDays,
  timezone: SETTINGS_BLOCKS.timezone,
  recompute_cron: SETTINGS_BLOCKS.cadence,
  escalation_lead: SETTINGS_BLOCKS.lead,
};

/** "timezone: must be ...; digest_days: ..." -> { block id: message } for Slack's inline errors. */
function fieldErrors(message: string): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const part of message.split("; ")) {
    const [path = "", ...rest] = part.split(": ");
    const block = FIELD[path.split(".")[0] ?? ""] ?? SETTINGS_BLOCKS.timezone;
    errors[block] = rest.join(": ") || part;
  }
  return errors;
}
