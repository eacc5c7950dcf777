/** The `imagedrift` binary: the only code that touches process.argv, process.env and the exit status. */
import { run } from "./run.js";

process.exitCode = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
