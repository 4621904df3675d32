// A process that claims the embedded database's ownership of a directory, for the ownership race
// test: it waits for <dir>/go, claims, prints what it got as JSON, and, as the owner, holds the
// claim until <dir>/done exists.
import { existsSync } from "node:fs";
import path from "node:path";
import { claimOwnership } from "../../src/db/embedded-owner.ts";

const [dir] = process.argv.slice(2) as [string];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const records = path.join(dir, "records");

while (!existsSync(path.join(dir, "go"))) await sleep(5);
const claim = await claimOwnership(records, { role: "command", label: "claim-owner" });
if ("ownership" in claim) {
  process.stdout.write(`${JSON.stringify({ owned: true, pid: process.pid })}\n`);
  while (!existsSync(path.join(dir, "done"))) await sleep(20);
  await claim.ownership.release();
} else {
  process.stdout.write(`${JSON.stringify({ owned: false, pid: claim.owner.pid })}\n`);
}
