/**
 * Polling with a deadline: the lab's only way to wait for something. No fixed
 * sleeps stand in for synchronisation; a check runs until it passes or the
 * deadline is reached, and the failure names what was awaited.
 */
import { setTimeout as delay } from "node:timers/promises";
import { ImagedriftError } from "@imagedrift/core";

export interface WaitOptions {
  /** What is awaited, for the error message ("registry on 127.0.0.1:5000 answers"). */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Calls `check` until it returns a value other than `undefined`/`false` and
 * returns that value. Errors thrown by `check` count as "not yet"; the last one
 * becomes the `cause` of the deadline error.
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitOptions,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      if (error instanceof AbortWait) throw error.reason;
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? `: ${lastError.message}` : "";
      throw new ImagedriftError(
        "deadline-exceeded",
        `timed out after ${timeoutMs} ms waiting for ${options.what}${detail}`,
        {
          cause: lastError,
        },
      );
    }
    await delay(intervalMs);
  }
}

/** Thrown from a `waitFor` check to stop waiting at once with `reason` (e.g. the process died). */
export class AbortWait extends Error {
  override readonly name = "AbortWait";
  readonly reason: Error;

  constructor(reason: Error) {
    super(reason.message);
    this.reason = reason;
  }
}

/**
 * Synchronous sleep for polling loops that must run where the event loop no
 * longer turns (a process `exit` handler). Only ever used between polls.
 */
export function pauseSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** `waitFor` for synchronous checks in synchronous code; returns whether `check` passed before the deadline. */
export function waitForSync(check: () => boolean, timeoutMs: number): boolean {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return true;
    if (Date.now() >= deadline) return false;
    pauseSync(20);
  }
}
