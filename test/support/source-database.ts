// A plain PostgreSQL database standing in for a customer's warehouse (the SQL connector's source),
// on the test server, dropped by close(). A role that owns nothing and a password, so tests can
// also present wrong credentials.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { testDatabaseUrl } from "./databases.ts";

export interface SourceDatabase {
  /** The connection string the connector is given. */
  url: string;
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  close(): Promise<void>;
}

export async function createSourceDatabase(setup: string): Promise<SourceDatabase> {
  const name = `css_bot_src_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: testDatabaseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(testDatabaseUrl);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  await client.query(setup);
  return {
    url: url.toString(),
    query: (text, values) => client.query(text, values),
    close: async () => {
      await client.end();
      const a = new pg.Client({ connectionString: testDatabaseUrl });
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}
