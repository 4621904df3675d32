// The measured part of `npm run bench -- ingest` (connector part) and `npm run bench -- crm` (sync
// part), in a process of its own so that its peak RSS is the sync's: one run of the real sync runner
// (runSync) for one connector, as the sync job runs it. Reports the run's counts, its wall time and
// the process's peak RSS.
import { runSync, type SyncResult } from "../src/connectors/sync-runner.ts";
import { measureConnectorWork, type ConnectorChildReport } from "./support/connector-child.ts";

export type SyncChildReport = ConnectorChildReport<Omit<SyncResult, "rejections"> & { rejections: number }>;

await measureConnectorWork(async (deps, { workspaceId, connectorId }) => {
  const result = await runSync(deps, connectorId, { workspaceId, trigger: "bench" });
  return { ...result, rejections: result.rejections.length };
});
