// The measured part of `npm run bench -- big-field`, run by it in a child process: reads one file
// with the real readRecords and reports what came of it and the peak memory as JSON on stdout.
//   node --import tsx bench/big-field-child.ts <file>
import { readRecords } from "../src/ingest/read-records.ts";
import { peakRssMb, report } from "./support/child-process.ts";

export interface BigFieldChildReport {
  /** What the reader said about the big record: an invalid row's reason or the file's error. */
  outcome: string;
  records: number;
  peakRssMb: number;
}

const [file] = process.argv.slice(2);
if (file === undefined) throw new Error("usage: big-field-child.ts <file>");
let records = 0;
let outcome = "read without complaint";
try {
  for await (const item of readRecords(file, "accounts")) {
    if (item.record) records++;
    else outcome = `line ${item.line}: ${item.issues.map((i) => i.reason).join("; ")}`;
  }
} catch (error) {
  outcome = (error as Error).message;
}
report({ outcome, records, peakRssMb: peakRssMb() } satisfies BigFieldChildReport);
