// The workspace's time zone: schedules, digests and as-of dates follow it, and left unset it is UTC.
import { workspaceSettingsSchema } from "../../config/workspace-settings.ts";
import { ok, warn, type Check } from "./check.ts";

/** `stored` is the workspace's settings JSON as stored (before defaults fill it in). */
export function checkSettingsTimeZone(stored: unknown): Check {
  const fix = "npx css-bot settings set --timezone Europe/Paris (your IANA time zone)";
  const value = (stored as { timezone?: unknown } | null)?.timezone;
  if (value === undefined) {
    return warn("time zone", "not set: recomputes and the digest run on UTC time", fix);
  }
  const parsed = workspaceSettingsSchema.shape.timezone.safeParse(value);
  if (!parsed.success) {
    return warn(
      "time zone",
      `the stored ${JSON.stringify(value)} is not a time zone this runtime knows: UTC is used`,
      fix,
    );
  }
  return ok("time zone", parsed.data);
}
