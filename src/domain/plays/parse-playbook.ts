// Reads a playbook from YAML or JSON text. Errors name the file, the line and the path in the
// playbook (`plays[1].trigger.score_drop.points: ...`).
import { KnownError } from "../../errors.ts";
import { formatIssue, parseYamlFile, type FileIssue } from "../parse-yaml-file.ts";
import { playbookSchema, type Playbook } from "./schema.ts";

export class PlaybookError extends KnownError {
  readonly code = "PLAYBOOK_INVALID";
  constructor(
    readonly source: string,
    readonly issues: FileIssue[],
  ) {
    super(`${source}: invalid playbook\n${issues.map((i) => `  ${formatIssue(source, i)}`).join("\n")}`);
  }
}

/** Parses and validates a playbook. `source` names the file in error messages. Throws PlaybookError. */
export function parsePlaybook(text: string, source = "playbook"): Playbook {
  const parsed = parseYamlFile(text, playbookSchema, "a playbook is a mapping with name and plays");
  if (parsed.ok) return parsed.value;
  throw new PlaybookError(source, parsed.issues);
}
