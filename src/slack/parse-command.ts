// The text after `/css`, parsed. Pure, so every shape a user might type is unit-tested.
import { controlCharProblem } from "../ingest/control-chars.ts";
import { cleanNoteText } from "../services/note-text.ts";

export type CssCommand =
  | { kind: "help" }
  | { kind: "lookup"; query: string }
  | { kind: "at-risk"; segment: string | null }
  | { kind: "mine" }
  | { kind: "movers" }
  | { kind: "watch"; query: string }
  | { kind: "unwatch"; query: string }
  | { kind: "settings" }
  /** The active plays and their fires; admins also see who each would fire for next. */
  | { kind: "plays" }
  /** `renewals [days]`: the accounts renewing within `days` (1..365, default 90), worst expected loss first. */
  | { kind: "renewals"; days: number }
  /** `note <account> <text>`: the account is its first word, or a name in double quotes. */
  | { kind: "note"; query: string; text: string }
  | { kind: "invalid"; message: string };

/** Longer than any account name worth typing; Slack allows far more. */
export const MAX_QUERY = 200;

export const RENEWAL_DAYS_DEFAULT = 90;
export const RENEWAL_DAYS_MAX = 365;

const NOTE_USAGE =
  'Write `/css note <account> <text>`: the account by its id or domain, or its name in quotes (`/css note "Acme Corp" called about renewal`).';

export function parseCssCommand(text: string): CssCommand {
  // A note keeps its own spacing and line breaks and may be far longer than a query: read first.
  const note = /^\s*note(?:\s+([\s\S]*))?$/i.exec(text);
  if (note) return parseNote(note[1] ?? "");
  const trimmed = text.trim().replace(/\s+/g, " ");
  if (trimmed === "" || /^(help|\?)$/i.test(trimmed)) return { kind: "help" };
  // Tabs and line breaks are white space, collapsed above; any other control character (a NUL,
  // which PostgreSQL cannot even compare) is in no account name, so the query is refused.
  const problem = controlCharProblem(trimmed);
  if (problem) {
    return {
      kind: "invalid",
      message: `That text ${problem.replace(/; remove it$/, "")}, which no account name holds: type it again without it.`,
    };
  }
  if (trimmed.length > MAX_QUERY) {
    return {
      kind: "invalid",
      message: `That is ${trimmed.length} characters; name an account in at most ${MAX_QUERY}.`,
    };
  }
  const [head = "", ...rest] = trimmed.split(" ");
  const arg = rest.join(" ");
  switch (head.toLowerCase()) {
    case "at-risk":
    case "atrisk":
    case "risk":
      return { kind: "at-risk", segment: arg === "" ? null : arg };
    case "mine":
      return arg === "" ? { kind: "mine" } : { kind: "lookup", query: trimmed };
    case "movers":
      return arg === "" ? { kind: "movers" } : { kind: "lookup", query: trimmed };
    case "watch":
      return arg === ""
        ? { kind: "invalid", message: "Name the account to watch: `/css watch <account>`." }
        : { kind: "watch", query: arg };
    case "unwatch":
      return arg === ""
        ? { kind: "invalid", message: "Name the account to stop watching: `/css unwatch <account>`." }
        : { kind: "unwatch", query: arg };
    case "settings":
      return arg === "" ? { kind: "settings" } : { kind: "lookup", query: trimmed };
    case "plays":
      return arg === "" ? { kind: "plays" } : { kind: "lookup", query: trimmed };
    case "renewals":
      return parseRenewals(arg);
    default:
      return { kind: "lookup", query: trimmed };
  }
}

// "renewals", "renewals 30", "renewals 30d", "renewals 30 days": a whole number of days ahead.
function parseRenewals(arg: string): CssCommand {
  if (arg === "") return { kind: "renewals", days: RENEWAL_DAYS_DEFAULT };
  const days = /^(\d{1,4})(?: ?d(?:ays?)?)?$/i.exec(arg);
  const n = days ? Number(days[1]) : NaN;
  if (n >= 1 && n <= RENEWAL_DAYS_MAX) return { kind: "renewals", days: n };
  return {
    kind: "invalid",
    message: `Write \`/css renewals [days]\`: the days ahead are a whole number from 1 to ${RENEWAL_DAYS_MAX} (default ${RENEWAL_DAYS_DEFAULT}), e.g. \`/css renewals 30\`.`,
  };
}

// The account is a name in straight or curly double quotes (clients turn " into “ ”), or else the
// first word; the rest is the note.
function parseNote(rest: string): CssCommand {
  const quoted = /^["“]([^"”]+)["”]([\s\S]*)$/.exec(rest.trim());
  const [query = "", body = ""] = quoted
    ? [quoted[1]!.trim().replace(/\s+/g, " "), quoted[2]!]
    : (/^(\S+)([\s\S]*)$/.exec(rest.trim())?.slice(1) ?? []);
  if (query === "" || body.trim() === "") return { kind: "invalid", message: NOTE_USAGE };
  const problem = controlCharProblem(query);
  if (problem || query.length > MAX_QUERY) return { kind: "invalid", message: NOTE_USAGE };
  const clean = cleanNoteText(body);
  if ("problem" in clean) return { kind: "invalid", message: `Nothing was noted: ${clean.problem}.` };
  return { kind: "note", query, text: clean.text };
}
