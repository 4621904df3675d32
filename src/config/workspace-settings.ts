// A workspace's settings (stored as JSON on the workspace), validated with zod. Defaults apply to
// whatever a workspace has not set, so adding a setting never needs a data migration.
import { z } from "zod";
import { isUserGroupId, type UserGroupId } from "../domain/cases/who-may-act.ts";
import { cronProblem } from "../domain/schedule/cron.ts";
import { isTimeZone } from "../domain/schedule/slots.ts";
import {
  DEFAULT_SOURCE_PRECEDENCE,
  isObservationSource,
  OBSERVATION_SOURCES,
  type SourcePrecedence,
} from "../domain/source-precedence.ts";

const channelId = z.string().regex(/^[CG][A-Z0-9]{2,}$/, "must be a Slack channel id such as C0123ABCD");
const userId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, "must be a Slack user id such as U0123ABCD");
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a time HH:MM (24-hour)");

/** An order of sources, first wins: each a known source, once. */
export const sourceOrderSchema = z
  .array(
    z.string().refine(isObservationSource, {
      error: (issue) =>
        `${JSON.stringify(issue.input)} is not a source (the sources: ${OBSERVATION_SOURCES.join(", ")})`,
    }),
  )
  .min(1, "must name at least one source")
  .superRefine((sources, ctx) => {
    sources.forEach((source, i) => {
      if (sources.indexOf(source) < i)
        ctx.addIssue({ code: "custom", path: [i], message: `${JSON.stringify(source)} is listed twice` });
    });
  });

export const sourcePrecedenceSchema = z.object({
  /** The order of every metric without one of its own. */
  default: sourceOrderSchema.default([...DEFAULT_SOURCE_PRECEDENCE.default]),
  /** Metric name -> its order. */
  metrics: z.record(z.string().min(1).max(100), sourceOrderSchema).default({}),
});

export const workspaceSettingsSchema = z.object({
  /** IANA time zone for schedules, digests and as-of dates. */
  timezone: z.string().refine(isTimeZone, "must be an IANA time zone such as Europe/Paris").default("UTC"),
  /** When scores are recomputed: a 5-field cron pattern in the workspace's time zone. */
  recompute_cron: z
    .string()
    .trim()
    .superRefine((pattern, ctx) => {
      const problem = cronProblem(pattern);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .default("0 * * * *"),
  /** Local time of the daily digest. */
  digest_time: hhmm.default("09:00"),
  /** Days of the digest, 1 = Monday ... 7 = Sunday. */
  digest_days: z.array(z.number().int().min(1).max(7)).min(1).default([1, 2, 3, 4, 5]),
  /** Slack channel of the daily digest (an id such as C0123ABCD); none: no digest is posted. */
  digest_channel: channelId.nullable().default(null),
  /** Slack channel where a thread opens for each account that becomes at risk; none: no alerts. */
  alert_channel: channelId.nullable().default(null),
  /** Slack user mentioned when an at-risk case stays unclaimed (the team's lead). */
  escalation_lead: userId.nullable().default(null),
  /** Business days an at-risk case may stay unclaimed before it is escalated, once. */
  escalate_after_business_days: z.number().int().min(1).max(30).default(2),
  /**
   * Points a snoozed or resolved case's account must fall below its score at snoozing or closing
   * for the case to alert again before its snooze ends or it recovers.
   */
  reopen_points: z.number().int().min(1).max(100).default(10),
  /**
   * Who may assign, snooze and resolve cases: "members" of the workspace's own Slack team who are not
   * guests, only the account's owner, the case's owner and the escalation lead ("owner_and_leads"),
   * or only the members of a Slack user group (its id, such as S0123ABCD: `settings set` takes its
   * @handle too and stores the id).
   */
  case_actors: z
    .union(
      [
        z.enum(["members", "owner_and_leads"]),
        z.custom<UserGroupId>((v) => typeof v === "string" && isUserGroupId(v)),
      ],
      {
        error: 'must be "members", "owner_and_leads" or a Slack user group id such as S0123ABCD',
      },
    )
    .default("members"),
  /** At most this many at-risk threads open per local day; the backlog opens highest MRR first. */
  case_threads_per_day: z.number().int().min(1).max(500).default(25),
  /**
   * Whose value stands when several sources write one account's metric on one day (docs/data.md, "Source
   * precedence"); unset: domain/source-precedence.ts's default.
   */
  source_precedence: sourcePrecedenceSchema.default({
    default: [...DEFAULT_SOURCE_PRECEDENCE.default],
    metrics: {},
  }),
});

export type WorkspaceSettings = z.output<typeof workspaceSettingsSchema>;

/**
 * The settings of a workspace with defaults filled in. Settings are validated when they are written;
 * should a stored value still not validate (say, a time zone this runtime no longer knows), that one
 * setting falls back to its default and the others keep their values.
 */
export function readSettings(stored: unknown): WorkspaceSettings {
  const input = stored !== null && typeof stored === "object" ? (stored as Record<string, unknown>) : {};
  const whole = workspaceSettingsSchema.safeParse(input);
  if (whole.success) return whole.data;
  const valid = Object.fromEntries(
    Object.entries(workspaceSettingsSchema.shape).flatMap(([key, field]) => {
      const parsed = field.safeParse(input[key]);
      return parsed.success ? [[key, parsed.data]] : [];
    }),
  );
  return workspaceSettingsSchema.parse(valid);
}

/**
 * Only the source precedence of stored settings (every write of observations reads it, so the other
 * settings are not validated here); like readSettings, the default when it does not validate.
 */
export function readSourcePrecedence(stored: unknown): SourcePrecedence {
  const value =
    stored !== null && typeof stored === "object"
      ? (stored as Record<string, unknown>).source_precedence
      : undefined;
  const parsed = workspaceSettingsSchema.shape.source_precedence.safeParse(value);
  return parsed.success ? parsed.data : DEFAULT_SOURCE_PRECEDENCE;
}
