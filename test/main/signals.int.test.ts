// `npx css-bot start` stopped by its pid: npm passes SIGTERM to its shell only, so css-bot must notice
// its parent has gone and stop as on SIGTERM, leaving no process of the tree and its port free.
import { execFileSync } from "node:child_process";
import { createServer } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { freePort, REPO, spawnCssBot, type CssBotProcess } from "../support/processes.ts";
import { openTestQueues, testRedisUrl, waitFor } from "../support/queues.ts";
import { startRedisServer, type PrivateRedis } from "../support/redis-server.ts";

/** The pids below `root` (its children, theirs...), from `ps`. */
function descendants(root: number): number[] {
  const rows = execFileSync("ps", ["-eo", "pid=,ppid="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  const walk = (pid: number) =>
    rows.filter(([, ppid]) => ppid === pid).forEach(([child]) => (found.push(child), walk(child)));
  walk(root);
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });

describe("npx css-bot start", () => {
  let db: TestDatabase;
  let queues: ReturnType<typeof openTestQueues>;
  let p: CssBotProcess | undefined;
  let tree: number[] = [];

  beforeEach(async () => {
    db = await createTestDatabase("postgres");
    queues = openTestQueues();
  });
  afterEach(async () => {
    for (const pid of tree) if (alive(pid)) process.kill(pid, "SIGKILL");
    await p?.dispose();
    await queues.dispose();
    await db.close();
  });

  it("stops the whole tree on SIGTERM to npx's pid, freeing the port", async () => {
    const port = await freePort();
    p = spawnCssBot(
      ["start"],
      { DATABASE_URL: db.url!, REDIS_URL: testRedisUrl, CSS_QUEUE_PREFIX: queues.prefix, PORT: String(port) },
      { command: ["npx", "--no-install", "css-bot"], cwd: REPO },
    );
    await p.waitForLine("worker started", 90_000);
    tree = [p.child.pid!, ...descendants(p.child.pid!)];
    // npm, its shell and node at least.
    expect(tree.length).toBeGreaterThanOrEqual(3);
    expect(await portFree(port)).toBe(false);

    p.child.kill("SIGTERM");
    await waitFor(
      async () => (tree.every((pid) => !alive(pid)) && (await portFree(port)) ? true : undefined),
      10_000,
      `the tree ${tree.join(",")} gone and port ${port} free`,
    );
    expect(p.output()).toContain("the parent process (npm) has gone");
    expect(p.output()).toContain('"worker stopped"');
  });
});

describe("css-bot worker", () => {
  let db: TestDatabase;
  let redis: PrivateRedis;
  let p: CssBotProcess | undefined;

  beforeEach(async () => {
    db = await createTestDatabase("postgres");
    redis = await startRedisServer([]);
  });
  afterEach(async () => {
    await p?.dispose();
    await redis.stop();
    await db.close();
  });

  it("stops on SIGTERM while Redis is down (BullMQ's own close would wait for it forever)", async () => {
    p = spawnCssBot(["worker"], {
      DATABASE_URL: db.url!,
      REDIS_URL: redis.url,
      CSS_QUEUE_PREFIX: "signals",
      CSS_WORKER_CONCURRENCY: "1",
    });
    await p.waitForLine("worker started", 90_000);
    await redis.stop();
    // The workers notice: their connections reconnecting.
    await p.waitForLine("Redis", 30_000);
    const asked = Date.now();
    p.child.kill("SIGTERM");
    const code = await Promise.race([
      p.exited,
      new Promise<"running">((r) => setTimeout(() => r("running"), 30_000)),
    ]);
    expect(code, p.output()).toBe(0);
    // The jobs in progress (none) and a few seconds for BullMQ, not the 30 s waited here.
    expect(Date.now() - asked).toBeLessThan(20_000);
    expect(p.output()).toContain("the queue workers did not close (Redis unreachable?)");
    expect(p.output()).toContain('"worker stopped"');
  });
});
