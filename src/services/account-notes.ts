// Notes on an account (`/css note`, a case thread's Log note button): stored with their author,
// and the case they were logged from, as part of the account's timeline (services/timeline.ts).
import { searchAccounts, type AccountMatch } from "../db/repositories/accounts.ts";
import { audit } from "../db/repositories/audit-log.ts";
import type { SqlClient } from "../db/handle.ts";
import { KnownError } from "../errors.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { MAX_CHOICES } from "./lookup-account.ts";
import { cleanNoteText } from "./note-text.ts";

export class NoteError extends KnownError {
  readonly code = "NOTE";
}

export type NoteTarget =
  | { kind: "one"; account: { id: number; name: string } }
  /** Several accounts, or one that only looks like the query: nothing is noted until one is named. */
  | { kind: "choices"; query: string; matches: AccountMatch[]; total: number; atLeast: boolean }
  | { kind: "none"; query: string };

/**
 * The account a note names: `/css <account>`'s search, but only an account named exactly (its id,
 * its whole name or its domain) takes the note. A note on the wrong account is worse than typing
 * the name again, so a partial or misspelt match is offered as a choice, like several matches.
 */
export async function findNoteAccount(
  sql: SqlClient,
  workspaceId: number,
  query: string,
): Promise<NoteTarget> {
  const search = await searchAccounts(sql, workspaceId, query, MAX_CHOICES);
  const [first] = search.matches;
  if (!first) return { kind: "none", query };
  if (search.matches.length === 1 && (first.match === "id" || first.match === "exact")) {
    return { kind: "one", account: { id: first.id, name: first.name } };
  }
  return { kind: "choices", query, ...search };
}

/**
 * Stores a note on an account of the workspace (checked in the same statement: an account of
 * another workspace takes no note) and records it in the audit log. Returns the note's id.
 */
export async function addNote(
  prisma: PrismaClient,
  workspaceId: number,
  note: { accountId: number; author: string; text: string; caseId?: bigint | null },
): Promise<bigint> {
  const clean = cleanNoteText(note.text);
  if ("problem" in clean) throw new NoteError(`Nothing was noted: ${clean.problem}.`);
  return prisma.$transaction(async (tx) => {
    const [row] = await tx.$queryRawUnsafe<{ id: bigint }[]>(
      `INSERT INTO account_notes (workspace_id, account_id, author, text, case_id)
       SELECT workspace_id, id, $3, $4, $5::bigint FROM accounts WHERE id = $2 AND workspace_id = $1
       RETURNING id`,
      workspaceId,
      note.accountId,
      note.author,
      clean.text,
      note.caseId ?? null,
    );
    if (!row) throw new NoteError("That account no longer exists: nothing was noted.");
    await audit(tx, workspaceId, {
      actor: note.author,
      action: "account.note",
      target: `account:${note.accountId}`,
      details: { note: row.id.toString(), ...(note.caseId ? { case: note.caseId.toString() } : {}) },
    });
    return row.id;
  });
}
