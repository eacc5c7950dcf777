/**
 * The one-shot `pull` and `prune` commands (docs/ARCHITECTURE.md#the-agent): run one command on the
 * local node with the same code and safety rules as a job from the collector,
 * print `{node, state, message, ...CommandResult}` as JSON on stdout, and give
 * the exit code: 0 done, 1 something failed or was cancelled. Progress lines go
 * to stderr. SIGTERM or SIGINT (a Job deleted) stops between items.
 */
import type { CommandResult, CommandSpec } from "@imagedrift/core";
import { formatDuration, ImagedriftError, parseDuration, silentLogger, tryCatch } from "@imagedrift/core";
import type { CriClient } from "@imagedrift/cri";
import { type Command, Option } from "commander";
import type { CommandContext } from "../commands/context.js";

export interface OneShotTarget {
  cri: CriClient;
  node: string;
  /** `--sandbox-image`. */
  sandboxImage?: string | undefined;
}

/** Connects to the local node's runtime; asynchronous so that the CRI client is loaded only by the commands that use it. */
export type OneShotTargetFactory = (command: Command) => Promise<OneShotTarget>;

/** Summary printed on stdout. */
export interface OneShotSummary extends CommandResult {
  node: string;
  state: "succeeded" | "failed" | "cancelled";
  message: string;
}

export const timeoutOption = () =>
  new Option("--timeout <duration>", "give up (between items) after this long, e.g. 10m").default("10m");

/** Parses a duration flag; throws invalid-argument naming the flag. */
export function durationFlag(flag: string, value: string): number {
  const parsed = tryCatch(() => parseDuration(value));
  if (parsed.error) throw new ImagedriftError("invalid-argument", `${flag}: ${parsed.error.message}`);
  return parsed.value;
}

export async function runOneShot(target: OneShotTarget, spec: CommandSpec, timeout: number): Promise<number> {
  // An unreachable runtime fails here, before anything is done: exit 3 from main.
  await target.cri.version();
  // Loaded here, not at startup: main.ts builds every command on each run, `--version` included.
  const { runCommand } = await import("../commands/executor.js");
  const controller = new AbortController();
  const stop = () => controller.abort();
  const timer = setTimeout(() => controller.abort(), timeout);
  process.once("SIGTERM", stop).once("SIGINT", stop);
  const result: CommandResult = {};
  const ctx: CommandContext = {
    cri: target.cri,
    node: target.node,
    sandboxImage: target.sandboxImage,
    log: silentLogger,
    signal: controller.signal,
    deadline: Date.now() + timeout,
    result,
    now: () => new Date(),
    progress: (message) => process.stderr.write(`imagedrift-agent: ${message}\n`),
  };
  const print = (state: OneShotSummary["state"], message: string) => {
    const summary: OneShotSummary = { node: target.node, state, message, ...result };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  };
  try {
    const outcome = await runCommand(ctx, spec);
    if (controller.signal.aborted) {
      const why = Date.now() >= ctx.deadline ? `timed out after ${formatDuration(timeout)}` : "cancelled";
      print(why === "cancelled" ? "cancelled" : "failed", `${why}: ${outcome.message}`);
      return 1;
    }
    print(outcome.failed ? "failed" : "succeeded", outcome.message);
    return outcome.failed ? 1 : 0;
  } catch (error) {
    // What was done before the failure is still reported; main prints the error and picks the exit code.
    if (Object.keys(result).length > 0) print("failed", (error as Error).message);
    throw error;
  } finally {
    clearTimeout(timer);
    process.off("SIGTERM", stop).off("SIGINT", stop);
  }
}

/** For repeatable options. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];
