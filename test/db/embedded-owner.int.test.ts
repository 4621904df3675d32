// Who owns the embedded database: one process at a time, a dead owner (or a reused pid) taken over,
// and processes racing for a dead owner's place ending with one owner.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { claimOwnership, readOwner, type OwnerRecord } from "../../src/db/embedded-owner.ts";
import { tempDir } from "../support/files.ts";

const me = { role: "command" as const, label: "test" };
const CLAIMER = new URL("../support/claim-owner.ts", import.meta.url).pathname;

function writeRecord(dir: string, n: number, record: Partial<OwnerRecord>): void {
  const full: OwnerRecord = {
    pid: 0,
    processStart: null,
    host: "test",
    role: "server",
    label: "an old css-bot start",
    startedAt: new Date().toISOString(),
    port: 1,
    closed: false,
    token: "t",
    ...record,
  };
  writeFileSync(path.join(dir, `${String(n).padStart(10, "0")}.json`), JSON.stringify(full));
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(child.stdout.toString());
}

describe("the embedded database's owner", () => {
  it("is one process at a time; the next one takes its place once it releases", async () => {
    const dir = tempDir();
    const first = await claimOwnership(dir, me);
    if (!("ownership" in first)) throw new Error("the first claim should own");
    // Another claim (here, from the same process) finds the owner, with its port once published.
    await first.ownership.publish(4321);
    const second = await claimOwnership(dir, me);
    expect(second).toMatchObject({ owner: { pid: process.pid, port: 4321 } });
    expect((await readOwner(dir))?.token).toBe(first.ownership.record.token);

    await first.ownership.release();
    expect(await readOwner(dir)).toBeUndefined();
    const third = await claimOwnership(dir, me);
    if (!("ownership" in third)) throw new Error("the claim after release should own");
    // Numbers only grow; the older record is removed.
    expect(readdirSync(dir).sort()).toEqual(["0000000002.json"]);
    await third.ownership.release();
  });

  it("takes over from an owner that died without releasing (SIGKILL)", async () => {
    const dir = tempDir();
    writeRecord(dir, 7, { pid: deadPid() });
    const claim = await claimOwnership(dir, me);
    expect("ownership" in claim).toBe(true);
    if ("ownership" in claim) {
      expect(path.basename(claim.ownership.file)).toBe("0000000008.json");
      await claim.ownership.release();
    }
  });

  it("takes over from a record whose pid now belongs to another process", async () => {
    const dir = tempDir();
    const other = spawn("sleep", ["30"]);
    try {
      const stat = readFileSync(`/proc/${other.pid}/stat`, "utf8");
      const started = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]!;
      // The same pid and start time: that process is the owner.
      writeRecord(dir, 1, { pid: other.pid!, processStart: started });
      expect(await claimOwnership(dir, me)).toMatchObject({ owner: { pid: other.pid } });
      // The pid, but another start time: the owner died and its pid went to someone else.
      writeRecord(dir, 2, { pid: other.pid!, processStart: String(Number(started) - 1) });
      const claim = await claimOwnership(dir, me);
      expect("ownership" in claim).toBe(true);
      if ("ownership" in claim) await claim.ownership.release();
    } finally {
      other.kill("SIGKILL");
    }
  });

  it("goes to exactly one of many claims racing for a dead owner's place", async () => {
    for (let round = 0; round < 10; round++) {
      const dir = tempDir();
      writeRecord(dir, 3, { pid: deadPid() });
      // In one process the claims interleave at every file operation.
      const claims = await Promise.all(Array.from({ length: 10 }, () => claimOwnership(dir, me)));
      const owners = claims.flatMap((c) => ("ownership" in c ? [c.ownership] : []));
      expect(owners).toHaveLength(1);
      for (const c of claims) if ("owner" in c) expect(c.owner.token).toBe(owners[0]!.record.token);
      await owners[0]!.release();
    }
  });

  it("goes to exactly one of several processes racing for a dead owner's place", async () => {
    const dir = tempDir();
    const records = path.join(dir, "records");
    spawnSync("mkdir", [records]);
    writeRecord(records, 3, { pid: deadPid() });
    const racers = Array.from({ length: 6 }, () => {
      const child = spawn(process.execPath, ["--import", "tsx", CLAIMER, dir], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
      return { out: () => out, exited };
    });
    // Every racer waits for "go", so their claims start together.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    writeFileSync(path.join(dir, "go"), "");
    const deadline = Date.now() + 60_000;
    while (racers.some((r) => !r.out().includes("\n")) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    writeFileSync(path.join(dir, "done"), "");
    await Promise.all(racers.map((r) => r.exited));
    const results = racers.map((r) => JSON.parse(r.out()) as { owned: boolean; pid: number });
    const owners = results.filter((r) => r.owned);
    expect(owners).toHaveLength(1);
    expect(results.every((r) => r.pid === owners[0]!.pid)).toBe(true);
    expect(existsSync(path.join(records, "0000000003.json"))).toBe(false);
  });
});
