/** Runs the CLI in-process for tests, capturing what it writes (test helper, excluded from the build). */
import { NOW } from "./api-fixtures.fake.js";
import { run } from "./run.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(
  argv: readonly string[],
  options: { env?: Record<string, string | undefined>; tty?: boolean } = {},
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await run(argv, {
    stdout: { write: (text: string) => (stdout += text), isTTY: options.tty ?? false },
    stderr: { write: (text: string) => (stderr += text) },
    env: options.env ?? {},
    now: () => NOW,
  });
  return { code, stdout, stderr };
}
