// What `css-bot doctor` reports: one line per check, ok, warn or fail, with what to do about it.
// A warning is something that does not work as a user may expect (no digest channel, so no digest);
// a failure is something broken (Slack refuses the token). Any failure makes the exit code 1.

export type CheckStatus = "ok" | "warn" | "fail";

export interface Check {
  name: string;
  status: CheckStatus;
  message: string;
  /** What to do, usually a command to run; null when the check passed. */
  fix: string | null;
}

export interface DoctorReport {
  /** No check failed (warnings allowed). */
  ok: boolean;
  checks: Check[];
}

export const ok = (name: string, message: string): Check => ({ name, status: "ok", message, fix: null });
export const warn = (name: string, message: string, fix: string): Check => ({
  name,
  status: "warn",
  message,
  fix,
});
export const fail = (name: string, message: string, fix: string): Check => ({
  name,
  status: "fail",
  message,
  fix,
});

export function report(checks: Check[]): DoctorReport {
  return { ok: checks.every((c) => c.status !== "fail"), checks };
}

/** The error's own words, for a message (never a stack). */
export function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
