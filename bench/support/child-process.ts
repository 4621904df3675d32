// Runs the measured part of a benchmark in a child process, so that its peak memory is its own and
// not the parent's (which generates the input and checks the output). The child prints one JSON
// object as the last line of its stdout.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Runs `node --import tsx <script> ...args` and returns what the child reported. */
export function runChild<T>(script: URL, args: readonly string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(script), ...args], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (code !== 0) {
        reject(new Error(`${fileURLToPath(script)} exited with ${signal ?? `code ${code}`}`));
        return;
      }
      const last = stdout.trim().split("\n").at(-1) ?? "";
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(
          new Error(`${fileURLToPath(script)} did not report JSON on its last line: ${last.slice(0, 200)}`),
        );
      }
    });
  });
}

/** The child's side: prints the report as the last line of stdout. */
export function report(result: object): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** Peak resident set size of this process so far, in MiB (Linux reports maxRSS in KiB). */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/**
 * Samples the V8 heap and off-heap (ArrayBuffer, WebAssembly) memory every `intervalMs`, to tell
 * which of them a growing RSS comes from.
 */
export function sampleMemory(intervalMs = 200): { stop(): { peakHeapMb: number; peakExternalMb: number } } {
  let peakHeap = 0;
  let peakExternal = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakExternal = Math.max(peakExternal, m.external);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { peakHeapMb: peakHeap / 2 ** 20, peakExternalMb: peakExternal / 2 ** 20 };
    },
  };
}
