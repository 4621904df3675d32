import { KnownError } from "../errors.ts";

/** A problem with an input file as a whole (missing, unknown format, bad header, not UTF-8). */
export class InputFileError extends KnownError {
  readonly code = "INPUT_FILE";
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly line: number | null = null,
  ) {
    super(`${file}${line === null ? "" : `:${line}`}: ${reason}`);
  }
}
