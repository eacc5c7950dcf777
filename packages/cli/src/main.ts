/** The `imagedrift` binary: the only code that touches process.argv, process.env, signals and the exit status. */
import { createInterface } from "node:readline/promises";
import { run } from "./run.js";

/**
 * A reader that stops early (`imagedrift tags | head`) closes the pipe: the
 * rest of the output is not wanted, so the next write fails with EPIPE. That
 * is no error of the command: ignore it and keep the command's exit status.
 */
function ignoreClosedPipe(error: NodeJS.ErrnoException): void {
  if (error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED") return;
  throw error;
}
process.stdout.on("error", ignoreClosedPipe);
process.stderr.on("error", ignoreClosedPipe);

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
