// The child side of a connector benchmark (a sync, a write-back): opens the scratch database named on
// the command line, runs one connector's work with the sealing key the parent put in
// CSS_ENCRYPTION_KEY, and reports its result with its wall time and the process's peak RSS, before
// and after the work (the difference is what the work itself took).
import { openDatabase } from "../../src/db/client.ts";
import type { PrismaClient } from "../../src/generated/prisma/client.ts";
import { SecretBox } from "../../src/security/secret-box.ts";
import { report } from "./child-process.ts";

export interface ConnectorChildReport<T> {
  result: T;
  wallMs: number;
  peakRssMiB: number;
  /** Peak RSS before the measured work (the process with its modules loaded and the database open). */
  startRssMiB: number;
}

/** Arguments: the database URL, the workspace id and the connector id. */
export async function measureConnectorWork<T>(
  work: (
    deps: { prisma: PrismaClient; box: SecretBox },
    ids: { workspaceId: number; connectorId: number },
  ) => Promise<T>,
): Promise<void> {
  const [databaseUrl, workspaceId, connectorId] = process.argv.slice(2);
  const key = Buffer.from(process.env.CSS_ENCRYPTION_KEY ?? "", "hex");
  const db = await openDatabase({ databaseUrl: databaseUrl!, dataDir: "" });
  try {
    const startRssMiB = process.resourceUsage().maxRSS / 1024;
    const started = performance.now();
    const result = await work(
      { prisma: db.prisma, box: new SecretBox(key) },
      { workspaceId: Number(workspaceId), connectorId: Number(connectorId) },
    );
    const wallMs = performance.now() - started;
    report({
      result,
      wallMs,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      startRssMiB,
    } satisfies ConnectorChildReport<T>);
  } finally {
    await db.close();
  }
}
