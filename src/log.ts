// Structured log lines (JSON, one per line) for the long-running processes. Callers pass facts,
// never secrets: tokens and connection strings are masked before they get here.
export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(out: { write(line: string): void }, minLevel: LogLevel = "info"): Logger {
  const emit =
    (level: LogLevel) =>
    (msg: string, fields: Record<string, unknown> = {}) => {
      if (ORDER[level] < ORDER[minLevel]) return;
      out.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }, bigintSafe)}\n`);
    };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}

function bigintSafe(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
