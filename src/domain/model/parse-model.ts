// Reads a scoring model from YAML or JSON text. Errors name the path in the model
// (`components[2].scale.max: ...`) and, where the text shows it, the line.
import { KnownError } from "../../errors.ts";
import { formatIssue, parseYamlFile, type FileIssue } from "../parse-yaml-file.ts";
import { modelSchema, type ScoringModel } from "./schema.ts";

export { formatPath } from "../parse-yaml-file.ts";
export type ModelIssue = FileIssue;

export class ModelError extends KnownError {
  readonly code = "MODEL_INVALID";
  constructor(
    readonly source: string,
    readonly issues: ModelIssue[],
  ) {
    super(`${source}: invalid scoring model\n${issues.map((i) => `  ${formatIssue(source, i)}`).join("\n")}`);
  }
}

/** Parses and validates a model. `source` names the file in error messages. Throws ModelError. */
export function parseModel(text: string, source = "model"): ScoringModel {
  const parsed = parseYamlFile(text, modelSchema, "a model is a mapping with name, bands and components");
  if (parsed.ok) return parsed.value;
  throw new ModelError(source, parsed.issues);
}
