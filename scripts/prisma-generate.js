#!/usr/bin/env node
// Regenerates the Prisma client into src/generated/prisma (committed, so a clone runs without a
// generate step). `prisma generate` never runs Prisma's native schema engine, it only checks that
// one exists; pointing it at any file lets generation work on machines that cannot download it.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? fileURLToPath(import.meta.url),
  CHECKPOINT_DISABLE: "1",
  PRISMA_HIDE_UPDATE_MESSAGE: "1",
};
const result = spawnSync("npx", ["prisma", "generate", "--schema", "prisma/schema.prisma"], {
  stdio: "inherit",
  env,
});
process.exit(result.status ?? 1);
