// css-bot track-secret [--rotate]: creates (or replaces) the workspace's signing secret of the track
// webhook (POST /api/v1/track) and prints it, once: only its sealed form is stored.
import type { Command } from "commander";
import { SecretBox } from "../../security/secret-box.ts";
import { createTrackSecret } from "../../services/track-secret.ts";
import type { CliContext } from "../context.ts";
import { withWorkspace } from "../workspace.ts";

export function registerTrackSecret(program: Command, ctx: CliContext): void {
  program
    .command("track-secret")
    .description("create the track webhook's signing secret and print it (once); --rotate replaces it")
    .option("--rotate", "replace the existing secret (requests signed with the old one get 401)")
    .option("--json", "print JSON")
    .action(async (opts: { rotate?: boolean; json?: boolean }, command: Command) => {
      const box = ctx.config.encryptionKey ? new SecretBox(ctx.config.encryptionKey) : null;
      const { secret, rotated, workspace } = await withWorkspace(
        ctx,
        command,
        { create: true },
        async (db, ws) => ({
          ...(await createTrackSecret(db.prisma, box, ws.id, { rotate: opts.rotate ?? false, actor: "cli" })),
          workspace: ws.slug,
        }),
      );
      if (opts.json) {
        ctx.io.stdout.write(`${JSON.stringify({ workspace, secret, rotated }, null, 2)}\n`);
        return;
      }
      ctx.io.stdout.write(
        `${rotated ? "rotated" : "created"} the track signing secret of workspace ${workspace}:\n\n` +
          `  ${secret}\n\n` +
          "Store it now: it is not shown again. Set it as the shared secret of Segment's webhook destination;\n" +
          "requests to /api/v1/track must carry X-Signature, the hex HMAC-SHA1 of the body under it.\n",
      );
    });
}
