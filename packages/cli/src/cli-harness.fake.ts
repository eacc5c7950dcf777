/** Runs the CLI in-process for tests, capturing what it writes (test helper, excluded from the build). */
import { NOW } from "./api-fixtures.fake.js";
import { type CliIo, run } from "./run.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  env?: Record<string, string | undefined>;
  /** stdout and stderr are a terminal (80 columns). */
  tty?: boolean;
  onInterrupt?: CliIo["onInterrupt"];
  /** Polls of a followed job; 5 ms unless given, so tests of job progress run fast. */
  pollIntervalMs?: number;
  /** The terminal's answers to yes/no questions; absent: no terminal to ask. */
  confirm?: CliIo["confirm"];
}

export async function runCli(argv: readonly string[], options: CliRunOptions = {}): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const tty = options.tty ?? false;
  const code = await run(argv, {
    stdout: { write: (text: string) => (stdout += text), isTTY: tty },
    stderr: { write: (text: string) => (stderr += text), isTTY: tty, columns: tty ? 80 : undefined },
    env: options.env ?? {},
    now: () => NOW,
    onInterrupt: options.onInterrupt,
    pollIntervalMs: options.pollIntervalMs ?? 5,
    ...(options.confirm ? { confirm: options.confirm } : {}),
  });
  return { code, stdout, stderr };
}

/** A Ctrl-C the test presses: `press()` calls the handler the CLI registered, if it is listening. */
export function fakeInterrupt(): { onInterrupt: NonNullable<CliIo["onInterrupt"]>; press(): boolean } {
  let listening: (() => void) | null = null;
  return {
    onInterrupt: (handler) => {
      listening = handler;
      return () => {
        listening = null;
      };
    },
    press: () => {
      const handler = listening;
      handler?.();
      return handler !== null;
    },
  };
}
