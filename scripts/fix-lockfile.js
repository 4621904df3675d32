#!/usr/bin/env node
// The npm registry this project is developed against serves only some platforms' builds of a few
// native optional packages (e.g. @msgpackr-extract/msgpackr-extract-darwin-arm64 answers 404), so
// `npm install` leaves their entries out of package-lock.json and `npm ci` then rejects the lock.
// This restores an entry for each missing platform package, with the os and cpu its name gives:
// npm skips them on other platforms without fetching them, and fetches them where they apply.
// Run after changing dependencies: `npm install && npm run lockfile:fix`.
import { readFileSync, writeFileSync } from "node:fs";

const OS = ["darwin", "linux", "win32", "freebsd", "android", "openbsd", "sunos", "aix"];
const CPU = ["x64", "arm64", "arm", "ia32", "ppc64", "s390x", "riscv64", "loong64"];
const file = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(file, "utf8"));
let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const where = `${path ? `${path}/` : ""}node_modules/${name}`;
    if (lock.packages[where] || lock.packages[`node_modules/${name}`]) continue;
    const parts = name.split(/[/-]/);
    const os = parts.find((p) => OS.includes(p));
    const cpu = parts.findLast((p) => CPU.includes(p));
    if (!os || !cpu || !/^\d+\.\d+\.\d+$/.test(version)) {
      console.error(
        `fix-lockfile: ${name}@${version} (optional, of ${path}) is missing and is not a platform build; install it properly`,
      );
      process.exitCode = 1;
      continue;
    }
    lock.packages[`node_modules/${name}`] = {
      version,
      cpu: [cpu],
      license: entry.license,
      optional: true,
      os: [os],
    };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))),
);
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`fix-lockfile: added ${added} platform package entr${added === 1 ? "y" : "ies"}`);
