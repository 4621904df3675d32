// Which process has the embedded database open. PGlite's files may be open in one process only (two
// overwrite each other's pages), so the process that opens them records itself, as the owner, in
// <CSS_DATA_DIR>/pglite-owner/<n>.json; every other process reaches the database through the owner's
// server (db/embedded-server.ts), at the port the record gives.
//
// Why this is safe without a lock the kernel would release:
// - A record is created complete (written aside, then hard-linked under its number; link() fails when
//   the name exists), so two processes never claim the same number and no one reads half a record.
// - The owner is the process of the highest number, while it lives. A process claims the next number
//   only after seeing the highest one's process gone (or its record closed), and keeps it only if no
//   higher number exists once it has claimed it.
// - The highest record is never deleted (older ones are, by the next owner), so numbers only grow:
//   a process that read a dead owner long ago cannot claim past a live one; its claim is not the
//   highest, and it backs off.
// - A process is gone when its pid is not running or, where /proc tells (Linux), when the pid's
//   process started at another time than the one recorded (the pid was reused). The owner's own
//   process knows its open records by a token in memory.
import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, readdir, rename, unlink, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";

/** "server": `css-bot start` or `worker`, which serve for as long as they run; "command": one command. */
export type OwnerRole = "server" | "command";

export interface OwnerRecord {
  pid: number;
  /** The process's start time in clock ticks since boot (/proc/<pid>/stat), null where unknown. */
  processStart: string | null;
  host: string;
  role: OwnerRole;
  /** What the owner is, for messages ("css-bot start"). */
  label: string;
  startedAt: string;
  /** Where the owner serves the database; null until it does (it migrates first). */
  port: number | null;
  closed: boolean;
  /** Tells this open of the database from others of the same process; the server's password. */
  token: string;
}

export interface Ownership {
  record: OwnerRecord;
  file: string;
  /** Records the port the database is served on. */
  publish(port: number): Promise<void>;
  /** Marks the record closed: the next process to open the database becomes its owner. */
  release(): Promise<void>;
}

export type Claim = { ownership: Ownership } | { owner: OwnerRecord; file: string };

/** The records this process holds open (a process may open the same data directory twice). */
const openTokens = new Set<string>();

export function ownerDir(dataDir: string): string {
  return path.join(dataDir, "pglite-owner");
}

/** Becomes the owner, or returns the live owner's record. */
export async function claimOwnership(dir: string, me: { role: OwnerRole; label: string }): Promise<Claim> {
  // Readable by the data directory's user only: the records hold the server's password.
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const record: OwnerRecord = {
    pid: process.pid,
    processStart: processStart(process.pid),
    host: hostname(),
    role: me.role,
    label: me.label,
    startedAt: new Date().toISOString(),
    port: null,
    closed: false,
    token: randomBytes(12).toString("hex"),
  };
  for (;;) {
    const top = highest(await recordNumbers(dir));
    if (top > 0) {
      const current = await readRecord(fileOf(dir, top));
      if (current && isAlive(current)) return { owner: current, file: fileOf(dir, top) };
    }
    const mine = top + 1;
    const file = fileOf(dir, mine);
    if (!(await createRecord(file, record))) continue;
    const numbers = await recordNumbers(dir);
    if (highest(numbers) > mine) {
      // Someone claimed past us meanwhile (we had read an old directory): theirs stands.
      await writeRecord(file, { ...record, closed: true });
      continue;
    }
    openTokens.add(record.token);
    // Older records are closed or dead by construction; keep the directory small.
    await Promise.all(
      numbers.filter((n) => n < mine).map((n) => unlink(fileOf(dir, n)).catch(() => undefined)),
    );
    return { ownership: ownership(file, record) };
  }
}

/** The live owner's record, if any (for messages and tests). */
export async function readOwner(dir: string): Promise<OwnerRecord | undefined> {
  const top = highest(await recordNumbers(dir));
  const current = top > 0 ? await readRecord(fileOf(dir, top)) : undefined;
  return current && isAlive(current) ? current : undefined;
}

function ownership(file: string, record: OwnerRecord): Ownership {
  let current = record;
  return {
    get record() {
      return current;
    },
    file,
    async publish(port) {
      current = { ...current, port };
      await writeRecord(file, current);
    },
    async release() {
      openTokens.delete(record.token);
      current = { ...current, closed: true, port: null };
      await writeRecord(file, current);
    },
  };
}

function isAlive(record: OwnerRecord): boolean {
  if (record.closed) return false;
  if (record.pid === process.pid) return openTokens.has(record.token);
  try {
    process.kill(record.pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const started = processStart(record.pid);
  return record.processStart === null || started === null || started === record.processStart;
}

/** Field 22 of /proc/<pid>/stat, after the command name (which may hold spaces and parentheses). */
function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

const RECORD = /^(\d+)\.json$/;

async function recordNumbers(dir: string): Promise<number[]> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    throw error;
  });
  return names.flatMap((name) => {
    const match = RECORD.exec(name);
    return match ? [Number(match[1])] : [];
  });
}

const highest = (numbers: number[]) => numbers.reduce((a, b) => Math.max(a, b), 0);

function fileOf(dir: string, n: number): string {
  return path.join(dir, `${String(n).padStart(10, "0")}.json`);
}

async function readRecord(file: string): Promise<OwnerRecord | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    // Deleted by hand, or an old record removed meanwhile: look again.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as OwnerRecord;
  } catch {
    throw new Error(`${file} is not an owner record; delete it if no css-bot process is running`);
  }
}

/** Writes the record aside, then links it under its name; false when the name was taken. */
async function createRecord(file: string, record: OwnerRecord): Promise<boolean> {
  const aside = await writeAside(file, record);
  try {
    await link(aside, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await unlink(aside).catch(() => undefined);
  }
}

/** Replaces one's own record whole (rename is atomic), so readers see the old or the new one. */
async function writeRecord(file: string, record: OwnerRecord): Promise<void> {
  await rename(await writeAside(file, record), file);
}

async function writeAside(file: string, record: OwnerRecord): Promise<string> {
  const aside = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(aside, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  return aside;
}
