// What repositories take: the client, or the client inside a transaction; and, for bulk writes and
// hot reads, the driver itself.
import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";

export type Db = PrismaClient | Prisma.TransactionClient;

/** A date column's value as the SQL parameter `YYYY-MM-DD` (cast with ::date), free of time zones. */
export type SqlDate = string;

/** Runs one statement in a `SqlClient` transaction; returns the number of rows it affected. */
export type SqlExecute = (text: string, params: readonly unknown[]) => Promise<number>;

/** One statement's rows (a read's, or a write's RETURNING), as the driver parses them (see SqlClient.query). */
export type SqlRead = <T extends object>(text: string, params: readonly unknown[]) => Promise<T[]>;

/**
 * Statements sent through the database driver itself (`pg`, or PGlite), on the connection pool
 * Prisma uses. For the hot paths only, where Prisma's raw queries cost more than the statement: they
 * serialize every parameter to JSON and parse it back (a quarter of a recompute worker's CPU for a
 * shard's multi-megabyte writes), and turn every result row into Prisma's own format and back
 * (a `/css` lookup's search statement cost 0.66 ms of Node CPU through Prisma, 0.32 ms through the
 * driver; the card, with its processing, 0.82 and 0.64 ms).
 */
export interface SqlClient {
  /**
   * One read statement on a pooled connection, outside any transaction. Rows come as the driver
   * parses them: int4 and float8 as numbers, text as strings, booleans, json as values; cast int8,
   * numeric and dates to one of those in SQL (the drivers differ on them). SQL that starts with
   * `PREPARED` (db/client.ts) is prepared once per connection.
   */
  query: SqlRead;
  /**
   * Statements in one transaction on one connection, run by `execute` (rows affected) or `read`
   * (rows, as `query` returns them); rolled back when `work` throws.
   */
  transaction<T>(work: (execute: SqlExecute, read: SqlRead) => Promise<T>): Promise<T>;
}

/** Both ways to the database, as a process opens them (see db/client.ts). */
export interface Clients {
  prisma: PrismaClient;
  sql: SqlClient;
}

/**
 * A SqlRead on Prisma's raw queries, for a caller that holds only the Prisma client. Rows match the
 * driver's when the SQL casts as SqlClient.query asks (int8, numeric and dates to int, float8 or text).
 */
export const prismaRead =
  (prisma: PrismaClient): SqlRead =>
  <T extends object>(text: string, params: readonly unknown[]) =>
    prisma.$queryRawUnsafe<T[]>(text, ...params);
