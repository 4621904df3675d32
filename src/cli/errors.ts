// One place that turns a known error into a clear message and an exit code, and an unknown one
// into a short report with an id to find it by.
import { randomBytes } from "node:crypto";
import { KnownError } from "../errors.ts";
import { InvalidRowsError } from "../ingest/row-issues.ts";

/** A mistake in how a command was called (bad flag value, missing argument). Exit code 2. */
export class UsageError extends KnownError {
  readonly code = "USAGE";
}

/** Something the user asked for does not exist or cannot be done as asked. Exit code 1. */
export class UserError extends KnownError {
  readonly code = "USER";
}

export interface ErrorOutput {
  write(text: string): void;
}

export function reportError(error: unknown, stderr: ErrorOutput): number {
  if (error instanceof InvalidRowsError) stderr.write(`${error.report.lines().join("\n")}\n`);
  if (error instanceof KnownError) {
    stderr.write(`error: ${error.message}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
  const id = randomBytes(4).toString("hex");
  stderr.write(
    `error: unexpected failure (id ${id}): ${error instanceof Error ? error.message : String(error)}\n`,
  );
  if (error instanceof Error && error.stack) stderr.write(`${error.stack}\n`);
  return 70;
}
