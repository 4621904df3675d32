// The css-bot command line in-process: run() with the given environment, its output captured.
import { run } from "../../src/cli/main.ts";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await run(["node", "css-bot", ...args], env, {
    stdout: { write: (s) => void (stdout += s) },
    stderr: { write: (s) => void (stderr += s) },
    interactive: false,
  });
  return { code, stdout, stderr };
}
