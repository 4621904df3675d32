// The one place where text enters Block Kit: escaping and length limits.
//
// Every piece of user, account or connector text is put into mrkdwn through `esc`, which shows it
// as typed and gives it no meaning:
// - `&`, `<` and `>` are escaped (Slack: "Escaping text"), so `<!channel>` mentions nobody;
// - `*`, `_`, `~` and `` ` `` get a WORD JOINER (U+2060, invisible, not a space) on each side:
//   Slack pairs them only at a word boundary, so "*Acme*" is not bold, "~x~" not struck and a
//   backtick opens no code, while "Acme_Corp" still reads "Acme_Corp"; the builder's own `*…*`
//   around a name still pairs, as the joiner is not whitespace;
// - a colon before a shortcode character gets one too, so ":skull:" stays text, not an emoji;
// - a `>` at the start of a line gets one before it, so a vendor's message opens no quote;
// - bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E/U+200F, U+061C), zero-width
//   and other invisible controls are dropped, so U+202E cannot reverse the rest of the line.
// Slack documents no backslash escape for mrkdwn. Only the builders' own mentions, links and
// formatting are written raw, through the helpers below, from ids and URLs they validated.

const WORD_JOINER = "\u2060";

// Dropped: C0/C1 controls but tab and newline, bidi marks, embeddings, overrides and isolates,
// zero-width space, word joiner and invisible operators, deprecated format controls, BOM,
// Mongolian vowel separator and interlinear annotations. ZWJ/ZWNJ stay: emoji and scripts need them.
const INVISIBLE =
  // eslint-disable-next-line no-control-regex -- control characters are what this drops
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u180E\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uFFF9-\uFFFB]/gu;
const FORMATTING = /[*_~`]+|:(?=[A-Za-z0-9_+'-])/g;
const QUOTE_AT_LINE_START = /(^|\n)&gt;/g;

/** Neutralises text for mrkdwn (and plain_text alike): shown literally, no mention, format, emoji. */
export function esc(text: string): string {
  return escapeControls(text)
    .replace(FORMATTING, (m) =>
      m === ":" ? `:${WORD_JOINER}` : `${WORD_JOINER}${[...m].join(WORD_JOINER)}${WORD_JOINER}`,
    )
    .replace(QUOTE_AT_LINE_START, `$1${WORD_JOINER}&gt;`);
}

/**
 * For text inside the builder's own backticks (an id, a command to copy): Slack formats nothing
 * in code, so only the mention characters, the invisible controls and a backtick (it would close
 * the code) are neutralised, and "acct_12" copies as typed, without joiners.
 */
export function escCode(text: string): string {
  return escapeControls(text).replaceAll("`", `${WORD_JOINER}\`${WORD_JOINER}`).replaceAll("\n", " ");
}

function escapeControls(text: string): string {
  return text
    .replaceAll("\r\n", "\n")
    .replace(INVISIBLE, "")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;");
}

/**
 * Text as the user typed it, from text Slack sent (a slash command's, a message's): Slack sends &, <
 * and > as &amp;, &lt; and &gt;, and nothing else escaped. &amp; last, so "&amp;lt;" stays "&lt;".
 */
export function unescSlack(text: string): string {
  return text.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
}

/** Cuts text to at most `max` characters, ending with an ellipsis when cut. Counts code points. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  return `${chars.slice(0, Math.max(0, max - 1)).join("")}…`;
}

/** Escaped and cut, for a field of known size. Cuts first so an escape is never split. */
export function escCut(text: string, max: number, escape: (text: string) => string = esc): string {
  let out = escape(truncate(text, max));
  // Escaping lengthens the text; cut the source further until the escaped form fits.
  for (let n = max; [...out].length > max && n > 1; n -= 8) out = escape(truncate(text, n));
  return out;
}

const USER_ID = /^[UW][A-Z0-9]{2,}$/;
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;

/** `<@U123>`, or the escaped text when it is not a Slack user id (an owner given as an email). */
export function mentionUser(id: string | null | undefined, fallback = "nobody"): string {
  if (!id) return fallback;
  return USER_ID.test(id) ? `<@${id}>` : esc(id);
}

export function mentionChannel(id: string): string {
  return CHANNEL_ID.test(id) ? `<#${id}>` : esc(id);
}

/** A link whose label is escaped; only http(s) URLs become links. */
export function link(url: string | null | undefined, label: string): string {
  if (!url || !/^https?:\/\/[^\s<>|]+$/.test(url)) return esc(label);
  return `<${url}|${esc(label).replaceAll("|", "¦")}>`;
}

/** Slack's date formatting: shown in each reader's own time zone, with a plain fallback. */
export function slackDate(epochSeconds: number, fallback: string, format = "{date_short}"): string {
  // Slack shows the fallback as plain text, never formatted: only the mention characters matter.
  return `<!date^${Math.floor(epochSeconds)}^${format}|${escapeControls(fallback)}>`;
}
