// Message templates of post, dm_owner and reply_in_case: the admin's text with {{field}}s filled
// from the account and the fire. The admin's own text is mrkdwn as written (it is theirs, like a
// message they would type); every value comes from data (an import, a connector, a survey) and is
// passed through the caller's escape, so an account named "<!channel>" pings nobody. The escape is
// passed in (the Slack layer gives its esc) to keep the domain free of Slack.
import { formatDay } from "../dates.ts";
import type { PlayAccount } from "./facts.ts";
import { formatNumber, round1 } from "./plain-text.ts";

export const TEMPLATE_FIELDS = [
  "account.name",
  "account.id",
  "account.segment",
  "account.band",
  "account.score",
  "account.owner",
  "account.renewal_date",
  "account.mrr",
  "account.arr",
  "trigger",
  "play",
  "drivers",
] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];

/** Each field's text, or null (shown as an em dash). account.owner is already formatted: below. */
export type TemplateValues = Record<TemplateField, string | null>;

// Revenue is for the owner and for systems, never for a channel most of the company can read.
const REVENUE_FIELDS: ReadonlySet<string> = new Set<TemplateField>(["account.mrr", "account.arr"]);
const KNOWN: ReadonlySet<string> = new Set<string>(TEMPLATE_FIELDS);
const FIELD = /\{\{\s*([^{}]*?)\s*\}\}/g;
const MISSING = "—";

/** What is wrong with a template, plain text, for the playbook's validation (empty: nothing). */
export function templateProblems(text: string, options: { revenue: boolean }): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  let revenue = false;
  for (const [, name = ""] of text.matchAll(FIELD)) {
    if (seen.has(name)) continue;
    seen.add(name);
    if (!KNOWN.has(name))
      problems.push(`unknown field {{${name}}} (the fields: ${TEMPLATE_FIELDS.join(", ")})`);
    else if (REVENUE_FIELDS.has(name) && !options.revenue) revenue = true;
  }
  if (revenue) problems.push("revenue is never posted in channels: use dm_owner or webhook");
  if (text.replace(FIELD, "").includes("{{"))
    problems.push('a "{{" without its "}}": write fields as {{account.name}}');
  return problems;
}

/**
 * The template with its fields filled. Every value goes through `escape`, except
 * `account.owner`, which the caller gives already formatted for the destination (a mention such
 * as <@U0123>, or the escaped source owner when no Slack user matches it): escaping a mention
 * would break it. A null value is shown as an em dash. A field the template validation would have
 * refused is left as written.
 */
export function fillTemplate(text: string, values: TemplateValues, escape: (s: string) => string): string {
  return text.replace(FIELD, (whole, name: string) => {
    if (!KNOWN.has(name)) return whole;
    const value = values[name as TemplateField];
    if (value === null) return MISSING;
    return name === "account.owner" ? value : escape(value);
  });
}

/** The fields of one fire, as plain text: the account's from its state, the rest from the caller. */
export function accountTemplateValues(
  account: PlayAccount,
  fire: {
    /** The play's label (or key). */
    play: string;
    /** The trigger's summary (TriggerHit.summary). */
    trigger: string;
    /** The drivers of the score's last move, as text; null when there are none. */
    drivers: string | null;
    /** Already formatted for the destination (see fillTemplate); null without an owner. */
    owner: string | null;
  },
): TemplateValues {
  return {
    "account.name": account.name,
    "account.id": account.externalId,
    "account.segment": account.segment,
    "account.band": account.band,
    "account.score": account.score === null ? null : formatNumber(round1(account.score)),
    "account.owner": fire.owner,
    "account.renewal_date": account.renewalDate === null ? null : formatDay(account.renewalDate),
    "account.mrr": account.mrr === null ? null : money(account.mrr),
    "account.arr": account.mrr === null ? null : money(account.mrr * 12),
    trigger: fire.trigger,
    play: fire.play,
    drivers: fire.drivers,
  };
}

// No currency sign: the import's MRR carries none, and a wrong one is worse than none.
const MONEY = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
function money(n: number): string {
  return MONEY.format(n);
}
