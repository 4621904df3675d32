// Registers every listener; each lives in a file of its own and only acks and calls a service.
import type { App } from "@slack/bolt";
import type { SlackDeps } from "../context.ts";
import { registerCaseActions } from "./actions/case-actions.ts";
import { registerSnoozeCase } from "./actions/snooze-case.ts";
import { registerShareCard } from "./actions/share-card.ts";
import { registerShowAccount } from "./actions/show-account.ts";
import { registerLogNote } from "./actions/log-note.ts";
import { registerShowTimeline } from "./actions/show-timeline.ts";
import { registerLogNoteView } from "./views/log-note.ts";
import { registerCssCommand } from "./commands/css.ts";
import { registerSettingsView } from "./views/settings.ts";
import { registerAppHomeOpened } from "./events/app-home-opened.ts";
import { registerAppUninstalled } from "./events/app-uninstalled.ts";

export function registerListeners(app: App, deps: SlackDeps): void {
  registerCssCommand(app, deps);
  registerShareCard(app, deps);
  registerShowAccount(app, deps);
  registerCaseActions(app, deps);
  registerSnoozeCase(app, deps);
  registerAppUninstalled(app, deps);
  registerAppHomeOpened(app, deps);
  registerSettingsView(app, deps);
  registerLogNote(app, deps);
  registerLogNoteView(app, deps);
  registerShowTimeline(app, deps);
}
