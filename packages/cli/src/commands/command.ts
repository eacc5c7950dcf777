/**
 * What every command shares: how it is given its view settings, what it
 * returns, and the help epilogue (examples, environment, exit codes).
 * Commands never print or exit: they return `{ exitCode, output }` and
 * `run` writes it; errors are thrown as ImagedriftError and mapped to exit
 * codes in one place (run.ts).
 */
import type { Command } from "commander";
import type { CollectorClient } from "../client.js";
import type { OutputFormat } from "../format/output.js";
import type { Style } from "../format/style.js";
import { DEFAULT_SERVER, DEFAULT_TIMEOUT, OUTPUT_ENV, SERVER_ENV, TIMEOUT_ENV, TOKEN_ENV } from "../settings.js";

export interface ViewOptions {
  output: OutputFormat;
  style: Style;
  /** The time relative ages are measured from. */
  now: Date;
}

/** A stream progress is written to while a job is followed (stderr in the binary). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** What commands that follow a job need beyond the view: where progress goes, and Ctrl-C. */
export interface LiveIo {
  /** Progress goes here (stderr), so stdout keeps only the result. */
  progress: ProgressStream;
  /** Colours for the progress stream: on only when it is a terminal. */
  progressStyle: Style;
  /** Draw a live progress bar (the progress stream is a terminal) instead of plain lines. */
  bar: boolean;
  /** Calls `handler` on Ctrl-C until the returned function is called. */
  onInterrupt(handler: () => void): () => void;
  /** How often a followed job is polled. */
  pollIntervalMs: number;
  /** Asks a yes/no question on the terminal; null when stdin or stdout is not a terminal (nobody to ask). */
  confirm: ((question: string) => Promise<boolean>) | null;
}

export interface CommandResult {
  exitCode: number;
  /** Written to stdout as is. */
  output: string;
  /** Written to stderr as is, after the output: what went wrong beside the result (a file lint could not parse). */
  errors?: string;
}

/** Runs a command's work with a client built from the global options; `run` supplies it. */
export type Execute = (
  work: (client: CollectorClient, view: ViewOptions, live: LiveIo) => Promise<CommandResult>,
) => Promise<void>;

/** Adds one subcommand to the program. */
export type DefineCommand = (program: Command, execute: Execute) => void;

export const ENVIRONMENT_HELP = [
  "Environment (each global flag has one; the flag wins; command flags have none):",
  `  ${SERVER_ENV}    collector URL, like --server (default ${DEFAULT_SERVER})`,
  `  ${TOKEN_ENV}     bearer token, like --token (the collector's --token-file holds the one it wants)`,
  `  ${OUTPUT_ENV}    table, json or yaml, like -o/--output (default table)`,
  `  ${TIMEOUT_ENV}   timeout of each request, like --timeout (default ${DEFAULT_TIMEOUT})`,
  "  NO_COLOR             set to turn colours off (they are on only on a terminal)",
].join("\n");

export const EXIT_CODES_HELP = [
  "Exit codes (the same for every command):",
  "    0  fine",
  "    1  the check failed: verify's gate is closed, findings --fail-on or lint found something, a job failed, was partial or cancelled",
  "    2  fix the command line or environment: a bad flag, argument or variable, an unknown node or job, a --server that",
  "       is not the collector, or any request the collector refused (HTTP 4xx: bad value, job finished, token missing or refused)",
  "    3  the collector could not be reached or could not answer: refused, DNS, timeout, busy (HTTP 429), failed (HTTP 5xx)",
  "  130  stopped following a job with Ctrl-C (the job goes on in the collector)",
].join("\n");

/** The text after a command's options: examples, then environment and exit codes. */
export function helpEpilogue(examples: readonly string[], extra: readonly string[] = []): string {
  return [
    "",
    "Examples:",
    ...examples.map((line) => `  $ ${line}`),
    "",
    ...extra,
    ENVIRONMENT_HELP,
    "",
    EXIT_CODES_HELP,
  ]
    .join("\n")
    .replace(/\n\n\n/g, "\n\n");
}
