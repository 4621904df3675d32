// The commands that create a workspace's signing secret and print it, once (track-secret,
// webhook-secret): only its sealed form is stored, so this is the one time anyone sees it.
import type { Command } from "commander";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { SecretBox } from "../security/secret-box.ts";
import type { CliContext } from "./context.ts";
import { withWorkspace } from "./workspace.ts";

export interface SecretCommand {
  name: string;
  description: string;
  /** "the track signing secret" */
  what: string;
  /** What --rotate does to those using the old secret. */
  rotateHelp: string;
  create(
    prisma: PrismaClient,
    box: SecretBox | null,
    workspaceId: number,
    o: { rotate: boolean; actor: string },
  ): Promise<{ secret: string; rotated: boolean }>;
  /** The text after the secret: where to put it, how it is used. */
  howToUse(rotated: boolean): string;
}

export function registerSecretCommand(program: Command, ctx: CliContext, spec: SecretCommand): void {
  program
    .command(spec.name)
    .description(spec.description)
    .option("--rotate", spec.rotateHelp)
    .option("--json", "print JSON")
    .action(async (opts: { rotate?: boolean; json?: boolean }, command: Command) => {
      const box = ctx.config.encryptionKey ? new SecretBox(ctx.config.encryptionKey) : null;
      const { secret, rotated, workspace } = await withWorkspace(
        ctx,
        command,
        { create: true },
        async (db, ws) => ({
          ...(await spec.create(db.prisma, box, ws.id, { rotate: opts.rotate ?? false, actor: "cli" })),
          workspace: ws.slug,
        }),
      );
      if (opts.json) {
        ctx.io.stdout.write(`${JSON.stringify({ workspace, secret, rotated }, null, 2)}\n`);
        return;
      }
      ctx.io.stdout.write(
        `${rotated ? "rotated" : "created"} ${spec.what} of workspace ${workspace}:\n\n` +
          `  ${secret}\n\n` +
          `Store it now: it is not shown again. ${spec.howToUse(rotated)}`,
      );
    });
}
