import { type Logger, type NodeInventory, toImagedriftError } from "@imagedrift/core";
import type { CriClient } from "@imagedrift/cri";
import type { AgentMetrics } from "./metrics.js";
import { scanNode } from "./scanner.js";

export interface ScanLoopOptions {
  cri: CriClient;
  node: string;
  /** `--sandbox-image`. */
  sandboxImage?: string | undefined;
  intervalMs: number;
  metrics: AgentMetrics;
  log: Logger;
  now?: () => Date;
}

/**
 * Rescans the node every interval (never two scans at once) and knows whether
 * the agent is ready: the last scan succeeded and is recent.
 */
export class ScanLoop {
  readonly #options: ScanLoopOptions;
  #onInventory: (inventory: NodeInventory) => void = () => {};
  #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  /** When (ms) the scheduled scan is due. */
  #dueAt = 0;
  /** When (ms) the period last changed: staleness counts from then too, not only from the last scan. */
  #intervalSince = 0;
  #running: Promise<void> | undefined;
  /** The scan promised by rescan() after the one under way. */
  #again: Promise<void> | undefined;
  #stopped = false;
  #latest: NodeInventory | null = null;
  #lastSuccessAt = 0;
  #lastError: string | null = "no scan has finished yet";
  /** When scans started failing without a success since (null while they succeed). */
  #failingSince: number | null = null;

  constructor(options: ScanLoopOptions) {
    this.#options = options;
    this.#intervalMs = options.intervalMs;
  }

  get intervalMs(): number {
    return this.#intervalMs;
  }

  /**
   * Changes the period (longer while the runtime's event stream is open,
   * back to the polling period when it is not); a scheduled scan that is
   * now too far away is brought forward.
   */
  setInterval(ms: number): void {
    this.#intervalMs = ms;
    this.#intervalSince = Date.now();
    this.#bringForward(ms);
  }

  /** A scheduled scan due later than `ms` from now is moved to `ms` from now. */
  #bringForward(ms: number): void {
    if (this.#timer !== undefined && this.#dueAt > Date.now() + ms) {
      clearTimeout(this.#timer);
      this.#schedule(ms);
    }
  }

  get latest(): NodeInventory | null {
    return this.#latest;
  }

  /** Starts scanning; `onInventory` is told of every successful scan from then on. */
  start(onInventory?: (inventory: NodeInventory) => void): void {
    if (onInventory) this.#onInventory = onInventory;
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Scans now (or joins the scan under way). */
  scan(): Promise<void> {
    this.#running ??= this.#scanOnce().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /**
   * A scan that starts after this call: a scan already under way may have
   * listed the images before a change (a pull that just ended), so it is
   * followed by one more. Calls during the same scan share that one.
   */
  rescan(): Promise<void> {
    if (this.#running === undefined) return this.scan();
    this.#again ??= this.#running.then(() => {
      this.#again = undefined;
      return this.scan();
    });
    return this.#again;
  }

  /**
   * Between full scans on the event stream: the image filesystem's usage
   * changes without an event (the runtime sums it every few seconds), so
   * it is asked alone (one cheap call) and a change rescans.
   */
  async checkImageFs(): Promise<void> {
    const latest = this.#latest;
    if (latest === null || this.#running !== undefined) return;
    try {
      const [fs] = await this.#options.cri.imageFsInfo();
      if (Number(fs?.usedBytes?.value ?? 0) !== latest.imageFs.usedBytes) await this.rescan();
    } catch {
      // The next full scan says what is wrong.
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** Null when ready, else why not. */
  /**
   * Null while alive. Scans that have failed for 5 intervals (at least a
   * minute) make the agent unhealthy, so that kubelet restarts it: a
   * restarted runtime makes a new socket, which a container that mounted the
   * old socket file never sees.
   */
  readonly live = (): string | null => {
    if (this.#failingSince === null) return null;
    const failing = Date.now() - this.#failingSince;
    const limit = Math.max(5 * this.#intervalMs, 60_000);
    return failing > limit
      ? `unhealthy: every scan for ${Math.round(failing / 1000)}s failed: ${this.#lastError}`
      : null;
  };

  readonly ready = (): string | null => {
    if (this.#lastError) return `not ready: ${this.#lastError}`;
    const now = Date.now();
    if (now - Math.max(this.#lastSuccessAt, this.#intervalSince) > 3 * this.#intervalMs) {
      return `not ready: last successful scan was ${Math.round((now - this.#lastSuccessAt) / 1000)}s ago`;
    }
    return null;
  };

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#dueAt = Date.now() + delayMs;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // After a failed scan, try again at the polling period even on the event stream: the stream
      // can be back before the CRI channel is, and its one catch-up rescan may have failed.
      void this.scan().then(() =>
        this.#schedule(
          this.#lastError === null ? this.#intervalMs : Math.min(this.#intervalMs, this.#options.intervalMs),
        ),
      );
    }, delayMs);
  }

  async #scanOnce(): Promise<void> {
    const { cri, node, metrics, log } = this.#options;
    const started = performance.now();
    try {
      const inventory = await scanNode(cri, node, { now: this.#options.now, sandboxImage: this.#options.sandboxImage });
      const recovered = this.#lastError !== null && this.#latest !== null;
      this.#latest = inventory;
      this.#lastSuccessAt = Date.now();
      this.#lastError = null;
      this.#failingSince = null;
      metrics.recordScan(inventory);
      if (recovered) log.info("runtime reachable again", { endpoint: cri.endpoint });
      log.debug("scan finished", { images: inventory.images.length, ms: Math.round(performance.now() - started) });
      this.#onInventory(inventory);
    } catch (thrown) {
      const error = toImagedriftError(thrown);
      if (this.#lastError !== error.message) log.warn("scan failed", { endpoint: cri.endpoint, error });
      this.#lastError = error.message;
      this.#failingSince ??= Date.now();
      metrics.recordScanError();
      // A failed scan is tried again at the polling period, also on the event stream (whose period is long).
      this.#bringForward(this.#options.intervalMs);
    }
  }
}
