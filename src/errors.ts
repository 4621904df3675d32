// Errors the user can act on: each has a stable code and a message that names what was wrong
// (file, line, field, option). The CLI (and later the Slack and HTTP edges) show the message as it
// is; anything else is an unexpected failure, reported with an id.
export abstract class KnownError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
