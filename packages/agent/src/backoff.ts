import { backoffMs } from "@imagedrift/core";

/** Core's backoff with its attempt count kept: a herd of agents does not reconnect in step. */
export class Backoff {
  #attempt = 0;

  constructor(
    private readonly minMs = 500,
    private readonly maxMs = 30_000,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    this.#attempt += 1;
    return backoffMs({ baseMs: this.minMs, maxMs: this.maxMs, jitter: "half" }, this.#attempt, this.random);
  }

  reset(): void {
    this.#attempt = 0;
  }
}
