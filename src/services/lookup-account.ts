// `/css <account>`: one account's card, or the accounts to choose from when the query names several.
import { searchAccounts, type AccountMatch } from "../db/repositories/accounts.ts";
import type { Clients } from "../db/handle.ts";
import { loadAccountCard, loadExactCard, type AccountCard } from "./account-card.ts";

export type LookupResult =
  | { kind: "card"; card: AccountCard }
  /** `matches`: the first MAX_CHOICES; `total`: how many match (`atLeast`: or more). */
  | { kind: "choices"; query: string; matches: AccountMatch[]; total: number; atLeast: boolean }
  | { kind: "none"; query: string };

/** How many accounts a reply offers to pick from. */
export const MAX_CHOICES = 10;

export async function lookupAccount(db: Clients, workspaceId: number, query: string): Promise<LookupResult> {
  const q = query.trim();
  if (q === "") return { kind: "none", query };
  // The account the query names exactly, with its card, in one round trip; the search only when
  // it names none or several (and then without looking for exact matches again when it names none).
  const exact = await loadExactCard(db, workspaceId, q);
  if (exact.card) return { kind: "card", card: exact.card };
  const { matches, total, atLeast } = await searchAccounts(db.sql, workspaceId, q, MAX_CHOICES, {
    exactMatches: exact.exactMatches > 0,
  });
  if (matches.length === 0) return { kind: "none", query };
  if (matches.length > 1) return { kind: "choices", query, matches, total, atLeast };
  const card = await loadAccountCard(db, workspaceId, matches[0]!.id);
  return card ? { kind: "card", card } : { kind: "none", query };
}
