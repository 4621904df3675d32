// Which errors are outages to wait out: the shapes pg, Prisma 7 (through @prisma/adapter-pg) and
// ioredis throw when the database or Redis cannot be reached, seen in a real outage
// (test/jobs/database-outage.int.test.ts), against the errors that are the work's own.
import pg from "pg";
import { describe, expect, it } from "vitest";
import { SourceUnavailableError } from "../connectors/contract.ts";
import { Prisma } from "../generated/prisma/client.ts";
import { connectionFault } from "./connection-faults.ts";

function pgError(code: string, message: string): Error {
  const error = new pg.DatabaseError(message, message.length, "error");
  error.code = code;
  error.severity = "FATAL";
  return error;
}

/** What Prisma throws for a driver error: a known request error carrying the adapter's cause. */
function prismaError(cause: Record<string, unknown>, code = "P2010"): Error {
  return new Prisma.PrismaClientKnownRequestError("Invalid `prisma.workspace.findFirst()` invocation", {
    code,
    clientVersion: "7",
    meta: { driverAdapterError: { name: "DriverAdapterError", cause } },
  });
}

function socketError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, errno: -111, syscall: "connect" });
}

describe("connectionFault", () => {
  it.each([
    [
      "a closed database (ALLOW_CONNECTIONS false)",
      pgError("55000", 'database "x" is not currently accepting connections'),
    ],
    ["a terminated backend", pgError("57P01", "terminating connection due to administrator command")],
    [
      "a crash shutdown",
      pgError("57P02", "terminating connection because of crash of another server process"),
    ],
    ["a server starting up", pgError("57P03", "the database system is starting up")],
    ["a connection exception", pgError("08006", "connection failure")],
    ["too many connections", pgError("53300", "sorry, too many clients already")],
    ["a refused connection", socketError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5432")],
    ["a reset connection", socketError("ECONNRESET", "read ECONNRESET")],
    ["pg's lost connection", new Error("Connection terminated unexpectedly")],
    ["pg's pool connect timeout", new Error("timeout exceeded when trying to connect")],
    ["ioredis's closed connection", new Error("Connection is closed.")],
    [
      "a refused connection behind a wrapper",
      new Error("shard failed", { cause: socketError("ECONNREFUSED", "connect ECONNREFUSED ::1:5432") }),
    ],
    [
      "Prisma: a closed database",
      prismaError(
        { kind: "postgres", code: "55000", message: 'database "x" is not currently accepting connections' },
        "P2039",
      ),
    ],
    [
      "Prisma: a terminated backend",
      prismaError({
        kind: "postgres",
        code: "57P01",
        message: "terminating connection due to administrator command",
      }),
    ],
    [
      "Prisma: server not reachable",
      prismaError({ kind: "DatabaseNotReachable", host: "127.0.0.1", port: 5432 }, "P1001"),
    ],
    ["Prisma: connection closed", prismaError({ kind: "ConnectionClosed" }, "P1017")],
  ])("%s is an outage", (_what, error) => {
    expect(connectionFault(error)).not.toBeNull();
  });

  it("names the outage", () => {
    expect(connectionFault(pgError("55000", 'database "x" is not currently accepting connections'))).toBe(
      'the database is unavailable (55000: database "x" is not currently accepting connections)',
    );
    expect(connectionFault(prismaError({ kind: "DatabaseNotReachable" }, "P1001"))).toBe(
      "the database server cannot be reached",
    );
  });

  it.each([
    ["a value out of range", pgError("22003", "value out of range: overflow")],
    ["another object-state error", pgError("55000", "cannot ALTER TYPE while it is in use")],
    ["a dropped database", pgError("57P04", "database dropped")],
    ["a unique violation through Prisma", prismaError({ kind: "UniqueConstraintViolation" }, "P2002")],
    [
      "Prisma: a data error",
      prismaError({ kind: "postgres", code: "22P05", message: "unsupported Unicode escape" }),
    ],
    ["a plain bug", new TypeError("Cannot read properties of undefined")],
    [
      "a source that is down (classified where it is made)",
      new SourceUnavailableError("the warehouse is unreachable: Connection terminated unexpectedly", {
        cause: socketError("ECONNREFUSED", "connect ECONNREFUSED"),
      }),
    ],
    ["not an error", "ECONNREFUSED"],
  ])("%s is not", (_what, error) => {
    expect(connectionFault(error)).toBeNull();
  });
});
