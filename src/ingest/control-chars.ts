// Control characters in record text. PostgreSQL text cannot hold NUL (U+0000), and the other C0
// controls and DEL have no place in an id, a name or a metric; a record holding one is refused at
// validation, naming the field, so no door (file, API, connector) reaches the database with it.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex -- as above
const CONTROLS = /[\u0000-\u001f\u007f]/g;

/** "contains a control character (U+0000 at character 4)", or null when there is none. */
export function controlCharProblem(s: string): string | null {
  const at = s.search(CONTROL);
  if (at < 0) return null;
  return `contains a control character (${codePoint(s.charCodeAt(at))} at character ${at + 1}); remove it`;
}

/** The text with each control character shown as \u0000, for a message or a log line. */
export function showControlChars(s: string): string {
  return s.replace(CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** The text without its control characters (for text worth keeping without them: a comment). */
export function dropControlChars(s: string): string {
  return s.replace(CONTROLS, "");
}

const codePoint = (c: number) => `U+${c.toString(16).toUpperCase().padStart(4, "0")}`;
