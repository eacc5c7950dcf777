/** The `imagedrift` binary: the only code that touches process.argv, process.env, signals and the exit status. */
import { createInterface } from "node:readline/promises";
import { run } from "./run.js";

/** y/N on the terminal; the question goes to stderr so stdout keeps only the result. */
async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

process.exitCode = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  ...(process.stdin.isTTY && process.stdout.isTTY ? { confirm } : {}),
  // While a job is followed, the first Ctrl-C stops following; otherwise (and for a second one) Node's default ends the program.
  onInterrupt: (handler) => {
    process.once("SIGINT", handler);
    return () => process.removeListener("SIGINT", handler);
  },
});
