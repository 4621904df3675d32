// Small input files written for one test.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const FIXTURES = new URL("../fixtures/files/", import.meta.url).pathname;

export function tempDir(prefix = "css-bot-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes `lines` (a header and rows) to a new file named `name` in a fresh temp dir. */
export function writeTempFile(name: string, lines: string[]): string {
  const file = join(tempDir(), name);
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}
