/** Runs a short-lived program (skopeo, ctr, umount) to completion and captures its output. */
import { type ExecFileException, execFile } from "node:child_process";
import { ImagedriftError } from "@imagedrift/core";

export interface ExecOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Text written to the program's stdin. */
  input?: string;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
}

/** Runs `file args…`; a non-zero exit, a signal or the timeout throw an error that quotes stderr. */
export function exec(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 120_000,
        killSignal: "SIGKILL",
        maxBuffer: 64 * 1024 * 1024,
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ stdout, stderr });
          return;
        }
        const command = [file, ...args].join(" ");
        const output = (stderr || stdout).trim().slice(-2000);
        reject(
          new ImagedriftError(
            "internal",
            `\`${command}\` failed (${describeFailure(error)})${output ? `: ${output}` : ""}`,
            {
              cause: error,
            },
          ),
        );
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

function describeFailure(error: ExecFileException): string {
  if (error.killed) return "timed out";
  if (typeof error.code === "number") return `exit ${error.code}`;
  if (error.signal) return `signal ${error.signal}`;
  return typeof error.code === "string" ? error.code : error.message;
}
