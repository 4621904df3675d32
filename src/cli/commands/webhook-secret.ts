// css-bot webhook-secret [--rotate]: creates (or replaces) the key plays' webhook calls are signed
// with and prints it, once (only its sealed form is stored), with how a receiver checks a call.
import type { Command } from "commander";
import { createWebhookSecret } from "../../services/plays/webhook-secret.ts";
import type { CliContext } from "../context.ts";
import { registerSecretCommand } from "../secret-command.ts";

export function registerWebhookSecret(program: Command, ctx: CliContext): void {
  registerSecretCommand(program, ctx, {
    name: "webhook-secret",
    description:
      "create the key plays' webhook calls are signed with and print it (once); --rotate replaces it",
    what: "the webhook signing secret",
    rotateHelp: "replace the existing secret (receivers must take the new one)",
    create: createWebhookSecret,
    howToUse: (rotated) =>
      "Each call carries X-CSS-Timestamp (unix seconds) and\n" +
      'X-CSS-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>" keyed with this secret, as text>.\n' +
      "A receiver recomputes it over the raw body, compares in constant time, and refuses a timestamp\n" +
      "more than 5 minutes off; X-CSS-Delivery is the same on every try of a call (see docs/playbooks.md).\n" +
      (rotated
        ? "Calls from now on are signed with the new secret, retries of earlier calls too.\n"
        : "A worker that serves notifications (one with Slack) starts sending calls within 5 minutes.\n"),
  });
}
