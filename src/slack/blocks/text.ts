// The one place where text enters Block Kit: escaping and length limits.
//
// Slack's mrkdwn gives `&`, `<` and `>` control meaning (`<!channel>`, `<@U123>`, `<url|label>`), so
// every piece of user or connector text is escaped before it is put into mrkdwn: an account named
// `<!channel>` is shown as typed and mentions nobody. Only the builders' own mentions and links are
// written raw, through the helpers below, from ids and URLs they validated.

/** Escapes text for mrkdwn and plain_text alike (Slack: "Escaping text"). */
export function esc(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** Cuts text to at most `max` characters, ending with an ellipsis when cut. Counts code points. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  return `${chars.slice(0, Math.max(0, max - 1)).join("")}…`;
}

/** Escaped and cut, for a field of known size. Cuts first so an escape is never split. */
export function escCut(text: string, max: number): string {
  let out = esc(truncate(text, max));
  // Escaping lengthens the text; cut the source further until the escaped form fits.
  for (let n = max; [...out].length > max && n > 1; n -= 8) out = esc(truncate(text, n));
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
  return `<!date^${Math.floor(epochSeconds)}^${format}|${esc(fallback)}>`;
}
