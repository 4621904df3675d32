// Registers every command; each lives in its own file.
import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { registerApiKey } from "./apikey.ts";
import { registerBacktest } from "./backtest.ts";
import { registerCalibrate } from "./calibrate.ts";
import { registerConnectors } from "./connectors.ts";
import { registerDb } from "./db.ts";
import { registerDemo } from "./demo.ts";
import { registerDigest } from "./digest.ts";
import { registerDoctor } from "./doctor.ts";
import { registerExplain } from "./explain.ts";
import { registerImport } from "./import.ts";
import { registerKpis } from "./kpis.ts";
import { registerModel } from "./model.ts";
import { registerRecompute } from "./recompute.ts";
import { registerRuns } from "./runs.ts";
import { registerScore } from "./score.ts";
import { registerSettings } from "./settings.ts";
import { registerTrackSecret } from "./track-secret.ts";
import { registerSandbox } from "./sandbox.ts";
import { registerTimeline } from "./timeline.ts";
import { registerWorker } from "./worker.ts";

export function registerCommands(program: Command, ctx: CliContext): void {
  registerScore(program, ctx);
  registerKpis(program, ctx);
  registerImport(program, ctx);
  registerModel(program, ctx);
  registerRecompute(program, ctx);
  registerExplain(program, ctx);
  registerTimeline(program, ctx);
  registerDb(program, ctx);
  registerDemo(program, ctx);
  registerWorker(program, ctx);
  registerSandbox(program, ctx);
  registerRuns(program, ctx);
  registerSettings(program, ctx);
  registerDigest(program, ctx);
  registerApiKey(program, ctx);
  registerBacktest(program, ctx);
  registerCalibrate(program, ctx);
  registerConnectors(program, ctx);
  registerTrackSecret(program, ctx);
  registerDoctor(program, ctx);
}
