#!/usr/bin/env node
// The css-bot command. Runs the TypeScript sources through tsx's loader so a clone works
// right after `npm ci`, with no build step to forget.
import { register } from "tsx/esm/api";

register();
const { run } = await import("../src/cli/main.ts");
process.exitCode = await run(process.argv, process.env);
