// `npm run bench -- big-field [--mb 50]`: the peak memory of reading an accounts file whose second
// row holds one huge field, as CSV and as JSON Lines. The reader stops at the record size limit
// (MAX_RECORD_BYTES), so the peak stays near the process's floor whatever the field's size.
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { join } from "node:path";
import { tempDir } from "../test/support/files.ts";
import { parseFlags, BenchUsageError } from "./support/args.ts";
import { runChild } from "./support/child-process.ts";
import type { BigFieldChildReport } from "./big-field-child.ts";

export async function main(args: string[]): Promise<void> {
  const flags = parseFlags(args, ["mb"]);
  const mb = Number(flags.mb ?? "50");
  if (!Number.isInteger(mb) || mb < 1) throw new BenchUsageError(`--mb must be a whole number ≥ 1`);
  const dir = tempDir("css-bench-big-field-");
  const files = [
    await write(join(dir, "big.csv"), "account_id,name\nA1,Acme\nA2,", mb, "\nA3,Three\n"),
    await write(
      join(dir, "big.jsonl"),
      '{"account_id":"A1","name":"Acme"}\n{"account_id":"A2","name":"',
      mb,
      '"}\n{"account_id":"A3","name":"Three"}\n',
    ),
  ];
  process.stdout.write(`| file | field | peak RSS | records read | outcome |\n|---|--:|--:|--:|---|\n`);
  for (const file of files) {
    const child = await runChild<BigFieldChildReport>(new URL("./big-field-child.ts", import.meta.url), [
      file,
    ]);
    process.stdout.write(
      `| ${file.endsWith(".csv") ? "CSV" : "JSON Lines"} | ${mb} MiB | ${child.peakRssMb.toFixed(0)} MiB | ${child.records} | ${child.outcome.replace(dir, "…")} |\n`,
    );
  }
}

/** Writes head, `mb` MiB of "x" in 1 MiB pieces (never one big string), then tail. */
async function write(file: string, head: string, mb: number, tail: string): Promise<string> {
  const out = createWriteStream(file);
  const piece = "x".repeat(1024 * 1024);
  out.write(head);
  for (let i = 0; i < mb; i++) if (!out.write(piece)) await once(out, "drain");
  out.end(tail);
  await once(out, "finish");
  return file;
}
