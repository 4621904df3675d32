// The migration that keeps a play's capped accounts of a day in one row (fire-plays.ts): the rows an
// earlier version wrote, one per capped account, are folded into one per workspace, play and day, in
// the order they were capped, each account's trigger kept; the other fires are left as they were.
import { afterEach, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/client.ts";
import { BACKENDS, createDatabaseBefore, type TestDatabase } from "../support/databases.ts";

const MIGRATION = "20261207164000_capped_fires_in_one_row";

let db: TestDatabase | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
});

interface Fire {
  workspace: number;
  play: string;
  account: number | null;
  day: string;
  status: string;
  subject?: string;
  points?: number;
}

/** In SQL, not Prisma Client: the schema is the one before the migration. */
async function seed(d: Database, fires: Fire[]): Promise<{ workspaces: number[]; accounts: number[] }> {
  return d.sql.transaction(async (_execute, read) => {
    const workspaces: number[] = [];
    const accounts: number[] = [];
    for (const slug of ["one", "two"]) {
      const [ws] = await read<{ id: number }>(
        `INSERT INTO workspaces (slug, name) VALUES ($1, $1) RETURNING id`,
        [slug],
      );
      workspaces.push(ws!.id);
    }
    for (const [i, mrr] of [100, 5000, 900, 20000].entries()) {
      const [a] = await read<{ id: number }>(
        `INSERT INTO accounts (workspace_id, external_id, name, mrr, updated_at)
         VALUES ($1, $2, $2, $3, now()) RETURNING id`,
        [workspaces[0], `a${i}`, mrr],
      );
      accounts.push(a!.id);
    }
    const [stranger] = await read<{ id: number }>(
      `INSERT INTO accounts (workspace_id, external_id, name, updated_at) VALUES ($1, 's', 's', now()) RETURNING id`,
      [workspaces[1]],
    );
    accounts.push(stranger!.id);
    for (const f of fires) {
      const account = f.account === null ? null : accounts[f.account]!;
      await read(
        `INSERT INTO play_fires (workspace_id, play_key, subject, account_id, local_date, trigger, status)
         VALUES ($1, $2, $3, $4, $5::date, $6::jsonb, $7)`,
        [
          workspaces[f.workspace],
          f.play,
          f.subject ?? `account:${account}`,
          account,
          f.day,
          JSON.stringify({ kind: "score_drop", summary: `fell ${f.points ?? 0}`, points: f.points ?? 0 }),
          f.status,
        ],
      );
    }
    return { workspaces, accounts };
  });
}

describe.each(BACKENDS)("folding capped fires into one row per play and day on %s", (backend) => {
  it("keeps each (workspace, play, day)'s capped accounts in the order capped, with their triggers", async () => {
    const older = await createDatabaseBefore(backend, MIGRATION);
    const d = (db = older.db);
    const day = "2026-11-25";
    const { workspaces, accounts } = await seed(d, [
      // Workspace one, drop on the day: account 3 fired, 1 and 2 capped by a first run, 0 by a later one.
      { workspace: 0, play: "drop", account: 3, day, status: "delivered", points: 11 },
      { workspace: 0, play: "drop", account: 1, day, status: "capped", points: 18 },
      { workspace: 0, play: "drop", account: 2, day, status: "capped", points: 12 },
      { workspace: 0, play: "drop", account: 0, day, status: "capped", points: 6 },
      { workspace: 0, play: "drop", account: null, day, status: "delivered", subject: "summary" },
      // The day before, and another play: rows of their own.
      { workspace: 0, play: "drop", account: 2, day: "2026-11-24", status: "capped", points: 15 },
      { workspace: 0, play: "other", account: 1, day, status: "capped", points: 30 },
      // Another workspace's, the same play and day.
      { workspace: 1, play: "drop", account: 4, day, status: "capped", points: 40 },
    ]);
    expect(await older.apply()).toContain(MIGRATION);

    const rows = await d.sql.query<{
      workspace_id: number;
      play_key: string;
      subject: string;
      account_id: number | null;
      day: string;
      status: string;
      trigger: { kind: string; accounts?: number[]; triggers?: Record<string, { points: number }> };
    }>(
      `SELECT workspace_id, play_key, subject, account_id, to_char(local_date, 'YYYY-MM-DD') AS day, status, trigger
       FROM play_fires ORDER BY workspace_id, play_key, local_date, subject`,
      [],
    );
    const [one, two] = workspaces;
    const [a0, a1, a2, a3, stranger] = accounts;
    const capped = (accountIds: number[], points: number[]) => ({
      kind: "capped",
      accounts: accountIds,
      triggers: Object.fromEntries(
        accountIds.map((id, i) => [String(id), expect.objectContaining({ points: points[i] })]),
      ),
    });
    expect(rows.map((r) => [r.workspace_id, r.play_key, r.subject, r.account_id, r.day, r.status])).toEqual([
      [one, "drop", "capped", null, "2026-11-24", "capped"],
      [one, "drop", `account:${a3}`, a3, day, "delivered"],
      [one, "drop", "capped", null, day, "capped"],
      [one, "drop", "summary", null, day, "delivered"],
      [one, "other", "capped", null, day, "capped"],
      [two, "drop", "capped", null, day, "capped"],
    ]);
    expect(rows.filter((r) => r.subject === "capped").map((r) => r.trigger)).toEqual([
      capped([a2!], [15]),
      capped([a1!, a2!, a0!], [18, 12, 6]),
      capped([a1!], [30]),
      capped([stranger!], [40]),
    ]);
  });
});
