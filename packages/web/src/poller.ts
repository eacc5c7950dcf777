/**
 * Runs a refresh every few seconds without overlapping runs: slower when the
 * API is slow (large clusters), paused while the tab is hidden, at once when
 * it becomes visible again.
 */
export class Poller {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | null = null;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly baseMs: number,
  ) {
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") void this.now();
    });
  }

  /** Refreshes now (or waits for the refresh under way), then schedules the next one. */
  now(): Promise<void> {
    if (this.running) return this.running;
    clearTimeout(this.timer);
    const started = performance.now();
    this.running = this.task().finally(() => {
      this.running = null;
      const took = performance.now() - started;
      if (document.visibilityState !== "hidden") {
        this.timer = setTimeout(() => void this.now(), Math.max(this.baseMs, took * 5));
      }
    });
    return this.running;
  }
}
