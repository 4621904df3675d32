// Registers every command; each lives in its own file.
import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { registerKpis } from "./kpis.ts";
import { registerScore } from "./score.ts";

export function registerCommands(program: Command, ctx: CliContext): void {
  registerScore(program, ctx);
  registerKpis(program, ctx);
}
