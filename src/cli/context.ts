// What every command gets: its output streams, the parsed config, progress bars, and the
// workspace's database (opened on first use, so file-only commands never touch it).
import cliProgress from "cli-progress";
import type { AppConfig } from "../config/env.ts";
import type { Progress } from "../services/progress.ts";
import { silentProgress } from "../services/progress.ts";

export interface Output {
  write(text: string): void;
}

export interface CliIo {
  stdout: Output;
  stderr: Output;
  /** Whether stderr is a terminal (progress bars are drawn only there). */
  interactive: boolean;
}

export interface CliContext {
  io: CliIo;
  config: AppConfig;
  progress(): Progress;
}

export function createContext(io: CliIo, config: AppConfig): CliContext {
  return {
    io,
    config,
    progress: () => (io.interactive ? terminalProgress() : silentProgress),
  };
}

function terminalProgress(): Progress {
  const bar = new cliProgress.SingleBar(
    {
      format: "{label} [{bar}] {percentage}% | {eta_formatted} left",
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    start: (label, total) => bar.start(total, 0, { label }),
    update: (done) => bar.update(done),
    stop: () => bar.stop(),
  };
}
