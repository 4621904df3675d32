// Where a run's CPU went, from /proc (Linux): the machine's busy time and a process's own time.
// The difference between the two is mostly PostgreSQL when the benchmark is alone on the machine.
import { readFile } from "node:fs/promises";

/** Clock ticks per second of /proc's counters (USER_HZ, 100 on every mainstream Linux). */
const TICKS = 100;

export interface MachineCpu {
  /** CPU seconds spent busy (not idle, not waiting for I/O), summed over the cores. */
  busy: number;
  iowait: number;
  idle: number;
}

/** The machine's CPU counters since boot; null where /proc/stat is missing. */
export async function machineCpu(): Promise<MachineCpu | null> {
  try {
    const line = (await readFile("/proc/stat", "utf8")).split("\n")[0] ?? "";
    // cpu  user nice system idle iowait irq softirq steal ... (steal: time the hypervisor took)
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0] = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const busy = user + nice + system + irq + softirq;
    return { busy: busy / TICKS, iowait: iowait / TICKS, idle: idle / TICKS };
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a process has used so far; NaN when it cannot be read. */
export async function processCpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces, so split after its closing paren).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return Number.NaN;
  }
}

export function cpuBetween(before: MachineCpu | null, after: MachineCpu | null): MachineCpu | null {
  if (!before || !after) return null;
  return {
    busy: after.busy - before.busy,
    iowait: after.iowait - before.iowait,
    idle: after.idle - before.idle,
  };
}
