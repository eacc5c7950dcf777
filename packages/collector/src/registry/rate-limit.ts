/**
 * Politeness towards one registry: a token bucket (`requestsPerSecond`, bursts
 * up to one second's worth) and a cap on requests in flight. Waiters are served
 * first come, first served. Time comes from an injected clock.
 */
import { ImagedriftError } from "@imagedrift/core";
import type { Clock } from "./clock.js";

export const DEFAULT_REQUESTS_PER_SECOND = 10;
export const DEFAULT_MAX_CONCURRENT = 4;

export interface RateLimitOptions {
  requestsPerSecond: number;
  /** Tokens the bucket holds (the largest burst); default one second's worth, at least 1. */
  burst?: number;
  maxConcurrent: number;
  clock: Clock;
}

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
}

export class RateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #maxConcurrent: number;
  readonly #clock: Clock;
  #tokens: number;
  #refilledAt: number;
  #active = 0;
  readonly #waiters: Waiter[] = [];
  /** Token acquisitions run one after another, so that waiters are served in order. */
  #tokenTurn: Promise<void> = Promise.resolve();

  constructor(options: RateLimitOptions) {
    if (!(options.requestsPerSecond > 0) || !(options.maxConcurrent >= 1)) {
      throw new ImagedriftError("invalid-argument", "requestsPerSecond must be > 0 and maxConcurrent >= 1");
    }
    this.#rate = options.requestsPerSecond;
    this.#burst = options.burst ?? Math.max(1, options.requestsPerSecond);
    this.#maxConcurrent = Math.floor(options.maxConcurrent);
    this.#clock = options.clock;
    this.#tokens = this.#burst;
    this.#refilledAt = options.clock.now();
  }

  /** Requests running now. */
  get active(): number {
    return this.#active;
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.#waiters.length;
  }

  /** Runs `task` once a slot and a token are free; the slot is held until the task settles. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#acquireSlot(signal);
    try {
      await this.#takeToken(signal);
      return await task();
    } finally {
      this.#releaseSlot();
    }
  }

  #acquireSlot(signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    if (this.#active < this.#maxConcurrent) {
      this.#active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      this.#waiters.push(waiter);
      signal?.addEventListener(
        "abort",
        () => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  /** Hands the slot to the next waiter, or frees it. */
  #releaseSlot(): void {
    const next = this.#waiters.shift();
    if (next) next.resolve();
    else this.#active--;
  }

  #takeToken(signal: AbortSignal | undefined): Promise<void> {
    const turn = this.#tokenTurn.then(() => this.#waitForToken(signal));
    this.#tokenTurn = turn.catch(() => {});
    return turn;
  }

  async #waitForToken(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      const now = this.#clock.now();
      this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#refilledAt) * this.#rate) / 1000);
      this.#refilledAt = now;
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      await this.#clock.sleep(Math.ceil(((1 - this.#tokens) * 1000) / this.#rate), signal);
    }
  }
}
