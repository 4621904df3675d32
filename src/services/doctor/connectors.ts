// Each connector's latest sync: failed, refused credentials, or none for two of its scheduled times
// (no worker running, or a stuck sync); and, when write-back is on, whether a refusal stopped it.
import { cadenceOf } from "../../connectors/common-settings.ts";
import type { ConnectorListing } from "../../db/repositories/connectors.ts";
import { nextFireTimes } from "../../domain/schedule/cron.ts";
import { fail, ok, warn, type Check } from "./check.ts";

export function checkConnector(connector: ConnectorListing, timezone: string, now: Date): Check {
  const name = `connector ${connector.name}`;
  const run = connector.lastRun;
  const cadence = cadenceOf(connector.settings);
  const sync = `npx css-bot connectors sync ${connector.name}`;
  if (connector.status === "auth_failed") {
    return fail(
      name,
      `the source refused its credentials: ${connector.lastError ?? run?.error ?? "no detail"}`,
      `npx css-bot connectors add ${connector.name} --kind ${connector.kind} --secret-file <new credentials.json>`,
    );
  }
  if (run?.status === "failed") {
    return warn(
      name,
      `the last sync (${run.startedAt.toISOString()}) failed: ${run.error ?? "no detail"}`,
      sync,
    );
  }
  // Missed: two scheduled times have passed since the latest sync started (or the connector was added).
  const since = run?.startedAt ?? connector.createdAt;
  const [, secondFire] = nextFireTimes(cadence, timezone, since, 2);
  if (secondFire && secondFire.getTime() < now.getTime()) {
    const what = run
      ? run.status === "running"
        ? `a sync started ${since.toISOString()} has not finished`
        : `no sync since ${since.toISOString()}`
      : `never synced since it was added (${since.toISOString()})`;
    return warn(
      name,
      `${what}, though it syncs on "${cadence}": is a worker running?`,
      `npx css-bot worker (keeps connectors syncing), or ${sync}`,
    );
  }
  if (!run) return ok(name, `added, first sync due on "${cadence}"`);
  return ok(name, `synced ${since.toISOString()} (${run.status}, ${run.written} records written)`);
}

/** A check for connectors with write-back on (null for the others): stopped by a refused field, or on. */
export function checkWriteBack(connector: ConnectorListing): Check | null {
  if (!connector.writeBack) return null;
  const name = `write-back ${connector.name}`;
  if (connector.writeBackError) {
    return warn(
      name,
      `stopped: the CRM refused a field: ${connector.writeBackError}`,
      `fix the field or the app's scopes (docs/connectors.md, "Write-back"), then npx css-bot connectors write-back ${connector.name} on`,
    );
  }
  return ok(
    name,
    "on: scores are written after each recompute (npx css-bot connectors writes " + connector.name + ")",
  );
}
