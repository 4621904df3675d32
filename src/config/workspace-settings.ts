// A workspace's settings (stored as JSON on the workspace), validated with zod. Defaults apply to
// whatever a workspace has not set, so adding a setting never needs a data migration.
import { z } from "zod";
import { isTimeZone } from "../domain/schedule/slots.ts";

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a time HH:MM (24-hour)");

export const workspaceSettingsSchema = z.object({
  /** IANA time zone for schedules, digests and as-of dates. */
  timezone: z.string().refine(isTimeZone, "must be an IANA time zone such as Europe/Paris").default("UTC"),
  /** When scores are recomputed: a 5-field cron pattern in the workspace's time zone. */
  recompute_cron: z
    .string()
    .trim()
    .regex(/^\S+(\s+\S+){4}$/, "must be a 5-field cron pattern (minute hour day month weekday)")
    .default("0 * * * *"),
  /** Local time of the daily digest. */
  digest_time: hhmm.default("09:00"),
  /** Days of the digest, 1 = Monday ... 7 = Sunday. */
  digest_days: z.array(z.number().int().min(1).max(7)).min(1).default([1, 2, 3, 4, 5]),
});

export type WorkspaceSettings = z.output<typeof workspaceSettingsSchema>;

/** The settings of a workspace, defaults filled in; stored values that no longer validate fall back. */
export function readSettings(stored: unknown): WorkspaceSettings {
  const parsed = workspaceSettingsSchema.safeParse(stored ?? {});
  return parsed.success ? parsed.data : workspaceSettingsSchema.parse({});
}
