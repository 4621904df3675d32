// The settings every connector has besides its own (contract.ts CommonSettings), as zod shapes a
// definition spreads into its settings schema, so cadence and base URL are checked the same way.
import { z } from "zod";
import { cronProblem } from "../domain/schedule/cron.ts";

/** How often a connector syncs, when its settings do not say: hourly, on the hour. */
export const DEFAULT_CADENCE = "0 * * * *";

/** A 5-field cron pattern, read in the workspace's time zone (as BullMQ reads it). */
export const cadenceSchema = z
  .string()
  .trim()
  .superRefine((pattern, ctx) => {
    const problem = cronProblem(pattern);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/**
 * An http(s) URL that parses (a shape check let `http://[bad` or a port past 65535 through, and the
 * sync then failed on it); the message shows the value, which is not a secret unless it holds
 * credentials, which are refused.
 */
export const baseUrlSchema = z
  .string()
  .trim()
  .superRefine((value, ctx) => {
    const url = parsedUrl(value);
    if (!url || !/^https?:$/.test(url.protocol))
      ctx.addIssue({
        code: "custom",
        message: `${JSON.stringify(value)} is not a valid http:// or https:// URL`,
      });
    // fetch refuses such a URL; and the value is not shown, as it holds a password.
    else if (url.username || url.password)
      ctx.addIssue({
        code: "custom",
        message: "must not hold credentials (user:password@): give them in the secret",
      });
  });

/** The URL, or null when it does not parse. */
export function parsedUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/** Spread into a definition's settings object: `z.object({ ...commonSettingsShape, ... })`. */
export const commonSettingsShape = {
  base_url: baseUrlSchema.optional(),
  cadence: cadenceSchema.optional(),
};

/** The cadence of stored settings (any connector kind), or the default. */
export function cadenceOf(settings: unknown): string {
  const cadence = (settings as { cadence?: unknown } | null)?.cadence;
  return typeof cadence === "string" && cronProblem(cadence) === null ? cadence.trim() : DEFAULT_CADENCE;
}
