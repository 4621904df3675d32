// A hostile account name and what it must not do once a builder put it into a Slack message.

/** Bold, italic, strike, code, an emoji code, a mention and a right-to-left override. */
export const HOSTILE_NAME = "*bold* _it_ ~s~ `code` :skull: <!channel> \u202Egnp.exe";

const BIDI_CONTROL = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;

/**
 * What of HOSTILE_NAME is still live in a message's text: a formatting pair (its characters next
 * to each other, as Slack pairs them), the emoji code, the mention, a bidi control. Empty when the
 * name is shown literally.
 */
export function liveMarkup(text: string): string[] {
  const live = ["*bold*", "_it_", "~s~", "`code`", ":skull:", "<!channel>"].filter((m) => text.includes(m));
  return BIDI_CONTROL.test(text) ? [...live, "bidi control"] : live;
}

/** The name as a person reads it: the invisible word joiners left out. */
export function visible(text: string): string {
  return text.replaceAll("\u2060", "");
}
