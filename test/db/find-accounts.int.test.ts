// The search behind `/css <account>`, on both backends (the embedded database serves `css-bot
// start` without DATABASE_URL): the exact match read with its card in one statement, how the search
// ranks a word that starts many names (read from the (workspace_id, lower(name)) index when a page
// of names starts with it) and the partial matches when few do, and that it stays inside the workspace.
import { afterEach, describe, expect, it } from "vitest";
import { findAccounts, searchAccounts } from "../../src/db/repositories/accounts.ts";
import { lookupAccount } from "../../src/services/lookup-account.ts";
import { BACKENDS, createTestDatabase, type TestDatabase } from "../support/databases.ts";

describe.each(BACKENDS)("the /css search on %s", (backend) => {
  let db: TestDatabase;
  afterEach(async () => db?.close());

  async function workspaceWith(slug: string, names: string[]): Promise<number> {
    const workspace = await db.prisma.workspace.create({ data: { slug, name: slug } });
    await db.prisma.account.createMany({
      data: names.map((name, i) => ({
        workspaceId: workspace.id,
        externalId: `${slug}-${i}`,
        name,
        domain: `${name.toLowerCase().replaceAll(" ", "")}.example`,
      })),
    });
    return workspace.id;
  }

  it("reads the card of the account a query names exactly, and searches when it names none or several", async () => {
    db = await createTestDatabase(backend);
    const id = await workspaceWith("acme", ["Acme Rocket Works", "Globex", "Globex", "Initech Labs"]);
    const other = await workspaceWith("umbrella", ["Umbrella Corp", "Acme Rocket Works"]);
    const lookup = async (workspaceId: number, query: string) => {
      const result = await lookupAccount(db, workspaceId, query);
      if (result.kind === "card") return `card ${result.card.account.externalId}`;
      if (result.kind === "choices") return `choices ${result.matches.map((m) => m.externalId).join(" ")}`;
      return "none";
    };

    expect(await lookup(id, "acme-0")).toBe("card acme-0");
    expect(await lookup(id, "ACME rocket works")).toBe("card acme-0");
    expect(await lookup(id, "initechlabs.example")).toBe("card acme-3");
    expect(await lookup(other, "acme rocket works")).toBe("card umbrella-1");
    // Two accounts with one name: a list, not either card.
    expect(await lookup(id, "globex")).toBe("choices acme-1 acme-2");
    // Nothing exact: the partial match, the typo.
    expect(await lookup(id, "initech")).toBe("card acme-3");
    expect(await lookup(id, "Acme Rockte Works")).toBe("card acme-0");
    // Another workspace's id or name is nothing here.
    expect(await lookup(id, "umbrella-0")).toBe("none");
    expect(await lookup(id, "Umbrella Corp")).toBe("none");
    expect(await lookup(id, "  ")).toBe("none");
  });

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

  it("counts the matches beyond the few it returns, and says when it stopped counting", async () => {
    db = await createTestDatabase(backend);
    const twelve = Array.from({ length: 12 }, (_, i) => `Copper ${i} Leaf`);
    const many = Array.from({ length: 60 }, (_, i) => `Zeta ${i}`);
    const id = await workspaceWith("acme", [...twelve, ...many, "Coppre Works"]);
    const count = async (query: string) => {
      const { matches, total, atLeast } = await searchAccounts(db.sql, id, query, 10);
      return { shown: matches.length, total, atLeast };
    };
    expect(await count("copper")).toEqual({ shown: 10, total: 12, atLeast: false });
    expect(await count("copper 3 leaf")).toEqual({ shown: 1, total: 1, atLeast: false });
    // More than the search ranks (50): a floor.
    expect(await count("zeta")).toEqual({ shown: 10, total: 50, atLeast: true });
    // Typos: only those similar enough count.
    expect(await count("coppre wroks")).toMatchObject({ shown: 1, total: 1 });
  });
});
