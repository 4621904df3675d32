// css-bot worker: runs the queue workers until stopped (SIGTERM lets jobs in progress finish), with
// the probes on CSS_HEALTH_PORT. css-bot start: the same, with the web process (and its probes, on
// PORT) in the same process.
import type { Command } from "commander";
import { createLogger } from "../../log.ts";
import { startWorkerProcess } from "../../main/worker-process.ts";
import type { CliContext } from "../context.ts";

export function registerWorker(program: Command, ctx: CliContext): void {
  program
    .command("worker")
    .description(
      "run the job workers (recompute, sync, notifications), probes on CSS_HEALTH_PORT; run as many as the portfolio needs",
    )
    .action(async () => {
      const running = await startWorkerProcess(ctx.config, createLogger(ctx.io.stderr));
      await running.stopped;
    });

  program
    .command("start")
    .description("run the web process (PORT) and a worker in one process: for small installs and the demo")
    .action(async () => {
      const running = await startWorkerProcess(ctx.config, createLogger(ctx.io.stderr), { web: true });
      await running.stopped;
    });
}
