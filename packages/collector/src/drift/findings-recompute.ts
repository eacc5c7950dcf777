import {
  type ClusterSnapshot,
  type FindingDraft,
  type FindingKind,
  isAgentMissing,
  type Logger,
  mixedReplicasFindings,
  nodeFindings,
  pullPolicyRiskFindings,
  type TagResolution,
  type TagView,
  tagFindings,
} from "@imagedrift/core";
import type { CollectorMetrics } from "../metrics.js";
import type { FindingStore, NodeStore } from "../store/index.js";
import type { KubernetesFacts, TagSummary } from "./drift-inputs.js";
import { FindingLedger } from "./finding-ledger.js";
import { storeWrite } from "./store-retries.js";
import type { TagIndex } from "./tag-index.js";

/** Findings that only the Kubernetes API's facts give. */
const KUBERNETES_KINDS: ReadonlySet<FindingKind> = new Set(["pull-policy-risk", "mixed-replicas"]);

export interface FindingsRecomputeOptions {
  nodes: NodeStore;
  findings: FindingStore;
  index: TagIndex;
  resolutions: ReadonlyMap<string, TagResolution>;
  metrics: CollectorMetrics;
  log: Logger;
  kubernetes?: KubernetesFacts;
}

/**
 * The findings, recomputed incrementally (see docs/ARCHITECTURE.md,
 * "Findings"): what changed marks tags, nodes or the workloads dirty; a
 * recompute runs the core engine's per-tag and per-node functions on what is
 * dirty only, merges the drafts by key (FindingLedger) and writes only the
 * findings that changed. Until a recompute has stored its findings, what it
 * saw stays dirty.
 */
export class FindingsRecompute {
  readonly #o: FindingsRecomputeOptions;
  readonly #ledger = new FindingLedger();
  readonly #summaries = new Map<string, TagSummary>();
  readonly #dirtyTags = new Set<string>();
  readonly #dirtyNodes = new Set<string>();
  #workloadsDirty = true;
  /** The first recompute, and the one after a failed one, recompute everything. */
  #everythingDirty = true;
  #missing = new Set<string>();

  constructor(options: FindingsRecomputeOptions) {
    this.#o = options;
  }

  tagChanged(tag: string): void {
    this.#dirtyTags.add(tag);
  }

  nodeChanged(node: string): void {
    this.#dirtyNodes.add(node);
  }

  workloadsChanged(): void {
    this.#workloadsDirty = true;
  }

  /** What was dirty is recomputed whole next time (a recompute failed). */
  everythingChanged(): void {
    this.#everythingDirty = true;
  }

  /** The nodes whose agents were missing at the last recompute. */
  get missing(): ReadonlySet<string> {
    return this.#missing;
  }

  /** Each tag's status and counts at the last recompute: the live map. */
  get summaries(): ReadonlyMap<string, TagSummary> {
    return this.#summaries;
  }

  /** Recomputes what is dirty (everything on the first run) and stores the findings that changed. */
  run(now: Date): void {
    const end = this.#o.metrics.recomputeSeconds.startTimer();
    const nodes = this.#o.nodes.states();
    this.#noteMissing(nodes.filter((n) => isAgentMissing(n, now)).map((n) => n.name));
    const kubernetes = this.#o.kubernetes;
    const snapshot: ClusterSnapshot = {
      now,
      nodes,
      inventories: this.#o.nodes.inventories(),
      resolutions: this.#o.resolutions,
      ...(kubernetes === undefined ? {} : { workloads: kubernetes.pods() }),
    };
    if (this.#everythingDirty) {
      for (const tag of this.#o.index.tags()) this.#dirtyTags.add(tag);
      for (const tag of this.#summaries.keys()) this.#dirtyTags.add(tag);
      for (const node of nodes) this.#dirtyNodes.add(node.name);
      for (const node of this.#ledger.nodes()) this.#dirtyNodes.add(node);
      this.#workloadsDirty = true;
    }
    // The first recompute also closes findings stored before that no longer hold.
    const touched = new Set<string>(this.#everythingDirty ? this.#o.findings.list().map((f) => f.key) : []);
    for (const tag of this.#dirtyTags) this.#recomputeTag(tag, snapshot, touched);
    const known = new Set(nodes.map((n) => n.name));
    for (const node of this.#dirtyNodes) {
      const present = known.has(node) || snapshot.inventories.has(node);
      this.#ledger.set({ kind: "node", node }, present ? nodeFindings(node, snapshot) : [], touched);
    }
    if (this.#workloadsDirty) this.#ledger.set({ kind: "workloads" }, this.#workloadFindings(snapshot), touched);

    const changes = this.#ledger.merged(touched, snapshot);
    const change = storeWrite("storing findings", () => this.#o.findings.apply(changes, now));
    // Only now, once stored: a failure leaves everything dirty for the next try.
    this.#dirtyTags.clear();
    this.#dirtyNodes.clear();
    this.#workloadsDirty = false;
    this.#everythingDirty = false;
    end();
    if (change.opened || change.closed) this.#o.log.info("findings changed", change);
  }

  /** Notes which agents are missing now: their nodes, and the tags of those that came or went, are dirty. */
  #noteMissing(names: readonly string[]): void {
    const missing = new Set(names);
    for (const node of new Set([...missing, ...this.#missing])) {
      // agent-missing says for how long: a missing node's findings are recomputed every time.
      this.#dirtyNodes.add(node);
      if (missing.has(node) === this.#missing.has(node)) continue;
      // Findings naming a missing node say so: its tags' findings change.
      for (const tag of this.#o.nodes.holders(node).keys()) this.#dirtyTags.add(tag);
    }
    this.#missing = missing;
  }

  #recomputeTag(tag: string, snapshot: ClusterSnapshot, touched: Set<string>): void {
    const resolution = this.#o.resolutions.get(tag);
    // Most tags are the same everywhere and as the registry says: no view, no finding.
    const quiet = this.#o.index.quietStatus(tag, resolution);
    if (quiet !== null) {
      this.#summaries.set(tag, { status: quiet, distinct: 1, staleNodes: 0 });
      this.#ledger.set({ kind: "tag", tag }, [], touched);
      return;
    }
    const view = this.#o.index.view(tag, resolution);
    this.#summarize(tag, view);
    this.#ledger.set({ kind: "tag", tag }, view === null ? [] : tagFindings(view, snapshot), touched);
  }

  #summarize(tag: string, view: TagView | null): void {
    if (view === null) {
      this.#summaries.delete(tag);
      return;
    }
    const distinct = new Set<string>();
    let staleNodes = 0;
    for (const holder of view.nodes) {
      distinct.add(holder.digest ?? holder.imageId);
      if (holder.status === "stale") staleNodes += 1;
    }
    this.#summaries.set(tag, { status: view.status, distinct: distinct.size, staleNodes });
  }

  /**
   * Until the Kubernetes API has been listed once (a collector restart), the
   * Kubernetes findings stored before are kept as they are, so that they do
   * not close and reopen with a new firstSeenAt.
   */
  #workloadFindings(snapshot: ClusterSnapshot): FindingDraft[] {
    const kubernetes = this.#o.kubernetes;
    if (kubernetes === undefined) return [];
    if (kubernetes.synced()) return [...pullPolicyRiskFindings(snapshot), ...mixedReplicasFindings(snapshot)];
    return this.#o.findings
      .list()
      .filter((f) => KUBERNETES_KINDS.has(f.kind))
      .map(({ firstSeenAt: _first, lastSeenAt: _last, ...draft }) => draft);
  }
}
