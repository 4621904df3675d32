// Reads and validates a model file named on the command line.
import { readFile } from "node:fs/promises";
import { parseModel } from "../domain/model/parse-model.ts";
import type { ScoringModel } from "../domain/model/schema.ts";
import { UserError } from "./errors.ts";

export async function readModelFile(file: string): Promise<{ model: ScoringModel; source: string }> {
  let source: string;
  try {
    source = await readFile(file, "utf8");
  } catch (e) {
    throw new UserError(
      `${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`,
    );
  }
  return { model: parseModel(source, file), source };
}
