// The public record formats (docs/data.md, "File formats"), validated with zod. Files and, later, the
// ingest API share these schemas, so a record means the same whatever way it arrives.
import { z } from "zod";
import { parseDay, parseInstant } from "../domain/dates.ts";
import { checkSurveyScore } from "../domain/kpi/surveys.ts";
import { SURVEYS, type AccountRecord, type MetricRecord, type ResponseRecord } from "../domain/records.ts";
import { controlCharProblem } from "./control-chars.ts";

export const RECORD_KINDS = ["accounts", "metrics", "responses"] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

/** Columns of each kind: the required ones first, then the optional ones (extensions go last). */
export const COLUMNS = {
  accounts: {
    required: ["account_id", "name"],
    optional: [
      "segment",
      "owner",
      "mrr",
      "seats",
      "renewal_date",
      "created_at",
      "status",
      "churned_at",
      "domain",
    ],
  },
  metrics: { required: ["account_id", "metric", "value", "observed_at"], optional: [] },
  responses: {
    required: ["account_id", "survey", "score", "responded_at"],
    optional: ["response_id", "respondent", "comment"],
  },
} as const satisfies Record<RecordKind, { required: readonly string[]; optional: readonly string[] }>;

// CSV has no null: an empty cell is "no value". JSON Lines may say null or leave the field out.
const blank = (v: unknown) => v === undefined || v === null || (typeof v === "string" && v.trim() === "");
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (blank(v) ? null : typeof v === "string" ? v.trim() : v), schema.nullable());

/** Text of at most `max` characters, none of them a control character (see control-chars.ts). */
export const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(max, `at most ${max} characters`)
    .check((ctx) => {
      const problem = controlCharProblem(ctx.value);
      if (problem) ctx.issues.push({ code: "custom", message: problem, input: ctx.value });
    });
const id = z.preprocess((v) => (typeof v === "number" ? String(v) : v), text(200));

const number = z.preprocess(
  // Keep text that is not a number as it is, so the error can quote it.
  (v) => (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v.trim())) ? Number(v.trim()) : v),
  z
    .number({
      error: (i) => (i.input === undefined ? "required" : `not a number: ${JSON.stringify(i.input)}`),
    })
    .finite("not a finite number"),
);
const wholeNumber = number.pipe(z.number().int("must be a whole number").min(0, "must not be negative"));

const day = z.string({ error: "a date YYYY-MM-DD is required" }).transform((s, ctx) => {
  const d = parseDay(s);
  if (d === null) {
    ctx.addIssue({
      code: "custom",
      message: `not a date (YYYY-MM-DD or ISO timestamp): ${JSON.stringify(s)}`,
    });
    return z.NEVER;
  }
  return d;
});

export const accountSchema = z
  .object({
    account_id: id,
    name: text(300),
    segment: optional(text(100)),
    owner: optional(text(300)),
    // The columns' ranges (numeric(14,2) and int): a larger value is the file's error, not ours.
    mrr: optional(
      number.pipe(z.number().min(0, "must not be negative").lt(1e12, "must be less than 1,000,000,000,000")),
    ),
    seats: optional(wholeNumber.pipe(z.number().max(2_147_483_647, "must be at most 2,147,483,647"))),
    renewal_date: optional(day),
    created_at: optional(day),
    status: optional(z.enum(["active", "churned"], { error: 'must be "active" or "churned"' })),
    churned_at: optional(day),
    domain: optional(text(253).transform((s) => s.toLowerCase())),
  })
  .transform((r): AccountRow => ({
    accountId: r.account_id,
    name: r.name,
    domain: r.domain,
    segment: r.segment,
    owner: r.owner,
    mrr: r.mrr,
    seats: r.seats,
    renewalDate: r.renewal_date,
    createdAt: r.created_at,
    // A churn date without a status means the account churned.
    status: r.status ?? (r.churned_at !== null ? "churned" : "active"),
    churnedAt: r.churned_at,
    statusGiven: r.status !== null || r.churned_at !== null,
  }))
  .superRefine((a, ctx) => {
    if (a.status === "active" && a.churnedAt !== null) {
      ctx.addIssue({ code: "custom", path: ["churned_at"], message: 'set, but status is "active"' });
    }
  });

/** An account as read from a file; `statusGiven` tells an import whether to change the stored status. */
export interface AccountRow extends AccountRecord {
  statusGiven: boolean;
}

/**
 * A metric's value: finite and within ±10^15, so that no window's sum or average of a year of daily
 * values can overflow PostgreSQL's double precision (1e308 twice did, failing every recompute).
 */
export const METRIC_VALUE_LIMIT = 1e15;
const metricValue = number.pipe(
  z
    .number()
    .min(-METRIC_VALUE_LIMIT, "must be at least -1,000,000,000,000,000")
    .max(METRIC_VALUE_LIMIT, "must be at most 1,000,000,000,000,000"),
);

export const metricSchema = z
  .object({
    account_id: id,
    metric: text(100),
    value: metricValue,
    observed_at: day,
  })
  .transform((r): MetricRecord => ({
    accountId: r.account_id,
    metric: r.metric,
    value: r.value,
    observedOn: r.observed_at,
  }));

export interface ResponseRow extends ResponseRecord {
  respondedAt: Date;
  responseId: string | null;
  respondent: string | null;
  /** What the respondent wrote beside the score; not scored, shown on the account's timeline. */
  comment: string | null;
}

/** A survey comment's longest text (a paragraph or two; longer ones are pasted documents). */
export const MAX_COMMENT = 2000;

export const responseSchema = z
  .object({
    account_id: id,
    survey: z.preprocess(
      (v) => (typeof v === "string" ? v.trim().toLowerCase() : v),
      z.enum(SURVEYS, { error: `must be one of ${SURVEYS.join(", ")}` }),
    ),
    score: number,
    responded_at: z.string({ error: "a date YYYY-MM-DD is required" }),
    response_id: optional(text(200)),
    respondent: optional(text(300)),
    comment: optional(text(MAX_COMMENT)),
  })
  .superRefine((r, ctx) => {
    const problem = checkSurveyScore(r.survey, r.score);
    if (problem) ctx.addIssue({ code: "custom", path: ["score"], message: problem });
    if (parseInstant(r.responded_at) === null) {
      ctx.addIssue({
        code: "custom",
        path: ["responded_at"],
        message: `not a date (YYYY-MM-DD or ISO timestamp): ${JSON.stringify(r.responded_at)}`,
      });
    }
  })
  .transform((r): ResponseRow => ({
    accountId: r.account_id,
    survey: r.survey,
    score: r.score,
    respondedOn: parseDay(r.responded_at)!,
    respondedAt: parseInstant(r.responded_at)!,
    responseId: r.response_id,
    respondent: r.respondent,
    comment: r.comment,
  }));

/** Each kind's schema; the annotation makes the compiler check that each yields its kind's record. */
export const RECORD_SCHEMAS: { [K in RecordKind]: z.ZodType<RecordTypes[K], unknown> } = {
  accounts: accountSchema,
  metrics: metricSchema,
  responses: responseSchema,
};

export interface RecordTypes {
  accounts: AccountRow;
  metrics: MetricRecord;
  responses: ResponseRow;
}
