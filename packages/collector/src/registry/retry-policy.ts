/**
 * When to try a registry request again, and after how long: 429 and 503 wait
 * for `Retry-After` (seconds or an HTTP date) when the registry gives one;
 * other transient answers (500, 502, 504) and network errors back off
 * exponentially with full jitter, capped.
 */
import { backoffMs, ImagedriftError } from "@imagedrift/core";

export interface RetryPolicy {
  /** Tries in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A longer `Retry-After` is not waited for: the request fails and the registry is left alone until then. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  baseDelayMs: 250,
  maxDelayMs: 4_000,
  maxRetryAfterMs: 30_000,
};

/** Statuses worth another try: rate limited, or a server or gateway in trouble. */
export function isTransientStatus(status: number): boolean {
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

/** Errors worth another try: the network, timeouts, a token server that was unavailable. */
export function isTransientError(error: unknown): boolean {
  if (error instanceof ImagedriftError) return error.code === "unavailable" || error.code === "deadline-exceeded";
  return true;
}

/** Full jitter: a uniform pick in [0, min(max, base·2^(attempt−1))]; `attempt` counts from 1. */
export function retryBackoffMs(policy: RetryPolicy, attempt: number, random: () => number): number {
  return backoffMs({ baseMs: policy.baseDelayMs, maxMs: policy.maxDelayMs, jitter: "full" }, attempt, random);
}

/** `Retry-After` in ms from `now`: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
