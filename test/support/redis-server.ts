// A private redis-server on a free port, for tests that need Redis configured in a way the shared
// one must not be (an eviction policy, no persistence), or that stop it. Never the shared Redis.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { freePort } from "./processes.ts";

export interface PrivateRedis {
  url: string;
  port: number;
  /** Its working directory (its persistence files), removed by stop(). */
  dir: string;
  stop(): Promise<void>;
  /** Stops it as a shutdown does (SIGTERM: its data saved first) and keeps its directory, to start one again on it. */
  shutdown(): Promise<void>;
}

export { freePort };

/**
 * Starts redis-server with `args` (e.g. ["--appendonly", "yes"]) in a temporary directory (or in
 * `dir`, a killed one's, to start again on its data), once it answers; on `port` when given (to
 * start one again where a stopped one was), else a free one.
 */
export async function startRedisServer(
  args: string[],
  options: { port?: number; dir?: string } = {},
): Promise<PrivateRedis> {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), "css-redis-"));
  const server = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, ...args],
    {
      stdio: "ignore",
    },
  );
  const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
  const halt = async (signal: NodeJS.Signals) => {
    if (server.exitCode === null && server.signalCode === null) server.kill(signal);
    await exited;
  };
  const stop = async () => {
    await halt("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on("error", () => undefined);
    // The server answering must be this one: on a port given back, another process (a test's own
    // redis-server, started on a port freePort() handed out while this one was down) may hold it.
    const answering = await probe.connect().then(
      () => probe.info("server").then((info) => Number(/^process_id:(\d+)/m.exec(info)?.[1])),
      () => undefined,
    );
    probe.disconnect();
    if (answering === server.pid) return { url, port, dir, stop, shutdown: () => halt("SIGTERM") };
    if (server.exitCode !== null || server.signalCode !== null || answering !== undefined) {
      await stop();
      throw new Error(
        `redis-server ${args.join(" ")} did not start on port ${port}` +
          (answering === undefined ? ": it exited" : `: another process (pid ${answering}) answers there`),
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error(`redis-server ${args.join(" ")} did not start on port ${port}`);
}
