/** Inventories asked for at once unless `--inventory-concurrency` says otherwise. */
export const DEFAULT_INVENTORY_CONCURRENCY = 32;

/**
 * How many inventories the collector asks agents for at once.
 *
 * After a collector restart every agent reconnects within seconds, and each
 * one's hello says the collector does not hold its inventory. Asking all of
 * them at once makes every inventory (tens of kilobytes each) arrive, wait in
 * grpc-js buffers and get decoded together: memory grows with the cluster and
 * the event loop falls behind. Instead a few nodes at a time are asked (the
 * welcome's `inventoryWanted`); the others wait their turn in the order they
 * came and are asked with a `resendInventory` once a slot frees. The protocol
 * is unchanged: an agent told "not wanted" waits, and sends when asked.
 *
 * A slot frees when the node's inventory arrives (accepted or rejected), when
 * its stream ends, or when the grant lapses (an agent that never answers does
 * not hold a slot for ever; its next heartbeat asks again).
 */
export class InventoryAdmission {
  readonly #limit: number;
  readonly #grantMs: number;
  /** Nodes asked to send now: the stream that was asked, and when the grant lapses. */
  readonly #granted = new Map<string, { ask: () => void; lapse: NodeJS.Timeout }>();
  /** Nodes waiting for a slot, oldest first, with the way to ask each one's stream. */
  readonly #waiting = new Map<string, () => void>();

  constructor(options: { limit: number; grantMs?: number }) {
    if (!Number.isSafeInteger(options.limit) || options.limit < 1) {
      throw new RangeError(`inventory concurrency must be a whole number of at least 1, not ${options.limit}`);
    }
    this.#limit = options.limit;
    this.#grantMs = options.grantMs ?? 60_000;
  }

  /**
   * The collector wants the node's inventory. True: the node may send it now
   * (a slot is its own). False: it waits in line, and `ask` is called when
   * its turn comes; asking again while it waits keeps its place.
   */
  want(node: string, ask: () => void): boolean {
    const granted = this.#granted.get(node);
    if (granted !== undefined) {
      // Asked already (perhaps on an older stream of the node): this stream is the one to hold the slot.
      clearTimeout(granted.lapse);
      this.#grant(node, ask);
      return true;
    }
    if (this.#waiting.has(node) || this.#granted.size >= this.#limit) {
      this.#waiting.set(node, ask);
      return false;
    }
    this.#grant(node, ask);
    return true;
  }

  /** The node's inventory arrived (asked for or not): its slot or place in line is free. */
  received(node: string): void {
    this.#waiting.delete(node);
    this.#release(node);
  }

  /** The stream that `ask` reaches has ended: the node leaves the line, and frees its slot if that stream held it. */
  gone(node: string, ask: () => void): void {
    if (this.#waiting.get(node) === ask) this.#waiting.delete(node);
    if (this.#granted.get(node)?.ask === ask) this.#release(node);
  }

  /** Nodes asked to send now, and nodes waiting their turn. */
  counts(): { granted: number; waiting: number } {
    return { granted: this.#granted.size, waiting: this.#waiting.size };
  }

  close(): void {
    for (const { lapse } of this.#granted.values()) clearTimeout(lapse);
    this.#granted.clear();
    this.#waiting.clear();
  }

  #grant(node: string, ask: () => void): void {
    const lapse = setTimeout(() => this.#release(node), this.#grantMs);
    lapse.unref();
    this.#granted.set(node, { ask, lapse });
  }

  #release(node: string): void {
    const granted = this.#granted.get(node);
    if (granted === undefined) return;
    clearTimeout(granted.lapse);
    this.#granted.delete(node);
    for (const [next, ask] of this.#waiting) {
      if (this.#granted.size >= this.#limit) break;
      this.#waiting.delete(next);
      this.#grant(next, ask);
      ask();
    }
  }
}
