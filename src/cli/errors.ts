// One place that turns a known error into a clear message and an exit code, and an unknown one
// into a short report with an id to find it by.
import { randomBytes } from "node:crypto";
import { ConfigError } from "../config/env.ts";
import { ModelError } from "../domain/model/parse-model.ts";
import { InputFileError } from "../ingest/read-records.ts";
import { InvalidRowsError } from "../ingest/row-issues.ts";

/** A mistake in how a command was called (bad flag value, missing argument). Exit code 2. */
export class UsageError extends Error {
  readonly code = "USAGE";
}

/** Something the user asked for does not exist or cannot be done as asked. Exit code 1. */
export class UserError extends Error {
  readonly code = "USER";
}

export interface ErrorOutput {
  write(text: string): void;
}

export function reportError(error: unknown, stderr: ErrorOutput): number {
  if (error instanceof UsageError) {
    stderr.write(`error: ${error.message}\n`);
    return 2;
  }
  if (error instanceof InvalidRowsError) {
    stderr.write(`${error.report.lines().join("\n")}\n`);
    stderr.write(`error: ${error.message}\n`);
    return 1;
  }
  if (
    error instanceof ModelError ||
    error instanceof InputFileError ||
    error instanceof ConfigError ||
    error instanceof UserError
  ) {
    stderr.write(`error: ${error.message}\n`);
    return 1;
  }
  if (error instanceof Error && "code" in error && error.code === "DATABASE_UNAVAILABLE") {
    stderr.write(`error: ${error.message}\n`);
    return 1;
  }
  const id = randomBytes(4).toString("hex");
  stderr.write(
    `error: unexpected failure (id ${id}): ${error instanceof Error ? error.message : String(error)}\n`,
  );
  if (error instanceof Error && error.stack) stderr.write(`${error.stack}\n`);
  return 70;
}
