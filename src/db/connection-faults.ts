// Whether an error means the database (or Redis) could not be reached, rather than that the work
// itself is wrong: such a fault is an outage to wait out, not a reason to use up a job's attempts.
// Errors come as the drivers throw them: pg's (a SQLSTATE, a socket error, or one of its messages),
// Prisma 7's wrapping of them through @prisma/adapter-pg (`meta.driverAdapterError.cause`: a `kind`,
// and for PostgreSQL's own errors their `code`), and ioredis's.
import { KnownError } from "../errors.ts";

/** Socket errors of a connection that could not be made or was cut. */
const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);

/** What @prisma/adapter-pg makes of a socket error (its `kind`). */
const ADAPTER_KINDS: Record<string, string> = {
  DatabaseNotReachable: "the database server cannot be reached",
  ConnectionClosed: "the database server closed the connection",
  SocketTimeout: "the connection to the database timed out",
  TooManyConnections: "the database server has no connection left",
};

/** pg's and ioredis's messages for a connection lost or never made (they carry no code). */
const LOST_CONNECTION =
  /^(Connection terminated( unexpectedly| due to connection timeout)?|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable|Connection is closed\.?)$/;

/**
 * PostgreSQL's SQLSTATEs for a server that cannot serve now: connection exceptions (class 08),
 * shutdowns and a server not yet accepting connections (57P01-57P03), too many connections (53300),
 * and a database closed to connections (55000 with that message: ALLOW_CONNECTIONS false).
 */
function isUnavailableState(code: string, message: string): boolean {
  return (
    /^08[0-9A-Z]{3}$/.test(code) ||
    code === "57P01" ||
    code === "57P02" ||
    code === "57P03" ||
    code === "53300" ||
    (code === "55000" && /not currently accepting connections/.test(message))
  );
}

interface Faulty {
  code?: unknown;
  message?: unknown;
  syscall?: unknown;
  meta?: { driverAdapterError?: { cause?: Record<string, unknown> } };
  cause?: unknown;
  errors?: unknown;
}

/**
 * A description of the outage when `error` (or what it wraps) says the database or Redis is
 * unreachable: "the database is unavailable (57P01: terminating connection ...)"; null otherwise.
 * The project's own errors (KnownError: a source that is down, a refused credential) are classified
 * where they are made and are never taken for an outage of ours.
 */
export function connectionFault(error: unknown, depth = 0): string | null {
  if (depth > 5 || error === null || typeof error !== "object" || error instanceof KnownError) return null;
  const e = error as Faulty;
  const code = typeof e.code === "string" ? e.code : "";
  const message = typeof e.message === "string" ? e.message : "";
  const adapter = e.meta?.driverAdapterError?.cause;
  if (adapter) {
    const kind = String(adapter.kind);
    if (kind in ADAPTER_KINDS) return ADAPTER_KINDS[kind]!;
    if (kind === "postgres" && typeof adapter.code === "string") {
      const original = typeof adapter.message === "string" ? adapter.message : "";
      if (isUnavailableState(adapter.code, original))
        return `the database is unavailable (${adapter.code}: ${original})`;
    }
    return null;
  }
  if (/^[0-9A-Z]{5}$/.test(code) && isUnavailableState(code, message))
    return `the database is unavailable (${code}: ${message})`;
  if (SOCKET_CODES.has(code)) return `a connection failed (${message || code})`;
  if (LOST_CONNECTION.test(message)) return `a connection was lost (${message})`;
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors as unknown[]) {
      const fault = connectionFault(inner, depth + 1);
      if (fault) return fault;
    }
  }
  return e.cause === undefined ? null : connectionFault(e.cause, depth + 1);
}
