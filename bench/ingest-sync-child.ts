// The measured part of `npm run bench -- ingest` (connector part), in a process of its own so that
// its peak RSS is the sync's: one run of the real sync runner (runSync) for one connector, as the
// sync job runs it. Reports the run's counts, its wall time and the process's peak RSS.
import { openDatabase } from "../src/db/client.ts";
import { runSync, type SyncResult } from "../src/connectors/sync-runner.ts";
import { SecretBox } from "../src/security/secret-box.ts";
import { report } from "./support/child-process.ts";

export interface SyncChildReport {
  result: Omit<SyncResult, "rejections"> & { rejections: number };
  wallMs: number;
  peakRssMiB: number;
}

const [databaseUrl, workspaceId, connectorId] = process.argv.slice(2);
const key = Buffer.from(process.env.CSS_ENCRYPTION_KEY ?? "", "hex");
const db = await openDatabase({ databaseUrl: databaseUrl!, dataDir: "" });
try {
  const started = performance.now();
  const result = await runSync({ prisma: db.prisma, box: new SecretBox(key) }, Number(connectorId), {
    workspaceId: Number(workspaceId),
    trigger: "bench",
  });
  const wallMs = performance.now() - started;
  report({
    result: { ...result, rejections: result.rejections.length },
    wallMs,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  } satisfies SyncChildReport);
} finally {
  await db.close();
}
