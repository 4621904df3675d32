// Reads a playbook file named on the command line and validates it, then checks it against the
// scoring model it would run with: every refusal names the file, the line and the path in the playbook.
import type { ScoringModel } from "../domain/model/schema.ts";
import { lineFinder } from "../domain/parse-yaml-file.ts";
import { checkAgainstModel } from "../domain/plays/check-against-model.ts";
import { PlaybookError, parsePlaybook } from "../domain/plays/parse-playbook.ts";
import type { Playbook } from "../domain/plays/schema.ts";
import { readTextFile } from "./read-text-file.ts";

export interface PlaybookFile {
  file: string;
  playbook: Playbook;
  source: string;
}

export async function readPlaybookFile(file: string): Promise<PlaybookFile> {
  const source = await readTextFile(file);
  return { file, playbook: parsePlaybook(source, file), source };
}

/** Throws a PlaybookError naming each band or component of the playbook that `model` lacks. */
export function refuseModelMismatches({ file, playbook, source }: PlaybookFile, model: ScoringModel): void {
  const mismatches = checkAgainstModel(playbook, model);
  if (mismatches.length === 0) return;
  const lineOf = lineFinder(source);
  throw new PlaybookError(
    file,
    mismatches.map((m) => ({ path: m.path, line: lineOf(m.keys), message: m.message })),
  );
}
