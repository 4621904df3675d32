// Today's date where a workspace is: its settings' time zone decides when a renewal is "in 12 days".
import { readSettings } from "../config/workspace-settings.ts";
import type { Day } from "../domain/dates.ts";
import { localDay } from "../domain/schedule/slots.ts";
import type { Workspace } from "../generated/prisma/client.ts";

export function workspaceToday(workspace: Pick<Workspace, "settings">, now: Date = new Date()): Day {
  return localDay(now, readSettings(workspace.settings).timezone);
}
