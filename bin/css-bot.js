#!/usr/bin/env node
// The css-bot command. Runs the TypeScript sources through tsx's loader so a clone works
// right after `npm ci`, with no build step to forget.
import { register } from "tsx/esm/api";

register();
const { run } = await import("../src/cli/main.ts");
const code = await run(process.argv, process.env);
// PGlite and Prisma's WASM schema engine leave timers of their own running (10 s each) that nothing
// can clear; a one-shot command exits once its output is flushed instead of waiting for them.
// Long-running commands (the bot, the worker) return only when they are told to stop.
process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
