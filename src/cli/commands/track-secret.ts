// css-bot track-secret [--rotate]: creates (or replaces) the workspace's signing secret of the track
// webhook (POST /api/v1/track) and prints it, once: only its sealed form is stored.
import type { Command } from "commander";
import { createTrackSecret } from "../../services/track-secret.ts";
import type { CliContext } from "../context.ts";
import { registerSecretCommand } from "../secret-command.ts";

export function registerTrackSecret(program: Command, ctx: CliContext): void {
  registerSecretCommand(program, ctx, {
    name: "track-secret",
    description: "create the track webhook's signing secret and print it (once); --rotate replaces it",
    what: "the track signing secret",
    rotateHelp: "replace the existing secret (requests signed with the old one get 401)",
    create: createTrackSecret,
    howToUse: () =>
      "Set it as the shared secret of Segment's webhook destination;\n" +
      "requests to /api/v1/track must carry X-Signature, the hex HMAC-SHA1 of the body under it.\n",
  });
}
