// The Slack install (docs/slack.md), on the embedded database, as a user runs it: `css-bot start` in one
// shell, commands in another while it runs. Real processes; the data must be one and the same.
import { spawn, type ChildProcess } from "node:child_process";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrateDatabase, openDatabase } from "../../src/db/client.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { FIXTURES, tempDir } from "../support/files.ts";
import { deleteKeys, testRedisUrl, uniquePrefix, waitFor } from "../support/queues.ts";

const BIN = new URL("../../bin/css-bot.js", import.meta.url).pathname;

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  port: number;
}

describe("the embedded database shared by css-bot start and the commands", () => {
  let dataDir: string;
  let prefix: string;
  const running: Started[] = [];

  beforeEach(() => {
    dataDir = tempDir();
    prefix = uniquePrefix();
  });
  afterEach(async () => {
    for (const p of running.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
      await p.exited;
    }
    await deleteKeys(prefix);
  });

  // No DATABASE_URL: the embedded database under dataDir.
  const env = () => ({
    PATH: process.env.PATH ?? "",
    CSS_DATA_DIR: dataDir,
    REDIS_URL: testRedisUrl,
    CSS_QUEUE_PREFIX: prefix,
    PORT: "0",
  });

  function spawnBot(args: string[]) {
    let output = "";
    const child = spawn(process.execPath, [BIN, ...args], { env: env(), stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    return { child, output: () => output, exited };
  }

  async function start(launched = spawnBot(["start"])): Promise<Started> {
    const p = launched;
    const started = { ...p, port: 0 };
    running.push(started);
    await waitFor(
      () => Promise.resolve(p.output().includes('"worker started"') ? true : undefined),
      120_000,
      `css-bot start (output: ${p.output()})`,
    );
    started.port = Number(/"web process listening","port":(\d+)/.exec(p.output())![1]);
    return started;
  }

  async function cli(...args: string[]): Promise<{ code: number | null; out: string }> {
    const p = spawnBot(args);
    const code = await p.exited;
    return { code, out: p.output() };
  }
  async function ok(...args: string[]): Promise<string> {
    const { code, out } = await cli(...args);
    expect(code, `css-bot ${args.join(" ")}: ${out}`).toBe(0);
    return out;
  }
  const channels = async () => {
    const s = JSON.parse(await ok("settings", "show", "--json")) as Record<string, unknown>;
    return [s.alert_channel, s.digest_channel];
  };

  it("serves every command while it runs, and keeps what they wrote", async () => {
    const bot = await start();
    // The key creates the workspace the other commands act on.
    const key = await ok("apikey", "create", "--name", "probe", "--json");
    // The install's step, and more, in other shells at once.
    const [set, shown, runs, imported, recomputed] = await Promise.all([
      ok("settings", "set", "--alert-channel", "C123", "--digest-channel", "C456"),
      ok("settings", "show", "--json"),
      ok("runs"),
      ok("import", "accounts", `${FIXTURES}accounts.csv`),
      ok("recompute", "--as-of", "2026-06-29", "--json"),
    ]);
    expect(JSON.parse(shown)).toHaveProperty("alert_channel");
    expect(JSON.parse(recomputed)).toHaveProperty("accounts");
    expect(set).toContain("alert_channel   C123");
    // Before, during or after the recompute's run, read whole (it crashed with "Aborted()" when both opened
    // the files): the table or its empty line, never an error.
    expect(runs).toMatch(/no runs yet|running|succeeded/);
    expect(imported).toMatch(/3 accounts/);
    expect(await channels()).toEqual(["C123", "C456"]);

    // The running process itself sees what the commands wrote: the key one created authenticates an
    // ingest request it serves, which writes an account a command then scores.
    const { key: apiKey } = JSON.parse(key) as { key: string };
    const response = await fetch(`http://127.0.0.1:${bot.port}/api/v1/accounts`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ records: [{ account_id: "A9", name: "Delta" }] }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ accepted: 1, created: 1 });
    const recompute = JSON.parse(await ok("recompute", "--as-of", "2026-06-30", "--json")) as {
      accounts: number;
    };
    // A1, A2 and A9 (A3 churned).
    expect(recompute.accounts).toBe(3);
    expect(await (await fetch(`http://127.0.0.1:${bot.port}/readyz`)).json()).toMatchObject({ ok: true });

    bot.child.kill("SIGTERM");
    expect(await bot.exited).toBe(0);
    // Opened directly now that nothing runs: nothing was lost.
    expect(await channels()).toEqual(["C123", "C456"]);
    expect(await ok("runs")).toMatch(/succeeded/);
  }, 600_000);

  it("refuses a second start on the same data directory, naming it and the owner", async () => {
    const bot = await start();
    await ok("settings", "set", "--alert-channel", "C777");
    const second = await cli("start");
    expect(second.code).toBe(1);
    expect(second.out).toContain(`the embedded database in ${dataDir} is in use by css-bot start`);
    expect(second.out).toContain(`pid ${bot.child.pid}`);
    // The first one still serves, and its data is whole.
    expect((await channels())[0]).toBe("C777");
    expect(await (await fetch(`http://127.0.0.1:${bot.port}/readyz`)).json()).toMatchObject({ ok: true });
  }, 300_000);

  it("recovers after the owner is killed with SIGKILL", async () => {
    const bot = await start();
    await ok("settings", "set", "--alert-channel", "C999");
    bot.child.kill("SIGKILL");
    await bot.exited;
    // The dead owner's record is taken over: the command opens the database itself.
    expect((await channels())[0]).toBe("C999");
    const again = await start();
    expect((await channels())[0]).toBe("C999");
    again.child.kill("SIGTERM");
    expect(await again.exited).toBe(0);
  }, 300_000);

  it("makes a start wait while a command has the database open, then start", async () => {
    // A command (this test's process) opens the database: no start runs, so it owns the files.
    const command = await openDatabase({ dataDir });
    await migrateDatabase(command);
    await ensureWorkspace(command.prisma, "local");
    const launched = spawnBot(["start"]);
    await waitFor(
      () => Promise.resolve(launched.output().includes("waiting for another process") ? true : undefined),
      120_000,
      `start waiting (output: ${launched.output()})`,
    );
    expect(launched.output()).not.toContain('"worker started"');
    expect(launched.output()).toContain(`"pid":${process.pid}`);
    // Meanwhile other commands go through the command's process.
    await ok("settings", "set", "--alert-channel", "C555");
    await command.close();
    const bot = await start(launched);
    expect((await channels())[0]).toBe("C555");
    bot.child.kill("SIGTERM");
    expect(await bot.exited).toBe(0);
  }, 300_000);
});
