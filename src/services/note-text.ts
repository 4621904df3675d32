// What a note on an account may say, wherever it is written (`/css note`, a case thread's Log note
// modal): 1 to 2,000 characters, line breaks allowed (the modal's input is multiline), no other
// control character (see ingest/control-chars.ts: NUL cannot be stored). Pure, so the parser of
// `/css` checks a note before any lookup.
import { controlCharProblem } from "../ingest/control-chars.ts";

export const MAX_NOTE = 2000;

/** The note as stored (line ends as \n, tabs as spaces, trimmed), or why it cannot be. */
export function cleanNoteText(raw: string): { text: string } | { problem: string } {
  const text = raw.replace(/\r\n?/g, "\n").replaceAll("\t", " ").trim();
  if (text === "") return { problem: "the note is empty" };
  const length = [...text].length;
  if (length > MAX_NOTE) return { problem: `the note is ${length} characters; at most ${MAX_NOTE}` };
  // Line breaks are allowed: checked as spaces, so the position of another control stays right.
  const problem = controlCharProblem(text.replaceAll("\n", " "));
  return problem ? { problem: `the note ${problem}` } : { text };
}
