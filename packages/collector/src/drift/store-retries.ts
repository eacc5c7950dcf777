/**
 * What the drift domain does when SQLite refuses a write (a full disk, see
 * docs/ARCHITECTURE.md, "What is stored where"): the picture in memory stays
 * current and serves reads, and what could not be stored is stored again once
 * writes work.
 */
import { type Logger, toImagedriftError } from "@imagedrift/core";
import { type HelloRecord, type NodeStore, storeError } from "../store/index.js";
import type { AgentHello } from "./drift-inputs.js";

/** Runs a database write; a failure becomes an error naming what was stored and SQLite's code. */
export function storeWrite<T>(what: string, write: () => T): T {
  try {
    return write();
  } catch (thrown) {
    throw storeError(thrown, what);
  }
}

export interface StoreRetriesOptions {
  nodes: NodeStore;
  log: Logger;
  now: () => Date;
}

/**
 * Hellos and findings the database refused, tried again: a hello before its
 * node's next message, the findings at the next recompute (which the sweep
 * schedules while they are unsaved).
 */
export class StoreRetries {
  readonly #o: StoreRetriesOptions;
  /** Hellos the database refused: stored before their node's next message. */
  readonly #unsavedHellos = new Map<string, HelloRecord>();
  /** The last recompute could not store the findings. */
  #findingsUnsaved = false;

  constructor(options: StoreRetriesOptions) {
    this.#o = options;
  }

  /**
   * Stores the hello; returns the inventory hash the collector holds for the
   * node, null when none or when the database refused the hello. The agent is
   * welcomed all the same (an agent left without a welcome would wait
   * forever): its next message stores the hello.
   */
  hello(node: string, hello: AgentHello): string | null {
    const stored: HelloRecord = {
      agentVersion: hello.agentVersion,
      intervalMs: hello.intervalMs,
      labels: hello.labels,
    };
    try {
      const held = this.#o.nodes.hello(node, stored, this.#o.now());
      this.#unsavedHellos.delete(node);
      return held;
    } catch (thrown) {
      this.#unsavedHellos.set(node, stored);
      this.#o.log.error("hello not stored", { node, error: storeError(thrown, `storing the hello of ${node}`) });
      return null;
    }
  }

  /** Stores the node's hello if the database refused it before; throws while it still cannot. */
  saveHello(node: string): void {
    const hello = this.#unsavedHellos.get(node);
    if (hello === undefined) return;
    storeWrite(`storing the hello of ${node}`, () => this.#o.nodes.hello(node, hello, this.#o.now()));
    this.#unsavedHellos.delete(node);
  }

  /** Writes the report times heartbeats moved; a failure is logged, and they are written at the next flush. */
  flushTouches(): void {
    try {
      this.#o.nodes.flushTouches();
    } catch (thrown) {
      this.#o.log.error("report times not stored", { error: storeError(thrown, "storing report times") });
    }
  }

  /** Whether the last recompute could not store the findings. */
  get findingsUnsaved(): boolean {
    return this.#findingsUnsaved;
  }

  /**
   * Runs a recompute, logging a failure instead of throwing (it runs from
   * timers), once until it works again. Returns whether the findings were stored.
   */
  recompute(recompute: () => void): boolean {
    try {
      recompute();
      if (this.#findingsUnsaved) this.#o.log.info("findings stored again");
      this.#findingsUnsaved = false;
      return true;
    } catch (thrown) {
      if (!this.#findingsUnsaved) this.#o.log.error("recompute failed", { error: toImagedriftError(thrown) });
      this.#findingsUnsaved = true;
      return false;
    }
  }
}
