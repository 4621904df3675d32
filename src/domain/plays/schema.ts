// The playbook file, validated with zod: plays that turn score changes into owned work. Like the
// scoring model, the validated object keeps the file's own field names (snake_case); it is what
// `plays show --json` prints and what is stored per playbook version (docs/playbooks.md).
//
//   play = key + trigger (exactly one kind) + conditions (`when`, all must hold) + actions
//          + its noise guards (cooldown_days, max_per_day)
//
// A trigger, a condition and an action are each a mapping with one key naming its kind, so the file
// reads as it is meant: `trigger: { score_drop: { points: 10, within_days: 7 } }`.
import { z } from "zod";
import { parseDay, type Day } from "../dates.ts";
import { SURVEYS } from "../records.ts";
import { templateProblems } from "./templates.ts";

const key = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, "must be lower-case letters, digits and _ (starting with a letter)");
const days = z.number().int("must be a whole number of days").min(1).max(3650);
const businessDays = z.number().int("must be a whole number of business days").min(1).max(60);
const finite = z.number().finite();
/** Band keys; `lowest` is the lowest band of the account's segment (the model's risk band). */
const bandList = z.array(key).min(1, "must name at least one band");
export const LOWEST_BAND = "lowest";
const CHANNEL_REF = 'must be "alert_channel", "digest_channel" or a Slack channel id such as C0123ABCD';
// The message names the roles too: zod reports a string that is neither with this check's message alone.
const channelId = z.string().regex(/^[CG][A-Z0-9]{2,}$/, CHANNEL_REF);
const userId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, "must be a Slack user id such as U0123ABCD");
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a time HH:MM (24-hour)");
/** A message template: text with {{account.name}}-style fields (templates.ts), escaped when filled. */
const template = z.string().min(1).max(3000);

/** A channel: one of the workspace's configured channels by role, or a channel id. */
export const channelRefSchema = z.union([z.enum(["alert_channel", "digest_channel"]), channelId], {
  error: CHANNEL_REF,
});

/** A bound on a number: below (<), above (>), at_most (<=), at_least (>=); at least one. */
const boundSchema = z
  .object({
    below: finite.optional(),
    above: finite.optional(),
    at_most: finite.optional(),
    at_least: finite.optional(),
  })
  .strict()
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: "give at least one of below, above, at_most, at_least",
  });
export type Bound = z.output<typeof boundSchema>;

/**
 * The message of a trigger or action that matched no kind: the unknown kind it names, or the two
 * kinds one mapping gave (each option refuses the other's key, so zod alone says only "one of").
 * `kinds` is called at parse time: the lists are declared below the schemas that use them.
 */
function oneKindError(what: "trigger" | "action", kinds: () => readonly string[]) {
  return (issue: { input?: unknown }): string => {
    const list = `${what === "trigger" ? "a trigger" : "an action"} is one of ${kinds().join(", ")}`;
    const input = issue.input;
    if (input === null || typeof input !== "object" || Array.isArray(input)) return list;
    const keys = Object.keys(input);
    const known = keys.filter((k) => kinds().includes(k));
    if (known.length > 1)
      return what === "trigger"
        ? `a trigger has one kind, this one has ${known.join(" and ")}: make a play of each`
        : `an action has one kind, this one has ${known.join(" and ")}: list each as an action`;
    const unknown = keys.find((k) => !kinds().includes(k));
    return unknown === undefined ? list : `unknown ${what} "${unknown}": ${list}`;
  };
}

// ---- Triggers: what makes a play fire for an account (or, connector_failed, for a connector). ----

export const triggerSchema = z.union(
  [
    /** The account entered one of the bands (with the model's hysteresis) on this run's day. */
    z.object({ band_entered: bandList }).strict(),
    /** The account left one of the bands. */
    z.object({ band_left: bandList }).strict(),
    /** The score fell at least `points` below its highest of the last `within_days` days (bands aside). */
    z
      .object({
        score_drop: z.object({ points: z.number().gt(0).max(100), within_days: days }).strict(),
      })
      .strict(),
    /** A component's sub-score (0-100) or raw input crossed into the bound. */
    z
      .object({
        component: z
          .object({ key, value: z.enum(["sub_score", "raw"]).default("sub_score") })
          .extend(boundSchema.shape)
          .strict()
          .refine(
            (c) => [c.below, c.above, c.at_most, c.at_least].some((v) => v !== undefined),
            "give at least one of below, above, at_most, at_least",
          ),
      })
      .strict(),
    /** No observation of `metric` for `days` days (it went quiet; an account never seen is not news). */
    z.object({ no_data: z.object({ metric: z.string().min(1).max(100), days }).strict() }).strict(),
    /** The renewal date came within `within_days` days while the account is in one of `bands`. */
    z.object({ renewal: z.object({ within_days: days, bands: bandList }).strict() }).strict(),
    /** A survey answer in the bound arrived (e.g. NPS at_most 6: a detractor), with its comment. */
    z
      .object({
        survey_answer: z
          .object({ survey: z.enum(SURVEYS) })
          .extend(boundSchema.shape)
          .strict()
          .refine(
            (c) => [c.below, c.above, c.at_most, c.at_least].some((v) => v !== undefined),
            "give at least one of below, above, at_most, at_least",
          ),
      })
      .strict(),
    /** A connector's sync failed (any connector, or the one named). No account: post or call only. */
    z
      .object({
        connector_failed: z.object({ connector: z.string().min(1).max(100).optional() }).strict(),
      })
      .strict(),
  ],
  { error: oneKindError("trigger", () => TRIGGER_KINDS) },
);
export type Trigger = z.output<typeof triggerSchema>;
export const TRIGGER_KINDS = [
  "band_entered",
  "band_left",
  "score_drop",
  "component",
  "no_data",
  "renewal",
  "survey_answer",
  "connector_failed",
] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];

/** The kind of a trigger (its one key). */
export function triggerKind(trigger: Trigger): TriggerKind {
  return Object.keys(trigger)[0] as TriggerKind;
}

// ---- Conditions: all must hold for the play to fire. ----

/** The account fields a condition may test (the import's columns, and the score's state). */
export const ACCOUNT_FIELDS = [
  "name",
  "domain",
  "segment",
  "owner",
  "mrr",
  "arr",
  "seats",
  "renewal_date",
  "customer_since",
  "band",
  "score",
] as const;
export type AccountField = (typeof ACCOUNT_FIELDS)[number];

/** How each account field compares: text case-insensitively, numbers as numbers, dates as days. */
export const ACCOUNT_FIELD_TYPES: Record<AccountField, "text" | "number" | "date"> = {
  name: "text",
  domain: "text",
  segment: "text",
  owner: "text",
  band: "text",
  mrr: "number",
  arr: "number",
  seats: "number",
  score: "number",
  renewal_date: "date",
  customer_since: "date",
};

/** A test of one field: a value (equal), a list (one of), a range, or set: true|false. A range's
 *  ends are numbers, or "YYYY-MM-DD" for the date fields; which fits which field is checked below. */
const fieldTestSchema = z.union(
  [
    z.union([z.string(), finite]),
    z.array(z.union([z.string(), finite])).min(1),
    z
      .object({
        min: z.union([finite, z.string()]).optional(),
        max: z.union([finite, z.string()]).optional(),
      })
      .strict()
      .refine((r) => r.min !== undefined || r.max !== undefined, "give min, max or both"),
    z.object({ set: z.boolean() }).strict(),
  ],
  { error: "a test is a value, a list of values, { min, max } or { set: true|false }" },
);
export type FieldTest = z.output<typeof fieldTestSchema>;

/** A "YYYY-MM-DD" date that exists (not 2026-02-30); the day, or null. */
export function isoDateDay(value: string | number): Day | null {
  return typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value) ? parseDay(value) : null;
}

/** The file's tests against the fields' types: a date where a date is compared, a number where a
 *  number is, and no range on text (which has no order a reader would agree on). */
const accountTestsSchema = z
  .partialRecord(z.enum(ACCOUNT_FIELDS), fieldTestSchema)
  .superRefine((tests, ctx) => {
    for (const [field, test] of Object.entries(tests) as [AccountField, FieldTest][]) {
      const type = ACCOUNT_FIELD_TYPES[field];
      const problem = (path: (string | number)[], message: string) =>
        ctx.addIssue({ code: "custom", path: [field, ...path], message });
      const checkValue = (value: string | number, path: (string | number)[]) => {
        if (type === "date" && isoDateDay(value) === null)
          problem(path, `${field} is a date: give it as "YYYY-MM-DD" (got ${JSON.stringify(value)})`);
        if (type === "number" && typeof value !== "number")
          problem(path, `${field} is a number: give a number (got ${JSON.stringify(value)})`);
      };
      if (typeof test === "string" || typeof test === "number") checkValue(test, []);
      else if (Array.isArray(test)) test.forEach((v, i) => checkValue(v, [i]));
      else if ("set" in test) continue;
      else if (type === "text")
        problem([], `${field} is text: a range makes no sense, give a value, a list or { set: true|false }`);
      else {
        if (test.min !== undefined) checkValue(test.min, ["min"]);
        if (test.max !== undefined) checkValue(test.max, ["max"]);
        const min = test.min === undefined ? undefined : type === "date" ? isoDateDay(test.min) : test.min;
        const max = test.max === undefined ? undefined : type === "date" ? isoDateDay(test.max) : test.max;
        if (typeof min === "number" && typeof max === "number" && min > max)
          problem(["max"], `max must not be below min`);
      }
    }
  });

const rangeSchema = z
  .object({ min: finite.optional(), max: finite.optional() })
  .strict()
  .refine((r) => r.min !== undefined || r.max !== undefined, "give min, max or both")
  .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, {
    message: "max must not be below min",
    path: ["max"],
  });

export const conditionsSchema = z
  .object({
    /** The account's segment is one of these. */
    segment: z.array(z.string().min(1).max(100)).min(1).optional(),
    /** The account's MRR (or ARR, 12 x MRR) is within the range; an account without MRR fails it. */
    mrr: rangeSchema.optional(),
    arr: rangeSchema.optional(),
    /** The account has an owner (set) or not (unset). */
    owner: z.enum(["set", "unset"]).optional(),
    /** The account is in one of these bands now. */
    band: bandList.optional(),
    /** Any account field: `account: { seats: { min: 50 }, domain: { set: true } }`. */
    account: accountTestsSchema.optional(),
  })
  .strict();
export type Conditions = z.output<typeof conditionsSchema>;

// ---- Actions ----

/** Who owns a case a play opens: nobody yet (claimed with the buttons), the account's owner, a fixed
 *  user, or each of a list in turn. */
const ownerSchema = z.union(
  [z.enum(["none", "account_owner"]), userId, z.object({ round_robin: z.array(userId).min(1) }).strict()],
  { error: 'an owner is "none", "account_owner", a Slack user id, or { round_robin: [user ids] }' },
);
export type CaseOwner = z.output<typeof ownerSchema>;

export const actionSchema = z.union(
  [
    /** Open the account's case (one open case per account: if one is open, the play replies in it). */
    z
      .object({
        open_case: z
          .object({
            channel: channelRefSchema.default("alert_channel"),
            owner: ownerSchema.default("none"),
            /** Business days from assignment (or from opening, with an owner) to the due date. */
            due_business_days: businessDays.default(5),
            /** Tasks shown in the thread, each with a button to tick it. */
            tasks: z.array(z.string().min(1).max(150)).max(10).default([]),
          })
          .strict(),
      })
      .strict(),
    /** A reply in the account's open case (nothing when it has none). */
    z.object({ reply_in_case: z.object({ text: template }).strict() }).strict(),
    /** A DM to the account's owner (matched to Slack; nothing when unmatched). */
    z.object({ dm_owner: z.object({ text: template }).strict() }).strict(),
    /** A message to a channel. */
    z.object({ post: z.object({ channel: channelRefSchema, text: template }).strict() }).strict(),
    /** A signed JSON POST (X-CSS-Signature: HMAC-SHA256 of timestamp.body), retried, logged. */
    z.object({ webhook: z.object({ url: z.url({ protocol: /^https?$/ }) }).strict() }).strict(),
    /** Escalate the play's case when nobody has claimed it for `after_business_days`. */
    z
      .object({
        escalate: z
          .object({
            /** Unset: the workspace's escalate_after_business_days setting (2 unless changed). */
            after_business_days: businessDays.optional(),
            /** Mentioned in the escalation: the workspace's escalation lead or a user. */
            to: z.union([z.literal("escalation_lead"), userId]).default("escalation_lead"),
          })
          .strict(),
      })
      .strict(),
    /** Whether the account's band change appears in the digest (default: include). */
    z.object({ digest: z.enum(["include", "exclude"]) }).strict(),
  ],
  { error: oneKindError("action", () => ACTION_KINDS) },
);
export type Action = z.output<typeof actionSchema>;
export const ACTION_KINDS = [
  "open_case",
  "reply_in_case",
  "dm_owner",
  "post",
  "webhook",
  "escalate",
  "digest",
] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

export function actionKind(action: Action): ActionKind {
  return Object.keys(action)[0] as ActionKind;
}

export const playSchema = z
  .object({
    key,
    label: z.string().max(80).optional(),
    description: z.string().max(2000).optional(),
    trigger: triggerSchema,
    when: conditionsSchema.default({}),
    actions: z.array(actionSchema).min(1, "a play needs at least one action"),
    /** After a fire, the play stays silent for the same account this many days. */
    cooldown_days: z.number().int().min(0).max(365).default(0),
    /** At most this many fires a local day; the rest are told in one summary message. */
    max_per_day: z.number().int().min(1).max(10_000).optional(),
    /** Whether quiet hours hold this play's messages (a play that must always reach people: false). */
    respect_quiet_hours: z.boolean().default(true),
  })
  .strict()
  .superRefine((play, ctx) => {
    const kinds = play.actions.map(actionKind);
    kinds.forEach((kind, i) => {
      if (kinds.indexOf(kind) < i)
        ctx.addIssue({ code: "custom", path: ["actions", i], message: `${kind} is listed twice` });
    });
    if (triggerKind(play.trigger) === "connector_failed") {
      play.actions.forEach((a, i) => {
        if (!["post", "webhook"].includes(actionKind(a)))
          ctx.addIssue({
            code: "custom",
            path: ["actions", i],
            message: `a connector_failed play has no account: it may only post or call a webhook, not ${actionKind(a)}`,
          });
      });
      if (Object.keys(play.when).length > 0)
        ctx.addIssue({
          code: "custom",
          path: ["when"],
          message: "a connector_failed play has no account to test conditions on",
        });
    }
    // Templates: unknown fields, and revenue where a channel would show it (a case is a thread).
    play.actions.forEach((a, i) => {
      const text =
        "post" in a
          ? a.post.text
          : "reply_in_case" in a
            ? a.reply_in_case.text
            : "dm_owner" in a
              ? a.dm_owner.text
              : null;
      if (text === null) return;
      const kind = actionKind(a);
      for (const message of templateProblems(text, { revenue: kind === "dm_owner" }))
        ctx.addIssue({ code: "custom", path: ["actions", i, kind, "text"], message });
    });
    if (kinds.includes("escalate") && !kinds.includes("open_case"))
      ctx.addIssue({
        code: "custom",
        path: ["actions"],
        message: "escalate needs an open_case action in the same play (it escalates that case)",
      });
  });
export type Play = z.output<typeof playSchema>;

export const playbookSchema = z
  .object({
    name: z.string().min(1).max(100),
    description: z.string().max(2000).optional(),
    /** Messages of plays that respect them wait until `to` (the workspace's time zone). */
    quiet_hours: z
      .object({ from: hhmm, to: hhmm })
      .strict()
      .refine((q) => q.from !== q.to, { message: "from and to must differ", path: ["to"] })
      .optional(),
    plays: z
      .array(playSchema)
      .min(1)
      .max(100)
      .superRefine((plays, ctx) => {
        const seen = new Map<string, number>();
        plays.forEach((p, i) => {
          const first = seen.get(p.key);
          if (first !== undefined)
            ctx.addIssue({
              code: "custom",
              path: [i, "key"],
              message: `duplicate play "${p.key}" (also plays[${first}])`,
            });
          seen.set(p.key, i);
        });
      }),
  })
  .strict();
export type Playbook = z.output<typeof playbookSchema>;
