// css-bot doctor: checks the install end to end (database, migrations, Redis, Slack, channels,
// settings, encryption key, connectors, the churn map) and says what to fix. Exit code 1 when a check fails.
import path from "node:path";
import type { Command } from "commander";
import { maskUrl, openDatabase } from "../../db/client.ts";
import { SecretBox } from "../../security/secret-box.ts";
import type { Check, DoctorReport } from "../../services/doctor/check.ts";
import { runDoctor } from "../../services/doctor/run-doctor.ts";
import { slackForCommand } from "../../slack/access.ts";
import type { CliContext } from "../context.ts";
import { UserError } from "../errors.ts";
import { workspaceSlug } from "../workspace.ts";

export function registerDoctor(program: Command, ctx: CliContext): void {
  program
    .command("doctor")
    .description(
      "check the database, migrations, Redis, Slack (token, scopes, channels), settings, encryption key, connectors and the churn map",
    )
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }, command: Command) => {
      const { config } = ctx;
      const box = config.encryptionKey ? new SecretBox(config.encryptionKey) : null;
      const result = await runDoctor({
        // Not withDatabase: it would apply pending migrations, which doctor is there to report.
        openDatabase: () => openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }),
        databaseWhere: config.databaseUrl ? maskUrl(config.databaseUrl) : path.join(config.dataDir, "pglite"),
        workspaceSlug: workspaceSlug(command),
        defaultWorkspace: config.defaultWorkspace,
        redisUrl: config.redisUrl,
        slack: config.slack,
        box,
        slackFor: (prisma, workspace) => slackForCommand({ config: config.slack, prisma, box, workspace }),
        now: new Date(),
      });
      ctx.io.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : describe(result));
      const failed = result.checks.filter((c) => c.status === "fail").length;
      if (failed > 0) throw new UserError(`doctor: ${failed} check${failed === 1 ? "" : "s"} failed`);
    });
}

function describe(result: DoctorReport): string {
  const width = Math.max(...result.checks.map((c) => c.name.length));
  const lines = result.checks.map((c) => line(c, width));
  const count = (status: Check["status"]) => result.checks.filter((c) => c.status === status).length;
  lines.push("", `${count("ok")} ok, ${count("warn")} warning(s), ${count("fail")} failure(s)`, "");
  return lines.join("\n");
}

function line(c: Check, width: number): string {
  const fix = c.fix ? `${/[.?!]$/.test(c.message) ? "" : "."} Fix: ${c.fix}` : "";
  return `${c.status.padEnd(4)}  ${c.name.padEnd(width)}  ${c.message}${fix}`;
}
