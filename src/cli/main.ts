// The css-bot command line. `run` returns an exit code instead of exiting, so tests drive it in-process.
import { Command, CommanderError } from "commander";
import { loadConfig } from "../config/env.ts";
import { registerCommands } from "./commands/index.ts";
import { createContext, type CliIo } from "./context.ts";
import { reportError } from "./errors.ts";

export async function run(
  argv: string[],
  env: Record<string, string | undefined>,
  io: CliIo = { stdout: process.stdout, stderr: process.stderr, interactive: process.stderr.isTTY === true },
): Promise<number> {
  try {
    const ctx = createContext(io, loadConfig(env));
    const program = new Command("css-bot")
      .description(
        "Customer Success Scores: transparent, explainable account health for customer-success teams.",
      )
      .option("-w, --workspace <slug>", "workspace to act on", ctx.config.defaultWorkspace)
      .showHelpAfterError("(run with --help for usage)")
      .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
      .exitOverride();
    registerCommands(program, ctx);
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    return reportError(error, io.stderr);
  }
}
