// The connectors' state as lines for the settings modal (admins): each connector's last sync, what
// it read, wrote, rejected and left to a higher-ranked source, and its error when it failed. Pure.
import type { ConnectorListing } from "../../db/repositories/connectors.ts";
import { CONNECTORS } from "../../connectors/registry.ts";
import type { ConnectorKind } from "../../connectors/contract.ts";
import { escCode, escCut, slackDate } from "./text.ts";

/** More than this and the rest are counted, not listed (`css-bot connectors list` has them all). */
const MAX_LISTED = 8;

export function connectorNotes(connectors: readonly ConnectorListing[]): string[] {
  if (connectors.length === 0) return [];
  const lines = connectors.slice(0, MAX_LISTED).map((c) => {
    const title = CONNECTORS[c.kind as ConnectorKind]?.title ?? c.kind;
    const name = `*${escCut(c.name, 60)}* (${escCut(title, 30)})`;
    const run = c.lastRun;
    const when = (at: Date) =>
      slackDate(Math.floor(at.getTime() / 1000), at.toISOString().slice(0, 16), "{date_short_pretty} {time}");
    if (c.status === "auth_failed") {
      return `:red_circle: ${name}: credentials refused, not syncing until they are updated (\`css-bot connectors add ${escCut(c.name, 60, escCode)}\`)${c.lastError ? `: ${escCut(c.lastError, 200)}` : ""}`;
    }
    if (!run) return `:white_circle: ${name}: not synced yet`;
    const superseded =
      run.superseded > 0
        ? `, ${run.superseded.toLocaleString("en-US")} superseded by higher-ranked sources`
        : "";
    const counts = `${run.read.toLocaleString("en-US")} read, ${run.written.toLocaleString("en-US")} written, ${run.rejected.toLocaleString("en-US")} rejected${superseded}`;
    if (run.status === "failed") {
      return `:warning: ${name}: last sync failed ${when(run.startedAt)} (${counts})${run.error ? `: ${escCut(run.error, 200)}` : ""}`;
    }
    if (run.status === "running")
      return `:hourglass_flowing_sand: ${name}: syncing since ${when(run.startedAt)}`;
    return `:large_green_circle: ${name}: synced ${when(run.finishedAt ?? run.startedAt)} (${counts})`;
  });
  if (connectors.length > MAX_LISTED)
    lines.push(`…and ${connectors.length - MAX_LISTED} more: \`css-bot connectors list\``);
  return ["*Connectors*", ...lines];
}
