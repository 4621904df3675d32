// css-bot import accounts|metrics|responses FILE
import { Option, type Command } from "commander";
import { ENCODINGS, type Encoding } from "../../ingest/decode-text.ts";
import { RECORD_KINDS, type RecordKind } from "../../ingest/record-schemas.ts";
import { importFile } from "../../services/import-records.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { withWorkspace } from "../workspace.ts";

export function registerImport(program: Command, ctx: CliContext): void {
  program
    .command("import")
    .description("import accounts, metric observations or survey responses from a CSV or JSON Lines file")
    .argument("<kind>", `what the file holds: ${RECORD_KINDS.join(", ")}`)
    .argument("<file>", "the file (.csv, .jsonl or .ndjson)")
    .option(
      "--skip-invalid",
      "import the valid rows and report the invalid ones (default: any invalid row imports nothing)",
    )
    .addOption(
      new Option(
        "--encoding <encoding>",
        "how the file's bytes are text (a file that is not UTF-8 is refused)",
      )
        .choices(ENCODINGS)
        .default("utf8"),
    )
    .option("--json", "print the result as JSON")
    .action(
      async (
        kind: string,
        file: string,
        opts: { skipInvalid?: boolean; json?: boolean; encoding: Encoding },
        command: Command,
      ) => {
        if (!(RECORD_KINDS as readonly string[]).includes(kind)) {
          throw new UsageError(
            `import: unknown kind ${JSON.stringify(kind)}; expected one of ${RECORD_KINDS.join(", ")}`,
          );
        }
        const result = await withWorkspace(ctx, command, { create: true }, (db, workspace) =>
          importFile(db.prisma, workspace.id, kind as RecordKind, file, {
            skipInvalid: opts.skipInvalid ?? false,
            encoding: opts.encoding,
            progress: ctx.progress(),
          }),
        );
        if (!result.report.empty) ctx.io.stderr.write(`${result.report.lines().join("\n")}\n`);
        if (opts.json) {
          ctx.io.stdout.write(
            `${JSON.stringify({ kind, file, rows: result.rows, imported: result.imported, invalid: result.invalid, superseded: result.superseded })}\n`,
          );
        } else {
          const skipped = result.invalid > 0 ? `, skipped ${result.invalid} invalid row(s)` : "";
          const superseded =
            result.superseded > 0
              ? `; ${result.superseded} kept another source's value for the day, ranked above a file's (see docs/data.md, "Source precedence")`
              : "";
          ctx.io.stdout.write(`imported ${result.imported} ${kind} from ${file}${skipped}${superseded}\n`);
        }
      },
    );
}
