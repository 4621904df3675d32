// css-bot apikey create|list|revoke: the ingest API's bearer keys, per workspace. A key is shown
// once, when it is created; only its SHA-256 and its prefix are stored.
import type { Command } from "commander";
import type { ApiKey } from "../../generated/prisma/client.ts";
import {
  createApiKey,
  displayPrefix,
  listWorkspaceApiKeys,
  revokeWorkspaceApiKey,
} from "../../services/api-keys.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { table } from "../output/format.ts";
import { withWorkspace } from "../workspace.ts";

export function registerApiKey(program: Command, ctx: CliContext): void {
  const apikey = program
    .command("apikey")
    .description("create, list and revoke the ingest API's keys (per workspace)");

  apikey
    .command("create")
    .description("create a key and print it (once: it cannot be shown again)")
    .requiredOption("--name <name>", "what the key is for, e.g. the system that will use it")
    .option("--json", "print JSON")
    .action(async (opts: { name: string; json?: boolean }, command: Command) => {
      const name = opts.name.trim();
      if (name === "" || name.length > 100) throw new UsageError("--name must be 1 to 100 characters");
      const { created, workspace } = await withWorkspace(ctx, command, { create: true }, async (db, ws) => ({
        created: await createApiKey(db.prisma, ws.id, name, "cli"),
        workspace: ws.slug,
      }));
      const { apiKey, key } = created;
      if (opts.json) {
        ctx.io.stdout.write(`${JSON.stringify({ ...describe(apiKey), key, workspace }, null, 2)}\n`);
        return;
      }
      ctx.io.stdout.write(
        `created API key ${apiKey.id} (${displayPrefix(apiKey.prefix)}, "${apiKey.name}") for workspace ${workspace}:\n\n` +
          `  ${key}\n\n` +
          "Store it now: it is not shown again. Send it as `Authorization: Bearer <key>`.\n",
      );
    });

  apikey
    .command("list")
    .description("list the workspace's keys (never the keys themselves)")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }, command: Command) => {
      const keys = await withWorkspace(ctx, command, { create: false }, (db, ws) =>
        listWorkspaceApiKeys(db.prisma, ws.id),
      );
      if (opts.json) {
        ctx.io.stdout.write(`${JSON.stringify(keys.map(describe), null, 2)}\n`);
        return;
      }
      if (keys.length === 0) {
        ctx.io.stdout.write("no API keys (create one with `css-bot apikey create --name <name>`)\n");
        return;
      }
      ctx.io.stdout.write(
        `${table(
          ["id", "name", "prefix", "created", "revoked"],
          keys.map((k) => {
            const d = describe(k);
            return [d.id, d.name, d.prefix, d.created_at, d.revoked_at ?? "–"];
          }),
        )}\n`,
      );
    });

  apikey
    .command("revoke")
    .description("revoke a key: requests with it get 401 from then on")
    .argument("<key>", "the key's id or prefix (as `apikey list` shows them)")
    .action(async (idOrPrefix: string, _opts: unknown, command: Command) => {
      const { apiKey, alreadyRevoked } = await withWorkspace(ctx, command, { create: false }, (db, ws) =>
        revokeWorkspaceApiKey(db.prisma, ws.id, idOrPrefix, "cli"),
      );
      ctx.io.stdout.write(
        alreadyRevoked
          ? `API key ${apiKey.id} (${displayPrefix(apiKey.prefix)}) was already revoked at ${apiKey.revokedAt!.toISOString()}\n`
          : `revoked API key ${apiKey.id} (${displayPrefix(apiKey.prefix)}, "${apiKey.name}")\n`,
      );
    });
}

/** The public JSON shape of a key (without the key). */
function describe(k: ApiKey) {
  return {
    id: k.id,
    name: k.name,
    prefix: displayPrefix(k.prefix),
    created_at: k.createdAt.toISOString(),
    revoked_at: k.revokedAt?.toISOString() ?? null,
  };
}
