/**
 * Long-running programs of the lab (registry, containerd): spawned with their
 * output in a log file, awaited by polling a readiness check with a deadline,
 * and stopped by their own PID (SIGTERM, then SIGKILL after a deadline).
 */
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { ImagedriftError } from "@imagedrift/core";
import { AbortWait, waitFor, waitForSync } from "./wait.js";

export interface DaemonOptions {
  /** Short name for messages ("registry", "containerd n1"). */
  name: string;
  command: string;
  args: readonly string[];
  /** Where stdout and stderr go (appended, so restarts keep earlier output). */
  logFile: string;
  /** Resolves truthy once the program serves; thrown errors count as "not yet". */
  ready: () => Promise<boolean> | boolean;
  readyTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface Daemon {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** `undefined` while running, else how it ended ("exit 1", "signal SIGTERM"). */
  readonly exit: string | undefined;
  /** SIGTERM, then SIGKILL when it has not exited after `timeoutMs`. Resolves once it has exited. */
  stop(timeoutMs?: number): Promise<void>;
}

/** Spawns the program and resolves once `ready` passes; kills it and throws (quoting its log) when it does not. */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const fd = openSync(options.logFile, "a");
  let exit: string | undefined;
  let exited!: () => void;
  const exitedPromise = new Promise<void>((resolve) => {
    exited = resolve;
  });
  const child = spawn(options.command, options.args, {
    stdio: ["ignore", fd, fd],
    env: options.env ?? process.env,
  });
  closeSync(fd);
  // The lab's safety net, not the event loop, keeps daemons from outliving the test process.
  child.unref();
  child.on("error", (error) => {
    exit ??= error.message;
    exited();
  });
  child.on("exit", (code, signal) => {
    exit = signal ? `signal ${signal}` : `exit ${code ?? "?"}`;
    exited();
  });
  const pid = child.pid;
  if (pid === undefined) {
    await exitedPromise;
    throw new ImagedriftError(
      "unavailable",
      `${options.name}: could not start ${options.command}: ${exit ?? "no pid"}`,
    );
  }

  const daemon: Daemon = {
    name: options.name,
    pid,
    logFile: options.logFile,
    get exit() {
      return exit;
    },
    async stop(timeoutMs = 5_000) {
      if (exit !== undefined) return;
      child.ref(); // keep the event loop turning until the exit is seen
      child.kill("SIGTERM");
      if (await settlesWithin(exitedPromise, timeoutMs)) return;
      child.kill("SIGKILL");
      await exitedPromise;
    },
  };

  try {
    await waitFor(
      async () => {
        if (exit !== undefined) {
          throw new AbortWait(
            new ImagedriftError(
              "unavailable",
              `${options.name} ended (${exit}) before it was ready; ${logTail(options.logFile)}`,
            ),
          );
        }
        return await options.ready();
      },
      { what: `${options.name} to be ready`, timeoutMs: options.readyTimeoutMs ?? 15_000 },
    );
  } catch (error) {
    await daemon.stop(1_000);
    if (error instanceof ImagedriftError && error.code === "deadline-exceeded") {
      throw new ImagedriftError("deadline-exceeded", `${error.message}; ${logTail(options.logFile)}`, { cause: error });
    }
    throw error;
  }
  return daemon;
}

/** Whether `promise` settles within `ms`; the timer is cleared either way. */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([promise.then(() => true), timeout]).finally(() => clearTimeout(timer));
}

/** The last lines of a log file, for error messages. */
export function logTail(logFile: string, lines = 15): string {
  try {
    const text = readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    return `last lines of ${logFile}:\n${text}`;
  } catch {
    return `no log at ${logFile}`;
  }
}

/** Whether a process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The state follows the parenthesised command name, which may itself hold spaces or parentheses.
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/**
 * Stops a process that is not our child (a shim) by PID: `signal` first, SIGKILL
 * when it is still there after `timeoutMs`. Synchronous, so that exit handlers can use it.
 */
export function stopPidSync(pid: number, timeoutMs = 2_000, signal: NodeJS.Signals = "SIGTERM"): boolean {
  if (!sendSignal(pid, signal)) return true;
  if (waitForSync(() => !isAlive(pid), timeoutMs)) return true;
  sendSignal(pid, "SIGKILL");
  return waitForSync(() => !isAlive(pid), 2_000);
}

/** Sends `signal` to `pid`; false when there is no such process. */
export function sendSignal(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}
