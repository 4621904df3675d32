// Every refusal of the ingest API is an ApiError: a status, a stable `error` code, a message for
// people, and sometimes more fields or headers. The router turns it into the JSON reply
// `{"error": code, "message": ..., ...fields}`; anything else is a 500 with an id.
import { KnownError } from "../errors.ts";

export class ApiError extends KnownError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  get body(): Record<string, unknown> {
    return { error: this.code, message: this.message, ...this.fields };
  }
}
