// Checks every record a connector yields before anything is written: a bad one is rejected with a
// reason (and counted), never written and never fatal. The rules are the public formats' (text
// lengths, non-negative MRR, whole seats, survey score ranges), applied to the contract's records.
import { z } from "zod";
import { checkSurveyScore } from "../domain/kpi/surveys.ts";
import { SURVEYS } from "../domain/records.ts";
import { showControlChars } from "../ingest/control-chars.ts";
import { MAX_COMMENT, text } from "../ingest/record-schemas.ts";
import type { RejectedRecord, SourceAccount, SourceMetric, SourceResponse } from "./contract.ts";

// The file formats' text: a vendor value with a control character (NUL) is rejected, not written.
const id = text(200);
/** 1900-01-01 .. 2199-12-31 as days since 1970-01-01: anything else is a unit mistake. */
const day = z.number().int("must be a whole day").min(-25_567, "before 1900").max(84_000, "after 2199");
/** undefined (not known to the source) and null (cleared) pass through as they are. */
const maybe = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

/** Lower case, without scheme, path, port, "www." or a trailing dot: "https://www.Acme.com/x" -> "acme.com". */
export function normalizeDomain(input: string): string {
  return input
    .trim()
    .toLowerCase()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//, "")
    .replace(/[/?#].*$/, "")
    .replace(/:\d+$/, "")
    .replace(/\.$/, "")
    .replace(/^www\./, "");
}

const domain = z
  .string()
  .transform(normalizeDomain)
  .refine(
    (d) => /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/.test(d),
    "not a domain such as acme.com",
  );

const accountSchema = z.object({
  sourceId: id,
  externalId: maybe(id),
  name: maybe(text(300)),
  domain: maybe(domain),
  segment: maybe(text(100)),
  owner: maybe(text(300)),
  mrr: maybe(z.number().finite("not a finite number").min(0, "must not be negative")),
  seats: maybe(z.number().int("must be a whole number").min(0, "must not be negative")),
  renewalDate: maybe(day),
  createdAt: maybe(day),
  status: z.enum(["active", "churned"], { error: 'must be "active" or "churned"' }).optional(),
  churnedAt: maybe(day),
});

const metricSchema = z.object({
  sourceAccountId: id,
  metric: text(100),
  value: z.number({ error: "must be a number" }).finite("not a finite number"),
  observedOn: day,
});

const responseSchema = z
  .object({
    sourceAccountId: id,
    survey: z.enum(SURVEYS, { error: `must be one of ${SURVEYS.join(", ")}` }),
    score: z.number({ error: "must be a number" }),
    respondedAt: z
      .date({ error: "must be a date" })
      .refine((d) => !Number.isNaN(d.getTime()), "invalid date"),
    responseId: id,
    respondent: maybe(text(300)),
    comment: maybe(text(MAX_COMMENT)),
  })
  .superRefine((r, ctx) => {
    const problem = checkSurveyScore(r.survey, r.score);
    if (problem) ctx.addIssue({ code: "custom", path: ["score"], message: problem });
  });

/** The valid records of a list (in order) and the rejected ones, each with its reasons. */
export function checkRecords<T>(
  what: "account" | "metric" | "response",
  records: readonly T[] | undefined,
  label: (record: T) => string,
): { valid: T[]; rejected: RejectedRecord[] } {
  const schema = { account: accountSchema, metric: metricSchema, response: responseSchema }[what];
  const valid: T[] = [];
  const rejected: RejectedRecord[] = [];
  for (const record of records ?? []) {
    const parsed = schema.safeParse(record);
    if (parsed.success) valid.push(parsed.data as T);
    else
      rejected.push({
        record: showControlChars(safeLabel(() => label(record), what)),
        reason: parsed.error.issues.map((i) => `${i.path.join(".") || what}: ${i.message}`).join("; "),
      });
  }
  return { valid, rejected };
}

export const labels = {
  account: (a: SourceAccount) => `account ${String(a?.sourceId)}`,
  metric: (m: SourceMetric) => `metric ${String(m?.metric)} of ${String(m?.sourceAccountId)}`,
  response: (r: SourceResponse) => `response ${String(r?.responseId)}`,
};

function safeLabel(label: () => string, what: string): string {
  try {
    return label();
  } catch {
    return what;
  }
}
