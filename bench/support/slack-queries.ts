// What people type after `/css` to find an account, drawn (seeded, so every run sends the same
// sequence) from the accounts in the database, the kinds taking turns (one in six each by default):
//   id        the exact external id                      "acc-0012345"
//   name      the exact name                             "Amber Falcon Labs"
//   partial   part of the name, in lower case            "amber falcon", "falcon labs", "amber falcon la"
//   typo      the name with one letter wrong             "Amber Flacon Labs"
//   domain    the exact domain                           "amberfalconlabs.io"
//   several   one word many names share                  "Falcon"
import { Random } from "../../src/demo/random.ts";

export const QUERY_KINDS = ["id", "name", "partial", "typo", "domain", "several"] as const;
export type QueryKind = (typeof QUERY_KINDS)[number];

export interface Query {
  kind: QueryKind;
  text: string;
}

export interface SearchableAccount {
  externalId: string;
  name: string;
  domain: string | null;
}

export function drawQueries(
  accounts: readonly SearchableAccount[],
  count: number,
  seed: number,
  kinds: readonly QueryKind[] = QUERY_KINDS,
): Query[] {
  const random = Random.fromSeed(seed);
  return Array.from({ length: count }, (_, i) => {
    const kind = kinds[i % kinds.length]!;
    return { kind, text: queryFor(kind, random.pick(accounts), random) };
  });
}

function queryFor(kind: QueryKind, account: SearchableAccount, random: Random): string {
  const words = account.name.split(" ");
  switch (kind) {
    case "id":
      return account.externalId;
    case "name":
      return account.name;
    case "domain":
      return account.domain ?? account.name;
    case "several":
      return random.pick(words.slice(0, 2));
    case "typo":
      return withTypo(account.name, random);
    case "partial": {
      const lower = words.map((w) => w.toLowerCase());
      const cut = random.int(0, 2);
      if (cut === 0) return lower.slice(0, 2).join(" ");
      if (cut === 1) return lower.slice(1, 3).join(" ");
      // Typed until the third word is two letters in: usually one account, sometimes a few.
      return `${lower.slice(0, 2).join(" ")} ${(lower[2] ?? "").slice(0, 2)}`.trim();
    }
  }
}

/** One edit in one word of 4 letters or more, never its first letter: swap, drop, double or replace. */
export function withTypo(name: string, random: Random): string {
  const words = name.split(" ");
  const candidates = words.map((w, i) => (w.length >= 4 ? i : -1)).filter((i) => i >= 0);
  if (candidates.length === 0) return name;
  const index = random.pick(candidates);
  const word = words[index]!;
  const at = random.int(1, word.length - 2);
  const edits = [
    () => word.slice(0, at) + word[at + 1]! + word[at]! + word.slice(at + 2),
    () => word.slice(0, at) + word.slice(at + 1),
    () => word.slice(0, at) + word[at]! + word.slice(at),
    () => word.slice(0, at) + nextLetter(word[at]!) + word.slice(at + 1),
  ];
  let typo = word;
  // A swap of two equal letters changes nothing; another edit does.
  for (let i = 0; typo === word && i < 10; i++) typo = random.pick(edits)();
  if (typo === word) typo = word.slice(0, at) + word.slice(at + 1);
  words[index] = typo;
  return words.join(" ");
}

function nextLetter(c: string): string {
  const lower = c.toLowerCase();
  const next = lower === "z" ? "a" : String.fromCharCode(lower.charCodeAt(0) + 1);
  return c === lower ? next : next.toUpperCase();
}
