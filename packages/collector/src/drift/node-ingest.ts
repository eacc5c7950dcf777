import { type AgentScanMode, isAgentMissing, type Logger, type NodeInventory } from "@imagedrift/core";
import type { CollectorMetrics } from "../metrics.js";
import type { NodeStore } from "../store/index.js";
import type { AgentHello, KubernetesFacts } from "./drift-inputs.js";
import type { FindingsRecompute } from "./findings-recompute.js";
import type { RecomputeScheduler } from "./recompute-scheduler.js";
import type { ResolutionQueue } from "./resolution-queue.js";
import { type StoreRetries, storeWrite } from "./store-retries.js";
import type { TagIndex } from "./tag-index.js";
import { wantedTagsOf } from "./wanted-tags.js";

export interface NodeIngestOptions {
  nodes: NodeStore;
  index: TagIndex;
  findings: FindingsRecompute;
  scheduler: RecomputeScheduler;
  resolutions: ResolutionQueue;
  retries: StoreRetries;
  metrics: CollectorMetrics;
  log: Logger;
  now: () => Date;
  kubernetes?: KubernetesFacts;
  /** Which tags nodes hold, or at what, changed: what GET /api/v1/tags shows moved. */
  tagsMoved: () => void;
}

/**
 * What agents say, and nodes leaving, applied to the picture: the store and
 * the tag index take the node's new holdings, and what that touches is marked
 * dirty for the next recompute (see docs/ARCHITECTURE.md, "The path of a report").
 */
export class NodeIngest {
  readonly #o: NodeIngestOptions;
  /** Each connected agent's scan mode as it last said: live state, not stored (the agent says it again). */
  readonly #scanModes = new Map<string, AgentScanMode>();

  constructor(options: NodeIngestOptions) {
    this.#o = options;
  }

  /** An agent said hello; returns whether the collector wants its inventory (it does not hold the hello's hash). */
  hello(node: string, hello: AgentHello): boolean {
    this.#setScanMode(node, hello.scanMode);
    const held = this.#o.retries.hello(node, hello);
    this.#o.findings.nodeChanged(node);
    this.#o.scheduler.changed();
    return hello.inventoryHash === "" || held !== hello.inventoryHash || this.#o.nodes.inventory(node) === undefined;
  }

  /** Returns whether the collector wants the inventory again (the hash is not the one it holds). */
  heartbeat(node: string, hash: string, scanMode?: AgentScanMode): boolean {
    this.#o.retries.saveHello(node);
    const record = this.#o.nodes.get(node);
    // A node removed while its agent stayed connected comes back with the agent's next hello.
    if (record === undefined) return false;
    this.#setScanMode(node, scanMode);
    this.#o.nodes.touch(node, this.#o.now());
    this.#o.metrics.reports.inc({ kind: "heartbeat" });
    if (this.#o.findings.missing.has(node)) this.#o.scheduler.changed();
    return record.inventoryHash !== hash;
  }

  /** How the node's agent learns of changes, as it last said; undefined when it has not said. */
  scanMode(node: string): AgentScanMode | undefined {
    return this.#scanModes.get(node);
  }

  #setScanMode(node: string, mode: AgentScanMode | undefined): void {
    if (mode === undefined) this.#scanModes.delete(node);
    else this.#scanModes.set(node, mode);
  }

  inventory(inventory: NodeInventory, hash: string): void {
    const { nodes, findings } = this.#o;
    const node = inventory.node;
    this.#o.retries.saveHello(node);
    if (nodes.get(node) === undefined) {
      this.#o.log.debug("inventory of a removed node dropped", { node });
      return;
    }
    const end = this.#o.metrics.ingestSeconds.startTimer();
    const wantedBefore = wantedTagsOf(nodes.inventory(node));
    const result = storeWrite(`storing the inventory of ${node}`, () => nodes.save(inventory, hash, this.#o.now()));
    this.#o.index.update(node, result.holders, result.changedTags);
    for (const tag of result.changedTags) findings.tagChanged(tag);
    for (const tag of wantedBefore) findings.tagChanged(tag);
    for (const tag of wantedTagsOf(nodes.inventory(node))) findings.tagChanged(tag);
    findings.nodeChanged(node);
    if (result.changedTags.length > 0) this.#o.tagsMoved();
    end();
    this.#o.metrics.reports.inc({ kind: "inventory" });
    this.#o.log.debug("inventory stored", { node, rows: result.rowsWritten, changedTags: result.changedTags.length });
    this.#o.scheduler.changed();
    const resolutions = this.#o.resolutions;
    const unknown = result.changedTags.filter((tag) => result.holders.has(tag) && resolutions.needsAsking(tag));
    if (unknown.length > 0) void resolutions.resolve(unknown, { cause: "inventory" });
  }

  /**
   * Removes a node and everything it held (a node deleted from the cluster):
   * its findings close at the next recompute. Its agent, should it report
   * again, adds it back with its next hello.
   */
  removeNode(node: string, reason: string): void {
    const { nodes, findings, index } = this.#o;
    if (nodes.get(node) === undefined && nodes.inventory(node) === undefined) return;
    const holders = nodes.holders(node);
    for (const tag of wantedTagsOf(nodes.inventory(node))) findings.tagChanged(tag);
    nodes.remove(node);
    this.#scanModes.delete(node);
    index.update(node, new Map(), holders.keys());
    index.release(node);
    for (const tag of holders.keys()) findings.tagChanged(tag);
    findings.nodeChanged(node);
    this.#o.tagsMoved();
    this.#o.log.info("node removed", { node, reason });
    this.#o.scheduler.changed();
  }

  /**
   * Nodes deleted from the cluster while no watch saw it (the collector was
   * down): once nodes are listed, a node the API server does not have and
   * whose agent is missing is removed. A node whose agent still reports is
   * kept, whatever its name in the cluster.
   */
  removeNodesGoneFromCluster(now: Date): void {
    const kubernetes = this.#o.kubernetes;
    if (kubernetes === undefined || !kubernetes.synced()) return;
    for (const node of this.#o.nodes.states()) {
      if (kubernetes.nodePresence(node.name) === "present" || !isAgentMissing(node, now)) continue;
      this.removeNode(node.name, "not in the cluster's node list and its agent stopped reporting");
    }
  }
}
