// css-bot connectors add|list|sync|remove|write-back|writes: the sources a workspace's data is synced from. Secrets
// come from a file or CSS_CONNECTOR_SECRET (never a flag, which would land in shell history), are
// stored sealed and are never printed.
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { runSync, type SyncResult } from "../../connectors/sync-runner.ts";
import type { ConnectorListing } from "../../db/repositories/connectors.ts";
import { connectorSync, connectorSyncJobId } from "../../jobs/definitions/connector-sync.ts";
import { enqueue } from "../../jobs/enqueue.ts";
import { ifQueuesReachable, withQueues } from "../queues.ts";
import { removeConnectorSchedule, upsertConnectorSchedule } from "../../jobs/connector-schedules.ts";
import { readSettings } from "../../config/workspace-settings.ts";
import { slotKey } from "../../domain/schedule/slots.ts";
import { SecretBox } from "../../security/secret-box.ts";
import {
  addConnector,
  availableKinds,
  connectorListing,
  removeConnector,
  requireConnector,
  setWriteBack,
} from "../../services/connectors.ts";
import { listWriteRuns } from "../../db/repositories/crm-writes.ts";
import { findConnector } from "../../db/repositories/connectors.ts";
import type { CrmWriteRun } from "../../generated/prisma/client.ts";
import { cadenceOf } from "../../connectors/common-settings.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { table } from "../output/format.ts";
import { withWorkspace } from "../workspace.ts";

interface AddOptions {
  kind: string;
  settings?: string;
  settingsFile?: string;
  secretFile?: string;
  writeBack?: boolean;
}

export function registerConnectors(program: Command, ctx: CliContext): void {
  const connectors = program
    .command("connectors")
    .description(
      "the sources the workspace's data is synced from (SQL warehouse, Stripe, HubSpot, Salesforce, Zendesk)",
    );

  connectors
    .command("add")
    .description("add a connector, or update the one of that name (its schedule follows at once)")
    .argument("<name>", "a name for it, e.g. warehouse")
    .requiredOption("--kind <kind>", `the source: ${availableKinds().join(", ")}`)
    .option("--settings <json>", "its settings as JSON (see docs/connectors.md)")
    .option("--settings-file <file>", "its settings from a JSON file")
    .option(
      "--secret-file <file>",
      "its credentials from a JSON file (else from CSS_CONNECTOR_SECRET; on update, omit both to keep the stored ones)",
    )
    .option("--write-back", "write scores to the CRM's records after each recompute (HubSpot, Salesforce)")
    .option("--no-write-back", "stop writing scores to the CRM (on update; omit both to keep as is)")
    .action(async (name: string, opts: AddOptions, command: Command) => {
      if (opts.settings !== undefined && opts.settingsFile !== undefined)
        throw new UsageError("give --settings or --settings-file, not both");
      const settings =
        opts.settingsFile !== undefined
          ? parseJson(readText(opts.settingsFile, "--settings-file"), `--settings-file ${opts.settingsFile}`)
          : opts.settings !== undefined
            ? parseJson(opts.settings, "--settings")
            : {};
      const secretText =
        opts.secretFile !== undefined
          ? readText(opts.secretFile, "--secret-file")
          : ctx.config.connectorSecret;
      const secret =
        secretText === undefined
          ? undefined
          : parseJson(
              secretText,
              opts.secretFile ? `--secret-file ${opts.secretFile}` : "CSS_CONNECTOR_SECRET",
              true,
            );
      const box = ctx.config.encryptionKey ? new SecretBox(ctx.config.encryptionKey) : null;
      const { connector, created, scheduled } = await withWorkspace(
        ctx,
        command,
        { create: true },
        async (db, ws) => {
          const added = await addConnector(db.prisma, box, ws.id, {
            name,
            kind: opts.kind,
            settings,
            secret,
            actor: "cli",
            check: true,
            ...(opts.writeBack === undefined ? {} : { writeBack: opts.writeBack }),
          });
          const timezone = readSettings(ws.settings).timezone;
          const scheduled = await ifQueuesReachable(ctx, (q) =>
            upsertConnectorSchedule(q, added.connector, timezone),
          );
          return { ...added, scheduled };
        },
      );
      ctx.io.stdout.write(
        `${created ? "added" : "updated"} ${connector.kind} connector "${connector.name}" (syncs on "${cadenceOf(connector.settings)}"${connector.writeBack ? "; writes scores back after each recompute" : ""})\n` +
          (scheduled
            ? ""
            : "Redis is not reachable: the workers will schedule it when they next sync their schedules (within 5 minutes)\n"),
      );
    });

  connectors
    .command("list")
    .description("the connectors with their status, last sync and last run (never their secrets)")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }, command: Command) => {
      const rows = await withWorkspace(ctx, command, { create: false }, (db, ws) =>
        connectorListing(db.prisma, ws.id),
      );
      if (opts.json) {
        ctx.io.stdout.write(`${JSON.stringify(rows.map(describe), null, 2)}\n`);
        return;
      }
      if (rows.length === 0) {
        ctx.io.stdout.write("no connectors (add one with `css-bot connectors add <name> --kind <kind>`)\n");
        return;
      }
      ctx.io.stdout.write(
        `${table(
          ["name", "kind", "status", "last sync", "last run", "read", "written", "rejected", "superseded"],
          rows.map((c) => {
            const d = describe(c);
            return [
              d.name,
              d.kind,
              d.status,
              d.last_sync_at ?? "never",
              d.last_run?.status ?? "–",
              String(d.last_run?.read ?? "–"),
              String(d.last_run?.written ?? "–"),
              String(d.last_run?.rejected ?? "–"),
              String(d.last_run?.superseded ?? "–"),
            ];
          }),
        )}\n`,
      );
      for (const c of rows) if (c.lastError) ctx.io.stdout.write(`${c.name}: ${c.lastError}\n`);
    });

  connectors
    .command("sync")
    .description("sync a connector now: on the workers, or in this process with --wait")
    .argument("<name>", "the connector")
    .option("--wait", "run it here and print what it read, wrote and rejected")
    .option("--json", "with --wait, print JSON")
    .action(async (name: string, opts: { wait?: boolean; json?: boolean }, command: Command) => {
      if (!opts.wait) {
        const jobId = await withWorkspace(ctx, command, { create: false }, async (db, ws) => {
          const connector = await requireConnector(db.prisma, ws.id, name);
          const slot = `manual-${slotKey(new Date())}-${Date.now()}`;
          return withQueues(ctx, (queues) =>
            enqueue(
              queues,
              connectorSync,
              { workspaceId: ws.id, connectorId: connector.id, slot },
              connectorSyncJobId(connector.id, slot),
            ),
          );
        });
        ctx.io.stdout.write(`queued ${jobId}; follow it with \`css-bot connectors list\`\n`);
        return;
      }
      const box = ctx.config.encryptionKey ? new SecretBox(ctx.config.encryptionKey) : null;
      const result = await withWorkspace(ctx, command, { create: false }, async (db, ws) => {
        const connector = await requireConnector(db.prisma, ws.id, name);
        return runSync({ prisma: db.prisma, box }, connector.id, { workspaceId: ws.id, trigger: "cli" });
      });
      ctx.io.stdout.write(opts.json ? `${JSON.stringify(syncJson(result))}\n` : syncText(result));
    });

  connectors
    .command("write-back")
    .description(
      "turn writing scores back to a connector's CRM on or off (on again after a refused field is fixed)",
    )
    .argument("<name>", "the connector")
    .argument("<on|off>", "on or off")
    .action(async (name: string, state: string, _opts: unknown, command: Command) => {
      if (state !== "on" && state !== "off")
        throw new UsageError(`write-back: say on or off, not ${JSON.stringify(state)}`);
      const connector = await withWorkspace(ctx, command, { create: false }, (db, ws) =>
        setWriteBack(db.prisma, ws.id, name, state === "on", "cli"),
      );
      ctx.io.stdout.write(
        state === "on"
          ? `write-back on for ${connector.kind} connector "${connector.name}": scores are written after the next recompute\n`
          : `write-back off for ${connector.kind} connector "${connector.name}"\n`,
      );
    });

  connectors
    .command("writes")
    .description("a connector's write-back log: each write of scores to its CRM, newest first")
    .argument("<id>", "the connector (its name, or its numeric id)")
    .option("--limit <n>", "how many writes (default 20)", "20")
    .option("--json", "print JSON")
    .action(async (id: string, opts: { limit: string; json?: boolean }, command: Command) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
        throw new UsageError(
          `--limit must be a whole number from 1 to 1000, not ${JSON.stringify(opts.limit)}`,
        );
      const { connector, runs } = await withWorkspace(ctx, command, { create: false }, async (db, ws) => {
        const byId = /^\d+$/.test(id) ? await findConnector(db.prisma, ws.id, Number(id)) : null;
        const connector = byId ?? (await requireConnector(db.prisma, ws.id, id));
        return { connector, runs: await listWriteRuns(db.prisma, connector.id, limit) };
      });
      if (opts.json) {
        ctx.io.stdout.write(
          `${JSON.stringify(
            {
              connector: connector.name,
              kind: connector.kind,
              write_back: connector.writeBack,
              write_back_error: connector.writeBackError,
              writes: runs.map(writeJson),
            },
            null,
            2,
          )}\n`,
        );
        return;
      }
      const state = !connector.writeBack
        ? "off"
        : connector.writeBackError
          ? `stopped: ${connector.writeBackError}`
          : "on";
      ctx.io.stdout.write(`write-back for "${connector.name}": ${state}\n`);
      if (runs.length === 0) {
        ctx.io.stdout.write("no writes yet (they follow each recompute while write-back is on)\n");
        return;
      }
      ctx.io.stdout.write(
        `${table(
          ["started", "status", "considered", "changed", "written", "batches", "error"],
          runs.map((r) => {
            const w = writeJson(r);
            return [
              w.started_at,
              w.status,
              String(w.considered),
              String(w.changed),
              String(w.written),
              String(w.batches),
              w.error ?? "",
            ];
          }),
        )}\n`,
      );
    });

  connectors
    .command("remove")
    .description("remove a connector and its schedule (the data it synced stays)")
    .argument("<name>", "the connector")
    .action(async (name: string, _opts: unknown, command: Command) => {
      const { connector, unscheduled } = await withWorkspace(
        ctx,
        command,
        { create: false },
        async (db, ws) => {
          const connector = await removeConnector(db.prisma, ws.id, name, "cli");
          const unscheduled = await ifQueuesReachable(ctx, (q) => removeConnectorSchedule(q, connector.id));
          return { connector, unscheduled };
        },
      );
      ctx.io.stdout.write(
        `removed ${connector.kind} connector "${connector.name}"\n` +
          (unscheduled
            ? ""
            : "Redis is not reachable: the workers will drop its schedule within 5 minutes\n"),
      );
    });
}

/** The public JSON shape of a connector in `connectors list --json` (never settings or secrets). */
function describe(c: ConnectorListing) {
  const run = c.lastRun;
  return {
    name: c.name,
    kind: c.kind,
    status: c.status,
    cadence: cadenceOf(c.settings),
    last_sync_at: c.lastSyncAt?.toISOString() ?? null,
    last_error: c.lastError,
    write_back: c.writeBack,
    write_back_error: c.writeBackError,
    last_run: run
      ? {
          status: run.status,
          read: run.read,
          written: run.written,
          rejected: run.rejected,
          superseded: run.superseded,
          error: run.error,
          started_at: run.startedAt.toISOString(),
          finished_at: run.finishedAt?.toISOString() ?? null,
          duration_ms: run.finishedAt ? run.finishedAt.getTime() - run.startedAt.getTime() : null,
        }
      : null,
  };
}

/** The public JSON shape of one write in `connectors writes --json`. */
function writeJson(r: CrmWriteRun) {
  return {
    id: r.id.toString(),
    recompute_run_id: r.recomputeRunId?.toString() ?? null,
    status: r.status,
    considered: r.considered,
    changed: r.changed,
    written: r.written,
    batches: r.batches,
    error: r.error,
    started_at: r.startedAt.toISOString(),
    finished_at: r.finishedAt?.toISOString() ?? null,
  };
}

function syncJson(r: SyncResult) {
  return {
    connector: r.name,
    kind: r.kind,
    run_id: r.runId,
    pages: r.pages,
    read: r.read,
    written: r.written,
    rejected: r.rejected,
    superseded: r.superseded,
    duration_ms: r.durationMs,
    rejections: r.rejections,
  };
}

function syncText(r: SyncResult): string {
  const lines = [
    `synced "${r.name}" in ${(r.durationMs / 1000).toFixed(1)} s: ${r.read} read, ${r.written} written, ${r.rejected} rejected${r.superseded > 0 ? `, ${r.superseded} superseded` : ""} (${r.pages} pages)`,
    ...r.rejections.map((x) => `  rejected ${x.record}: ${x.reason}`),
  ];
  if (r.rejected > r.rejections.length) lines.push(`  ... and ${r.rejected - r.rejections.length} more`);
  return `${lines.join("\n")}\n`;
}

function readText(file: string, option: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(
      `${option}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

/** JSON, or a usage error naming where it came from (never quoting a secret). */
function parseJson(text: string, source: string, secret = false): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new UsageError(`${source} is not valid JSON${secret ? "" : `: ${(e as Error).message}`}`);
  }
}
