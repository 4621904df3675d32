// css-bot sandbox: the bot with a Slack workspace of its own, in the browser, on this machine (no
// Slack account anywhere). It runs `start` (web process and worker) against the sandbox's Web API.
import type { Command } from "commander";
import { createLogger } from "../../log.ts";
import { runSandbox } from "../../sandbox/run-sandbox.ts";
import type { CliContext } from "../context.ts";

export function registerSandbox(program: Command, ctx: CliContext): void {
  program
    .command("sandbox")
    .description(
      "run the bot with a local Slack workspace in the browser (CSS_SANDBOX_PORT, default 3100): try /css, threads and buttons without Slack",
    )
    .action(async () => {
      const log = createLogger(ctx.io.stderr);
      const running = await runSandbox({ config: ctx.config, log, port: ctx.config.sandboxPort });
      ctx.io.stdout.write(`Sandbox: ${running.url}\n`);
      await running.stopped;
    });
}
