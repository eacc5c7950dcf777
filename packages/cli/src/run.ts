/**
 * The imagedrift CLI as a function: argv and streams in, exit status out,
 * so tests run it in-process and main.ts only wires it to the process.
 * This is the one place where errors become exit codes, by one rule (the
 * table is EXIT_CODES_HELP): 1 is only ever a check that failed (a command
 * returns it); an error is 2 when the user can fix it by changing the command
 * line or the environment (bad flag, variable or reference, an unknown node
 * or job, any HTTP 4xx, a --server that is not a collector), and 3 when the
 * collector cannot be reached or failed itself (network, timeout, 429, 5xx);
 * 130 when Ctrl-C stopped following a job.
 */
import { readFileSync } from "node:fs";
import { type ErrorCode, toImagedriftError } from "@imagedrift/core";
import { Command, CommanderError, Option } from "commander";
import { CollectorClient } from "./client.js";
import { defineCancel } from "./commands/cancel.js";
import type { CommandResult, DefineCommand, Execute, LiveIo, ProgressStream } from "./commands/command.js";
import { ENVIRONMENT_HELP, EXIT_CODES_HELP } from "./commands/command.js";
import { defineFindings } from "./commands/findings.js";
import { defineImages } from "./commands/images.js";
import { defineJob } from "./commands/job.js";
import { defineJobs } from "./commands/jobs.js";
import { defineLint } from "./commands/lint.js";
import { defineNodes } from "./commands/nodes.js";
import { definePrepull } from "./commands/prepull.js";
import { definePrune } from "./commands/prune.js";
import { defineRefresh } from "./commands/refresh.js";
import { defineTags } from "./commands/tags.js";
import { defineVerify } from "./commands/verify.js";
import { OUTPUT_FORMATS } from "./format/output.js";
import { colorWanted, createStyle } from "./format/style.js";
import { DEFAULT_POLL_INTERVAL_MS } from "./job-follow.js";
import {
  DEFAULT_SERVER,
  DEFAULT_TIMEOUT,
  type GlobalOptions,
  OUTPUT_ENV,
  resolveSettings,
  SERVER_ENV,
  TIMEOUT_ENV,
  TOKEN_ENV,
} from "./settings.js";

export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  /** Errors, and the progress of a followed job (a live bar when it is a terminal). */
  stderr: ProgressStream;
  env: Readonly<Record<string, string | undefined>>;
  /** The clock for relative times; defaults to the system clock. */
  now?: () => Date;
  /** Calls `handler` on Ctrl-C until the returned function is called; without it Ctrl-C is never seen. */
  onInterrupt?: (handler: () => void) => () => void;
  /** How often a followed job is polled; default 500 ms. */
  pollIntervalMs?: number;
  /** Asks yes/no on the terminal; only when stdin and stdout are terminals (removing jobs ask before they start). */
  confirm?: (question: string) => Promise<boolean>;
}

const EXIT_OK = 0;
const EXIT_USAGE = 2;
const EXIT_UNREACHABLE = 3;
/** 128 + SIGINT, as shells report a program stopped by Ctrl-C. */
const EXIT_INTERRUPTED = 130;

/** Error code → exit status. No error is 1: that status says a check failed, and a command returns it. */
const EXIT_BY_CODE: Record<ErrorCode, number> = {
  "invalid-argument": EXIT_USAGE,
  "invalid-reference": EXIT_USAGE,
  "invalid-config": EXIT_USAGE,
  "not-found": EXIT_USAGE,
  "already-exists": EXIT_USAGE,
  // HTTP 409: the request does not fit the collector's state (refresh a tag no node holds, cancel a finished job).
  "failed-precondition": EXIT_USAGE,
  unauthenticated: EXIT_USAGE,
  "permission-denied": EXIT_USAGE,
  unimplemented: EXIT_USAGE,
  unavailable: EXIT_UNREACHABLE,
  "deadline-exceeded": EXIT_UNREACHABLE,
  // HTTP 429 and 5xx: the collector is there but could not answer; trying again later may work.
  "resource-exhausted": EXIT_UNREACHABLE,
  internal: EXIT_UNREACHABLE,
  // The user stopped following a job (Ctrl-C); the job itself goes on.
  cancelled: EXIT_INTERRUPTED,
};

const COMMANDS: readonly DefineCommand[] = [
  defineNodes,
  defineImages,
  defineTags,
  defineFindings,
  defineVerify,
  definePrepull,
  defineRefresh,
  definePrune,
  defineJobs,
  defineJob,
  defineCancel,
  defineLint,
];

const version = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string })
  .version;

function buildProgram(io: CliIo, execute: Execute): Command {
  const program = new Command("imagedrift")
    .description(
      "See container image caches across Kubernetes nodes and the drift between them, from the imagedrift collector.",
    )
    .version(version)
    .addOption(new Option("--server <url>", `collector URL (env ${SERVER_ENV}; default ${DEFAULT_SERVER})`))
    .addOption(new Option("--token <token>", `bearer token for the collector (env ${TOKEN_ENV})`))
    .addOption(
      new Option("-o, --output <format>", `output format (env ${OUTPUT_ENV}; default table)`).choices(OUTPUT_FORMATS),
    )
    .addOption(
      new Option(
        "--timeout <duration>",
        `timeout of each request, e.g. 10s or 1m (env ${TIMEOUT_ENV}; default ${DEFAULT_TIMEOUT})`,
      ),
    )
    .addHelpText("after", `\n${ENVIRONMENT_HELP}\n\n${EXIT_CODES_HELP}`)
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .exitOverride()
    .showHelpAfterError("(add --help for usage)");
  for (const define of COMMANDS) define(program, execute);
  return program;
}

/** Progress of followed jobs goes to stderr: a bar on a terminal (not a dumb one), plain lines otherwise. */
function liveIo(io: CliIo): LiveIo {
  return {
    progress: io.stderr,
    progressStyle: createStyle(colorWanted(io.stderr, io.env)),
    bar: io.stderr.isTTY === true && io.env.TERM !== "dumb",
    onInterrupt: io.onInterrupt ?? (() => () => {}),
    pollIntervalMs: io.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    confirm: io.confirm ?? null,
  };
}

/** Removes the token (from --token or the environment) from anything printed, whatever produced the text. */
function redact(text: string, tokens: readonly (string | undefined)[]): string {
  let out = text;
  for (const token of tokens)
    if (token !== undefined && token.trim() !== "") out = out.replaceAll(token.trim(), "[token]");
  return out;
}

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let result: CommandResult | undefined;
  const program: Command = buildProgram(io, async (work) => {
    const settings = resolveSettings(program.opts<GlobalOptions>(), io.env);
    const client = new CollectorClient({
      server: settings.server,
      token: settings.token,
      timeoutMs: settings.timeoutMs,
    });
    const style = createStyle(colorWanted(io.stdout, io.env));
    result = await work(client, { output: settings.output, style, now: io.now?.() ?? new Date() }, liveIo(io));
  });
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (thrown) {
    // Commander already printed its own message (or the help, or the version).
    if (thrown instanceof CommanderError) return thrown.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    const error = toImagedriftError(thrown);
    const tokens = [program.opts<GlobalOptions>().token, io.env[TOKEN_ENV]];
    io.stderr.write(`imagedrift: ${redact(error.message, tokens)}\n`);
    return EXIT_BY_CODE[error.code];
  }
  if (result === undefined) return EXIT_OK;
  io.stdout.write(result.output);
  if (result.errors !== undefined) io.stderr.write(result.errors);
  return result.exitCode;
}
