/** The shortest lull a recompute waits for, and the longest it lets changes wait. */
const MIN_QUIET_MS = 10;
const MAX_LAG_MS = 5_000;

/**
 * Decides when findings are recomputed after changes, coalescing the changes
 * that come before it. It waits for a lull: no change for twice as long as
 * the last recompute took (at least 10 ms). A herd of reconnecting agents is
 * then recomputed once it has settled, not after every few inventories, each
 * time over every node that arrived so far. Changes that never pause are
 * recomputed at least every 5 s (or five times the last recompute's duration,
 * so recomputes keep at most a sixth of the event loop); findings never lag
 * further behind.
 *
 * Time is `performance.now()` and `setTimeout`, which tests fake
 * (`vi.useFakeTimers`).
 */
export class RecomputeScheduler {
  readonly #recompute: () => void;
  #timer: NodeJS.Timeout | undefined;
  /** How long the last recompute took: the next waits for a lull twice as long. */
  #recomputeMs = 0;
  /** When the last change came, and the first one the next recompute has not seen (performance.now()). */
  #lastChangeAt = 0;
  #firstChangeAt: number | undefined;

  constructor(recompute: () => void) {
    this.#recompute = recompute;
  }

  /** Something changed: a recompute follows once changes pause (or have waited long enough). */
  changed(): void {
    const now = performance.now();
    this.#lastChangeAt = now;
    this.#firstChangeAt ??= now;
    this.#timer ??= setTimeout(() => this.#recomputeOnceSettled(), this.#quietMs());
  }

  /** A recompute finished in `ms`: the next lull and the longest lag follow its duration. */
  took(ms: number): void {
    this.#recomputeMs = Math.round(ms);
  }

  /** Cancels the recompute waiting, if any. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #quietMs(): number {
    return Math.max(MIN_QUIET_MS, 2 * this.#recomputeMs);
  }

  #recomputeOnceSettled(): void {
    const now = performance.now();
    const quietLeft = this.#quietMs() - (now - this.#lastChangeAt);
    const lagLeft = Math.max(MAX_LAG_MS, 5 * this.#recomputeMs) - (now - (this.#firstChangeAt ?? now));
    const wait = Math.min(quietLeft, lagLeft);
    if (wait >= 1) {
      this.#timer = setTimeout(() => this.#recomputeOnceSettled(), wait);
      return;
    }
    this.#timer = undefined;
    this.#firstChangeAt = undefined;
    this.#recompute();
  }
}
