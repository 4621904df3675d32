// `css-bot timeline` end to end: the real command in-process on a real PostgreSQL database, the
// account found as `css-bot explain` finds it, the table and the documented JSON.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireWorkspace } from "../../src/db/repositories/workspaces.ts";
import { addNote } from "../../src/services/account-notes.ts";
import { runCli } from "../support/cli.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { FIXTURES, writeTempFile } from "../support/files.ts";

let db: TestDatabase;
let env: Record<string, string>;

const cli = (...args: string[]) => runCli(args, env);

beforeAll(async () => {
  db = await createTestDatabase("postgres");
  env = { DATABASE_URL: db.url!, CSS_WORKSPACE: "acme-cs" };
  expect((await cli("import", "accounts", `${FIXTURES}accounts.csv`)).code).toBe(0);
  const responses = writeTempFile("r.csv", [
    "account_id,survey,score,responded_at,comment",
    'A1,nps,4,2026-06-02T10:00:00Z,"Setup was slow, support was great"',
  ]);
  expect((await cli("import", "responses", responses)).code).toBe(0);
  const workspace = await requireWorkspace(db.prisma, "acme-cs");
  const a1 = await db.prisma.account.findFirstOrThrow({
    where: { workspaceId: workspace.id, externalId: "A1" },
  });
  await db.prisma.bandChange.create({
    data: {
      workspaceId: workspace.id,
      accountId: a1.id,
      asOf: new Date("2026-06-01"),
      fromBand: "healthy",
      toBand: "caution",
      fromScore: 81,
      toScore: 70,
      drivers: [],
    },
  });
  await addNote(db.prisma, workspace.id, {
    accountId: a1.id,
    author: "U0ALICE",
    text: "Called them\nabout renewal",
  });
}, 60_000);

afterAll(async () => db?.close());

describe("css-bot timeline", () => {
  it("prints the entries newest first as a table, a note's lines on one row", async () => {
    const { code, stdout } = await cli("timeline", "acme corp");
    expect(code).toBe(0);
    const lines = stdout.split("\n");
    expect(lines[0]).toBe("Acme Corp (A1), newest first (UTC)");
    const rows = lines.filter((l) => /^│ \d{4}-/.test(l));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/│ note +│ Called them \/ about renewal +│ U0ALICE │/);
    expect(rows[1]).toMatch(
      /^│ 2026-06-02 10:00 │ survey_comment │ NPS 4: “Setup was slow, support was great” +│ +│/,
    );
    expect(rows[2]).toMatch(
      /^│ 2026-06-01 00:00 │ band_change +│ Band healthy → caution: 81 → 70 +│ css-bot │/,
    );
  });

  it("prints the documented JSON, and keeps to --limit", async () => {
    const { code, stdout } = await cli("timeline", "A1", "--json", "--limit", "2");
    expect(code).toBe(0);
    const json = JSON.parse(stdout) as { account: unknown; entries: Record<string, unknown>[] };
    expect(json.account).toEqual({ id: "A1", name: "Acme Corp" });
    expect(json.entries).toHaveLength(2);
    expect(Object.keys(json.entries[0]!)).toEqual(["at", "kind", "text", "actor", "details"]);
    expect(json.entries[0]).toMatchObject({
      kind: "note",
      text: "Called them\nabout renewal",
      actor: "U0ALICE",
    });
    expect(json.entries[1]).toMatchObject({
      at: "2026-06-02T10:00:00.000Z",
      kind: "survey_comment",
      actor: null,
      details: { survey: "nps", score: 4, comment: "Setup was slow, support was great", respondent: null },
    });
  });

  it("says so for an account with no entries, and names a bad account or limit", async () => {
    expect((await cli("timeline", "Gamma Labs")).stdout).toBe(
      "Gamma Labs (A3): nothing on the timeline yet.\n",
    );
    const none = await cli("timeline", "zzz");
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no account matches "zzz"');
    const limit = await cli("timeline", "A1", "--limit", "0");
    expect(limit.code).not.toBe(0);
    expect(limit.stderr).toContain("--limit must be a number from 1 to 500");
    expect((await cli("timeline", "A1", "--limit", "2.5")).stderr).toContain(
      "--limit must be a whole number",
    );
  });
});
