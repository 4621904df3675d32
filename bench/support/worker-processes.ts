// Real worker processes for a benchmark: `node bin/css-bot.js worker` (or `start`: the worker with
// the web process), as an operator starts them. bin/css-bot.js runs the worker in its own node
// process, so the spawned pid is the worker and its /proc/<pid>/status holds its own peak memory.
import { spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = fileURLToPath(new URL("../../bin/css-bot.js", import.meta.url));
const RECENT_LINES = 30;

export interface WorkerProcess {
  index: number;
  pid: number;
  /** Whether the process has exited (by itself or when stopped). */
  exited(): boolean;
  /** VmHWM, the peak resident set size of the process so far, in MiB (Linux only). */
  peakRssMb(): Promise<number>;
  /** SIGTERM (jobs in progress finish), then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** Its last log lines, to explain a failure. */
  recentLog(): string[];
}

/**
 * Starts `count` worker processes with `env` added to this process's environment, and resolves
 * once each has logged "worker started". If any fails to start, the others are stopped.
 */
export async function startWorkerProcesses(
  count: number,
  env: Record<string, string>,
  log: (text: string) => void,
  readyTimeoutMs = 120_000,
  command: "worker" | "start" = "worker",
): Promise<WorkerProcess[]> {
  const started = Array.from({ length: count }, (_, i) => startOne(i + 1, env, log, command));
  const ready = await Promise.allSettled(started.map((s) => s.ready(readyTimeoutMs)));
  const failed = ready.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    await Promise.all(started.map((s) => s.worker.stop()));
    throw failed.reason;
  }
  return started.map((s) => s.worker);
}

function startOne(
  index: number,
  env: Record<string, string>,
  log: (text: string) => void,
  command: "worker" | "start",
): { worker: WorkerProcess; ready(timeoutMs: number): Promise<void> } {
  const child: ChildProcess = spawn(process.execPath, [CLI, command], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const recent: string[] = [];
  let onReady: () => void = () => undefined;
  const isReady = new Promise<void>((resolve) => (onReady = resolve));
  let exitedWith: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.on("exit", (code, signal) => {
      exitedWith = signal ?? `code ${code}`;
      resolve();
    });
    child.on("error", (error) => {
      exitedWith = error.message;
      resolve();
    });
  });
  const onLine = (line: string) => {
    recent.push(line);
    if (recent.length > RECENT_LINES) recent.shift();
    const entry = parseLogLine(line);
    if (entry?.msg === "worker started") onReady();
    // Warnings and errors are worth seeing while the benchmark runs; routine lines are not.
    if (!entry || entry.level === "warn" || entry.level === "error") log(`  worker ${index}: ${line}`);
  };
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on("line", onLine);
  }

  const worker: WorkerProcess = {
    index,
    pid: child.pid ?? -1,
    exited: () => exitedWith !== undefined,
    peakRssMb: () => peakRssMb(child.pid ?? -1),
    recentLog: () => [...recent],
    async stop(graceMs = 60_000) {
      if (exitedWith !== undefined) return;
      child.kill("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), graceMs)));
      if ((await Promise.race([exited, late])) === "late") {
        log(`  worker ${index} (pid ${child.pid}) did not stop within ${graceMs / 1000} s: killing it`);
        child.kill("SIGKILL");
        await exited;
      }
      clearTimeout(timer);
    },
  };
  return {
    worker,
    async ready(timeoutMs: number) {
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        isReady.then(() => "ready" as const),
        exited.then(() => "exited" as const),
        new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs))),
      ]);
      clearTimeout(timer);
      if (outcome === "ready") return;
      const why =
        outcome === "exited" ? `exited (${exitedWith})` : `did not start within ${timeoutMs / 1000} s`;
      throw new Error(`worker ${index} ${why}; its last lines:\n${recent.join("\n")}`);
    },
  };
}

function parseLogLine(line: string): { msg?: unknown; level?: unknown } | null {
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === "object" ? value : null;
  } catch {
    return null;
  }
}

/** VmHWM ("high water mark") of a process, in MiB; NaN where /proc is not available. */
export async function peakRssMb(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kib = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status)?.[1];
    return kib === undefined ? Number.NaN : Number(kib) / 1024;
  } catch {
    return Number.NaN;
  }
}
