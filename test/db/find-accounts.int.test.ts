// The search behind `/css <account>` (findAccounts), on both backends: how it ranks a word that
// starts many names (read from the (workspace_id, lower(name)) index when a page of names starts
// with it) and the partial matches when few do, and that it stays inside the workspace.
import { afterEach, describe, expect, it } from "vitest";
import { findAccounts } from "../../src/db/repositories/accounts.ts";
import { BACKENDS, createTestDatabase, type TestDatabase } from "../support/databases.ts";

describe.each(BACKENDS)("findAccounts on %s", (backend) => {
  let db: TestDatabase;
  afterEach(async () => db?.close());

  async function workspaceWith(slug: string, names: string[]): Promise<number> {
    const workspace = await db.prisma.workspace.create({ data: { slug, name: slug } });
    await db.prisma.account.createMany({
      data: names.map((name, i) => ({ workspaceId: workspace.id, externalId: `${slug}-${i}`, name })),
    });
    return workspace.id;
  }

  const names = async (workspaceId: number, query: string) =>
    (await findAccounts(db.sql, workspaceId, query, 10)).map((m) => m.name);

  it("offers the shortest of the many names that start with a word, never those that only contain it", async () => {
    db = await createTestDatabase(backend);
    const short = Array.from({ length: 55 }, (_, i) => `Zeta ${String(i).padStart(2, "0")}`);
    // First by name, but the longest: not among the 50 shortest, so never offered.
    const long = Array.from({ length: 5 }, (_, i) => `Zeta 0 Aardvark Holdings ${i}`);
    const id = await workspaceWith("acme", [...long, "Alpha Zeta", ...short, "Beta Alpha"]);
    // Another workspace whose names start with the word, shorter still: never seen from this one.
    await workspaceWith(
      "globex",
      Array.from({ length: 60 }, (_, i) => `Zeta${i}`),
    );

    expect(await names(id, "zeta")).toEqual(short.slice(0, 10));
    // Few names start with it: the partial matches elsewhere in a name come after them.
    expect(await names(id, "alpha")).toEqual(["Alpha Zeta", "Beta Alpha"]);
  });
});
