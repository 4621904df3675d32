// What repositories take: the client, or the client inside a transaction.
import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";

export type Db = PrismaClient | Prisma.TransactionClient;

/** A date column's value as the SQL parameter `YYYY-MM-DD` (cast with ::date), free of time zones. */
export type SqlDate = string;
