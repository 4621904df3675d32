// Reads a file named on the command line; a missing or unreadable one is the user's error, named.
import { readFile } from "node:fs/promises";
import { UserError } from "./errors.ts";

export async function readTextFile(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    throw new UserError(
      `${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`,
    );
  }
}
