// What the vendor connectors (Stripe, HubSpot, Salesforce, Zendesk) share besides common-settings.ts:
// checking a page of vendor records with zod (a bad record is rejected with a reason and the rest of
// the page is used), identity fields (a company domain from an email or a URL), days from vendor times, and
// respondents' comments.
import type { z } from "zod";
import { dateToDay, parseDay, type Day } from "../domain/dates.ts";
import { SourceRequestError, type RejectedRecord, type SourceAccount } from "./contract.ts";
import { dropControlChars } from "../ingest/control-chars.ts";
import { MAX_COMMENT } from "../ingest/record-schemas.ts";
import { normalizeDomain } from "./source-records.ts";

export interface CheckedRecords<T> {
  records: T[];
  rejected: RejectedRecord[];
}

/**
 * Validates each record of a page on its own. `what` names a record in the vendor's terms
 * ("subscription"), followed by its id when it has one, or its position in the page.
 */
export function checkRecords<T>(
  items: readonly unknown[],
  schema: z.ZodType<T>,
  what: string,
): CheckedRecords<T> {
  const records: T[] = [];
  const rejected: RejectedRecord[] = [];
  items.forEach((item, index) => {
    const parsed = schema.safeParse(item);
    if (parsed.success) records.push(parsed.data);
    else rejected.push({ record: recordName(what, item, index), reason: describeIssues(parsed.error) });
  });
  return { records, rejected };
}

export function recordName(what: string, item: unknown, index: number): string {
  // Salesforce spells it Id.
  const id = isObject(item) ? (item.id ?? item.Id) : undefined;
  return typeof id === "string" || typeof id === "number"
    ? `${what} ${id}`
    : `${what} #${index + 1} of its page`;
}

/** "no customer; items: expected object, received null": the first few problems, by field. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => {
      const path = issue.path.map(String).join(".") || "record";
      const message = issue.message.replace(/^Invalid input: /, "");
      return issue.code === "invalid_type" && message.endsWith("received undefined")
        ? `no ${path}`
        : `${path}: ${message}`;
    })
    .join("; ");
}

/** Parses a vendor's answer around its records (the list envelope); a wrong envelope is not a record to skip. */
export function envelope<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new SourceRequestError(`${what} answered in an unexpected shape: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

// Addresses at these domains belong to people, not companies: they say nothing about the account.
const FREE_MAIL = new Set([
  "gmail.com",
  "googlemail.com",
  "yahoo.com",
  "ymail.com",
  "hotmail.com",
  "outlook.com",
  "live.com",
  "msn.com",
  "icloud.com",
  "me.com",
  "mac.com",
  "aol.com",
  "proton.me",
  "protonmail.com",
  "gmx.com",
  "gmx.de",
  "web.de",
  "mail.com",
  "mail.ru",
  "yandex.ru",
  "qq.com",
  "163.com",
  "zoho.com",
  "fastmail.com",
  "hey.com",
]);

/** "acme.com" from "https://www.Acme.com/about", "acme.com" or "ACME.COM."; null when it is not a domain. */
export function normaliseDomain(text: string | null | undefined): string | null {
  if (!text) return null;
  const host = normalizeDomain(text);
  return /^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(host) ? host : null;
}

/** The company domain of an email address; null for free-mail providers and malformed addresses. */
export function domainOfEmail(email: string | null | undefined): string | null {
  const at = email?.lastIndexOf("@") ?? -1;
  if (!email || at < 0) return null;
  const domain = normaliseDomain(email.slice(at + 1));
  return domain && !FREE_MAIL.has(domain) ? domain : null;
}

export const unixToDay = (seconds: number): Day => dateToDay(new Date(seconds * 1000));

/** A day from an ISO date or timestamp, or from milliseconds since the epoch (HubSpot's dates). */
export function vendorDay(text: string): Day | null {
  const s = text.trim();
  if (/^\d{10,}$/.test(s)) return dateToDay(new Date(Number(s)));
  return parseDay(s);
}

/** One entry per account, in first-seen order; later fields win (a page may mention an account twice). */
export function mergeAccounts(accounts: readonly SourceAccount[]): SourceAccount[] {
  const byId = new Map<string, SourceAccount>();
  for (const account of accounts) {
    const seen = byId.get(account.sourceId);
    const defined = Object.fromEntries(Object.entries(account).filter(([, v]) => v !== undefined));
    byId.set(account.sourceId, seen ? { ...seen, ...defined } : account);
  }
  return [...byId.values()];
}

export const round2 = (x: number): number => Math.round(x * 100) / 100;

/**
 * A respondent's comment as the records keep it: on one line (line breaks and tabs as spaces, other
 * control characters, which the records refuse, left out), cut at MAX_COMMENT characters; null when
 * nothing is left. A comment is never worth losing the score it came with.
 */
export function vendorComment(text: string | null | undefined): string | null {
  const plain = dropControlChars((text ?? "").replace(/\s+/g, " ")).trim();
  if (plain === "") return null;
  // At MAX_COMMENT UTF-16 units, as the records count them, never half a surrogate pair.
  const cut = plain.slice(0, MAX_COMMENT);
  return (/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut).trim();
}
