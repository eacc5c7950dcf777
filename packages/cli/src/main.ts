/** The `imagedrift` binary: the only code that touches process.argv, process.env, signals and the exit status. */
import { run } from "./run.js";

process.exitCode = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  // While a job is followed, the first Ctrl-C stops following; otherwise (and for a second one) Node's default ends the program.
  onInterrupt: (handler) => {
    process.once("SIGINT", handler);
    return () => process.removeListener("SIGINT", handler);
  },
});
