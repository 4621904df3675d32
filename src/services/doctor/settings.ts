// The workspace's time zone: schedules, digests and as-of dates follow it. Left at its default, UTC,
// a team elsewhere gets its digest and its day's scores at UTC times.
import { workspaceSettingsSchema } from "../../config/workspace-settings.ts";
import { ok, warn, type Check } from "./check.ts";

/**
 * `stored` is the workspace's settings JSON as stored; `chosen`, whether anyone ever set the time
 * zone (the stored settings hold every default once any setting was saved, so they cannot tell).
 */
export function checkSettingsTimeZone(stored: unknown, chosen: boolean): Check {
  const fix = "npx css-bot settings set --timezone Europe/Paris (your IANA time zone)";
  const value = (stored as { timezone?: unknown } | null)?.timezone ?? "UTC";
  const parsed = workspaceSettingsSchema.shape.timezone.safeParse(value);
  if (!parsed.success) {
    const message = `the stored ${JSON.stringify(value)} is not a time zone this runtime knows: UTC is used`;
    return warn("time zone", message, fix);
  }
  if (!chosen && parsed.data === "UTC") {
    return warn("time zone", "never set: recomputes and the digest follow UTC", fix);
  }
  return ok("time zone", parsed.data);
}
