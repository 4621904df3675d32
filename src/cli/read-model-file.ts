// Reads and validates a model file named on the command line.
import { parseModel } from "../domain/model/parse-model.ts";
import type { ScoringModel } from "../domain/model/schema.ts";
import { readTextFile } from "./read-text-file.ts";

export async function readModelFile(file: string): Promise<{ model: ScoringModel; source: string }> {
  const source = await readTextFile(file);
  return { model: parseModel(source, file), source };
}
