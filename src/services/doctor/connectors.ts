// Each connector's latest sync: failed, refused credentials, or none for two of its scheduled times
// (no worker running, or a stuck sync).
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
