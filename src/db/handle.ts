// What repositories take: the client, or the client inside a transaction; and, for bulk writes, the
// driver itself.
import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";

export type Db = PrismaClient | Prisma.TransactionClient;

/** A date column's value as the SQL parameter `YYYY-MM-DD` (cast with ::date), free of time zones. */
export type SqlDate = string;

/** Runs one statement in a `SqlClient` transaction; returns the number of rows it affected. */
export type SqlExecute = (text: string, params: readonly unknown[]) => Promise<number>;

/**
 * Statements sent through the database driver itself (`pg`, or PGlite), on the connection pool
 * Prisma uses, one transaction at a time. For bulk writes only: Prisma's raw queries serialize their
 * parameters to JSON and parse them back, which for a shard's multi-megabyte parameters was a
 * quarter of a recompute worker's CPU.
 */
export interface SqlClient {
  transaction<T>(work: (execute: SqlExecute) => Promise<T>): Promise<T>;
}

/** Both ways to the database, as a process opens them (see db/client.ts). */
export interface Clients {
  prisma: PrismaClient;
  sql: SqlClient;
}
