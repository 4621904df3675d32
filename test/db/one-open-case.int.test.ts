// One open case per account, held by the database itself (the unique index
// follow_ups_one_open_case), not only by the advisory locks the services take: a second open case is
// refused, two openers at the same moment without any lock open one case and fail neither, and the
// migration that adds the index first closes the duplicates an older version could have left.
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/db/client.ts";
import { insertMissingCases } from "../../src/db/repositories/cases.ts";
import {
  BACKENDS,
  createDatabaseBefore,
  createTestDatabase,
  type TestDatabase,
} from "../support/databases.ts";

const MIGRATION = "20261207054143_one_open_case_per_account";

let db: TestDatabase | undefined;
const others: Database[] = [];
afterEach(async () => {
  await Promise.all(others.splice(0).map((o) => o.close()));
  await db?.close();
  db = undefined;
});

/**
 * A workspace with one active account in the risk band. In SQL, not Prisma Client: the migration test
 * runs it on a schema older than the client's (later migrations add columns the client would name).
 */
async function atRiskAccount(d: Database): Promise<{ workspaceId: number; accountId: number }> {
  return d.sql.transaction(async (_execute, read) => {
    const [ws] = await read<{ id: number }>(
      `INSERT INTO workspaces (slug, name) VALUES ('acme', 'Acme') RETURNING id`,
      [],
    );
    const [account] = await read<{ id: number }>(
      `INSERT INTO accounts (workspace_id, external_id, name, current_band, current_score, updated_at)
       VALUES ($1, 'a1', 'A1', 'at_risk', 40, now()) RETURNING id`,
      [ws!.id],
    );
    return { workspaceId: ws!.id, accountId: account!.id };
  });
}

const insertCase = (d: Database, workspaceId: number, accountId: number, status: string) =>
  d.sql.transaction((execute) =>
    execute(
      `INSERT INTO follow_ups (workspace_id, account_id, status) VALUES ($1, $2, $3::"FollowUpStatus")`,
      [workspaceId, accountId, status],
    ),
  );

const casesOf = (d: Database, accountId: number) =>
  d.sql.query<{ status: string }>(
    `SELECT status::text AS status FROM follow_ups WHERE account_id = $1 ORDER BY id`,
    [accountId],
  );

describe.each(BACKENDS)("one open case per account on %s", (backend) => {
  it("refuses a second case not resolved (23505), and allows any number of resolved ones", async () => {
    const d = (db = await createTestDatabase(backend));
    const { workspaceId, accountId } = await atRiskAccount(d);
    await insertCase(d, workspaceId, accountId, "open");
    for (const status of ["open", "snoozed"]) {
      const refused = await insertCase(d, workspaceId, accountId, status).catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: "23505" });
      expect(String(refused)).toContain("follow_ups_one_open_case");
    }
    await insertCase(d, workspaceId, accountId, "resolved");
    await insertCase(d, workspaceId, accountId, "resolved");
    expect((await casesOf(d, accountId)).map((c) => c.status)).toEqual(["open", "resolved", "resolved"]);
  });

  it("the migration closes the older of two open cases it finds, and keeps the latest", async () => {
    const older = await createDatabaseBefore(backend, MIGRATION);
    const d = (db = older.db);
    const { workspaceId, accountId } = await atRiskAccount(d);
    await insertCase(d, workspaceId, accountId, "open");
    await insertCase(d, workspaceId, accountId, "snoozed");
    await insertCase(d, workspaceId, accountId, "resolved");
    expect(await older.apply()).toContain(MIGRATION);
    expect((await casesOf(d, accountId)).map((c) => c.status)).toEqual(["resolved", "snoozed", "resolved"]);
  });
});

describe("two openers at the same moment, without the advisory lock (PostgreSQL)", () => {
  it("open one case; the second finds it open and neither fails", async () => {
    const d = (db = await createTestDatabase("postgres"));
    const { workspaceId, accountId } = await atRiskAccount(d);
    // A second client of its own: another pool, other connections, as another process would have.
    const second = await openDatabase({ databaseUrl: d.url!, dataDir: "" });
    others.push(second);
    const open = (tx: Database["prisma"]) => insertMissingCases(tx, workspaceId, ["at_risk"], null, 10);

    // The first opener inserts and holds its transaction open; the second inserts meanwhile (it
    // waits on the first's row, since the index has it); then the first commits.
    let firstInserted!: () => void;
    const inserted = new Promise<void>((resolve) => (firstInserted = resolve));
    let commitFirst!: () => void;
    const release = new Promise<void>((resolve) => (commitFirst = resolve));
    const first = d.prisma.$transaction(
      async (tx) => {
        const n = await open(tx as Database["prisma"]);
        firstInserted();
        await release;
        return n;
      },
      { timeout: 30_000 },
    );
    await inserted;
    let secondDone = false;
    const secondOpener = second.prisma
      .$transaction((tx) => open(tx as Database["prisma"]), { timeout: 30_000 })
      .finally(() => (secondDone = true));
    // Commit the first only once the second has run its statement or is waiting on the first's lock.
    while (!secondDone && !(await waitingOnLock(d))) await new Promise((r) => setTimeout(r, 20));
    commitFirst();

    expect(await Promise.all([first, secondOpener])).toEqual([1, 0]);
    expect((await casesOf(d, accountId)).map((c) => c.status)).toEqual(["open"]);
  });
});

async function waitingOnLock(d: Database): Promise<boolean> {
  const [row] = await d.sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
     WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    [],
  );
  return (row?.n ?? 0) > 0;
}
