// `css-bot webhook-secret` and `css-bot plays deliveries` on the real PostgreSQL, run in-process.
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { registerPlaysDeliveries } from "../../src/cli/commands/plays-deliveries.ts";
import { createContext } from "../../src/cli/context.ts";
import { reportError } from "../../src/cli/errors.ts";
import { loadConfig } from "../../src/config/env.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { SecretBox } from "../../src/security/secret-box.ts";
import { findSealedSecrets } from "../../src/services/sealed-secrets.ts";
import { openWebhookSecret } from "../../src/services/plays/webhook-secret.ts";
import { enqueueWebhook } from "../../src/services/plays/webhooks.ts";
import { runCli, type CliResult } from "../support/cli.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";

const KEY = Buffer.alloc(32, 5);
let db: TestDatabase;
let env: Record<string, string>;

beforeEach(async () => {
  db = await createTestDatabase("postgres");
  env = { DATABASE_URL: db.url!, CSS_ENCRYPTION_KEY: KEY.toString("hex") };
});
afterEach(async () => db.close());

/**
 * `css-bot plays deliveries ...`: the `plays` command is another file's (plays.ts), so this builds
 * the part of the program that matters here, as cli/main.ts builds the whole.
 */
async function playsCli(args: string[]): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const io = {
    stdout: { write: (s: string) => void (stdout += s) },
    stderr: { write: (s: string) => void (stderr += s) },
    interactive: false,
  };
  const ctx = createContext(io, loadConfig(env));
  const program = new Command("css-bot")
    .option("-w, --workspace <slug>", "workspace to act on", ctx.config.defaultWorkspace)
    .exitOverride();
  registerPlaysDeliveries(program.command("plays"), ctx);
  let code = 0;
  try {
    await program.parseAsync(["node", "css-bot", "plays", ...args]);
  } catch (error) {
    code = reportError(error, io.stderr);
  }
  return { code, stdout, stderr };
}

describe("css-bot webhook-secret", () => {
  it("prints the secret once, refuses to replace it without --rotate, and rotates", async () => {
    const created = await runCli(["webhook-secret"], env);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain("created the webhook signing secret of workspace local");
    expect(created.stdout).toContain("X-CSS-Signature: v1=");
    expect(created.stdout).toContain("not shown again");
    const printed = /^ {2}([0-9a-f]{64})$/m.exec(created.stdout)![1]!;
    const ws = await db.prisma.workspace.findUniqueOrThrow({ where: { slug: "local" } });
    // Stored sealed, never in clear; the key the calls are signed with is the printed text.
    expect(Buffer.from(ws.webhookSecret!).toString("latin1")).not.toContain(printed);
    expect(await openWebhookSecret(db.prisma, new SecretBox(KEY), ws.id)).toEqual(
      Buffer.from(printed, "utf8"),
    );
    // The start's warning and the doctor know it needs the key.
    expect(await findSealedSecrets(db.prisma)).toEqual([
      { workspace: "local", kind: "webhook-secret", what: "the webhook signing secret" },
    ]);

    const again = await runCli(["webhook-secret"], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("webhook-secret --rotate");

    const rotated = await runCli(["webhook-secret", "--rotate", "--json"], env);
    expect(rotated.code).toBe(0);
    const json = JSON.parse(rotated.stdout) as { secret: string; rotated: boolean; workspace: string };
    expect(json).toMatchObject({ rotated: true, workspace: "local" });
    expect(json.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(json.secret).not.toBe(printed);
    expect(await openWebhookSecret(db.prisma, new SecretBox(KEY), ws.id)).toEqual(Buffer.from(json.secret));
    const audit = await db.prisma.auditLogEntry.findMany({
      where: { workspaceId: ws.id },
      orderBy: { id: "asc" },
    });
    expect(audit.map((a) => a.action)).toEqual(["webhook-secret.create", "webhook-secret.rotate"]);
  });

  it("needs CSS_ENCRYPTION_KEY", async () => {
    const result = await runCli(["webhook-secret"], { DATABASE_URL: db.url! });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "CSS_ENCRYPTION_KEY is not set: the webhook signing secret is stored encrypted",
    );
    expect(result.stdout).toBe("");
  });
});

describe("css-bot plays deliveries", () => {
  it("prints the delivery log, newest first, with the URL's host and path only", async () => {
    const ws = await ensureWorkspace(db.prisma, "local");
    const first = await enqueueWebhook(db.prisma, ws.id, {
      playFireId: 1n,
      url: "https://hooks.example.com/in/css?token=s3cr3t",
      payload: { n: 1 },
    });
    await db.prisma.webhookDelivery.update({
      where: { id: first.id! },
      data: { status: "failed", attempts: 6, lastError: "ECONNREFUSED (after 6 tries)" },
    });
    const second = await enqueueWebhook(db.prisma, ws.id, {
      playFireId: 2n,
      url: "http://crm.example.org:8080/webhooks",
      payload: { n: 2 },
    });
    const deliveredAt = new Date("2026-12-07T10:00:05.000Z");
    await db.prisma.webhookDelivery.update({
      where: { id: second.id! },
      data: { status: "delivered", attempts: 1, lastStatus: 200, lastError: null, deliveredAt },
    });
    // Another workspace's calls are not this one's log.
    const other = await ensureWorkspace(db.prisma, "globex");
    await enqueueWebhook(db.prisma, other.id, {
      playFireId: 3n,
      url: "https://other.example/x",
      payload: {},
    });

    const json = await playsCli(["deliveries", "--json"]);
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(rows).toEqual([
      {
        id: second.id!.toString(),
        url: "crm.example.org:8080/webhooks",
        status: "delivered",
        attempts: 1,
        last_status: 200,
        last_error: null,
        created_at: expect.any(String) as string,
        delivered_at: deliveredAt.toISOString(),
        next_attempt_at: null,
      },
      {
        id: first.id!.toString(),
        url: "hooks.example.com/in/css",
        status: "failed",
        attempts: 6,
        last_status: null,
        last_error: "ECONNREFUSED (after 6 tries)",
        created_at: expect.any(String) as string,
        delivered_at: null,
        next_attempt_at: null,
      },
    ]);
    expect(json.stdout).not.toContain("s3cr3t");

    const limited = JSON.parse(
      (await playsCli(["deliveries", "--json", "--limit", "1"])).stdout,
    ) as unknown[];
    expect(limited).toHaveLength(1);

    const text = await playsCli(["deliveries"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("hooks.example.com/in/css");
    expect(text.stdout).toContain("ECONNREFUSED (after 6 tries)");
    expect(text.stdout).toContain("2026-12-07 10:00:05");
    expect(text.stdout).not.toContain("other.example");

    const empty = await playsCli(["deliveries", "-w", "globex", "--limit", "0"]);
    expect(empty.code).toBe(2); // a usage error
    expect(empty.stderr).toContain("--limit must be a number from 1 to 10000");
  });
});
