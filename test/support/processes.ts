// Real css-bot processes for tests: spawned with an environment of the test's own (never the
// machine's), their output kept, their log lines readable as JSON, and a free port when one is needed.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { waitFor } from "./queues.ts";

export const BIN = new URL("../../bin/css-bot.js", import.meta.url).pathname;
export const REPO = new URL("../../", import.meta.url).pathname;

export interface CssBotProcess {
  child: ChildProcess;
  output(): string;
  /** The JSON log lines so far. */
  lines(): { level: string; msg: string; [field: string]: unknown }[];
  exited: Promise<number | null>;
  /** Waits for a log line whose message contains `text`, and returns it. */
  waitForLine(text: string, timeoutMs?: number): Promise<{ msg: string; [field: string]: unknown }>;
  /** SIGKILL when still running (afterEach). */
  dispose(): Promise<void>;
}

/** `node bin/css-bot.js <args>`, or another command line (`npx css-bot ...`) with `command`. */
export function spawnCssBot(
  args: string[],
  env: Record<string, string>,
  o: { command?: string[]; cwd?: string } = {},
): CssBotProcess {
  const [file, ...before] = o.command ?? [process.execPath, BIN];
  const child = spawn(file!, [...before, ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    cwd: o.cwd ?? REPO,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const lines = () =>
    output
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { level: string; msg: string });
  return {
    child,
    output: () => output,
    lines,
    exited,
    waitForLine: (text, timeoutMs = 60_000) =>
      waitFor(
        () => {
          if (child.exitCode !== null) throw new Error(`css-bot exited ${child.exitCode}: ${output}`);
          return Promise.resolve(lines().find((l) => l.msg.includes(text)));
        },
        timeoutMs,
        `"${text}" (output: ${output})`,
      ),
    dispose: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** `css-bot start`, once its web process listens and its worker has started; killed if it fails. */
export async function startCssBot(
  env: Record<string, string>,
  timeoutMs = 90_000,
): Promise<{ bot: CssBotProcess; url: string }> {
  const bot = spawnCssBot(["start"], env);
  try {
    const { port } = await bot.waitForLine("web process listening", timeoutMs);
    await bot.waitForLine("worker started", timeoutMs);
    return { bot, url: `http://127.0.0.1:${String(port)}` };
  } catch (error) {
    await bot.dispose();
    throw error;
  }
}

/** A port nothing listens on now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** GET a probe as { status, body }. */
export async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
