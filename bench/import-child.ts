// The measured part of `npm run bench -- import`, run by it in a child process: opens the database,
// imports one file with the real importFile, and reports time and peak memory as JSON on stdout.
//   node --import tsx bench/import-child.ts <accounts|metrics|responses> <file> <workspace> \
//     (--database-url URL | --data-dir DIR)
import { parseArgs } from "node:util";
import { openDatabase } from "../src/db/client.ts";
import { requireWorkspace } from "../src/db/repositories/workspaces.ts";
import { RECORD_KINDS, type RecordKind } from "../src/ingest/record-schemas.ts";
import { importFile } from "../src/services/import-records.ts";
import { peakRssMb, report, sampleMemory } from "./support/child-process.ts";

export interface ImportChildReport {
  rows: number;
  imported: number;
  invalid: number;
  seconds: number;
  /** Peak RSS once the database is open, before importing: the floor the import adds to. */
  baselineRssMb: number;
  peakRssMb: number;
  peakHeapMb: number;
  peakExternalMb: number;
}

const { values, positionals } = parseArgs({
  options: { "database-url": { type: "string" }, "data-dir": { type: "string" } },
  allowPositionals: true,
});
const [kind, file, slug] = positionals;
const databaseUrl = values["database-url"];
const dataDir = values["data-dir"];
// Exactly one location: with neither, openDatabase would make a PGlite in the working directory.
if (!RECORD_KINDS.includes(kind as RecordKind) || !file || !slug || !databaseUrl === !dataDir) {
  throw new Error("usage: import-child.ts <kind> <file> <workspace> (--database-url URL | --data-dir DIR)");
}

const db = await openDatabase({ databaseUrl, dataDir: dataDir ?? "" });
try {
  const workspace = await requireWorkspace(db.prisma, slug);
  const baselineRssMb = peakRssMb();
  const memory = sampleMemory();
  const started = process.hrtime.bigint();
  const result = await importFile(db.prisma, workspace.id, kind as RecordKind, file);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peaks = memory.stop();
  report({
    rows: result.rows,
    imported: result.imported,
    invalid: result.invalid,
    seconds,
    baselineRssMb,
    peakRssMb: peakRssMb(),
    ...peaks,
  } satisfies ImportChildReport);
} finally {
  await db.close();
}
