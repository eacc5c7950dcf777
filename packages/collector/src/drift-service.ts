import {
  type ClusterSnapshot,
  computeFindings,
  computeTagViews,
  type Finding,
  type FindingDraft,
  type FindingKind,
  isAgentMissing,
  type Logger,
  type NodeInventory,
  type TagResolution,
  type TagView,
  tagOf,
  toImagedriftError,
  tryParseImageRef,
  type WorkloadPod,
} from "@imagedrift/core";
import type { Hello } from "@imagedrift/protocol";
import type { CollectorMetrics } from "./metrics.js";
import { type AgentHello, type FindingStore, type NodeStore, storeError, type TagStore } from "./store/index.js";

/** Resolves tags against their registries; at most once per tag per interval, however often asked. */
export interface TagResolverLike {
  resolve(tags: readonly string[], now: Date): Promise<ReadonlyMap<string, TagResolution>>;
}

/** What the Kubernetes API says (KubernetesWatcher): pods with their workloads, node labels, deleted nodes. */
export interface KubernetesFacts {
  /** Whether pods and nodes have been listed once: until then, absence means nothing. */
  synced(): boolean;
  pods(): readonly WorkloadPod[];
  /** The node's Kubernetes labels; undefined when the API server has no such node. */
  nodeLabels(node: string): Readonly<Record<string, string>> | undefined;
  nodePresence(node: string): "present" | "deleted" | "unknown";
}

/** Findings that only the Kubernetes API's facts give. */
const KUBERNETES_KINDS: ReadonlySet<FindingKind> = new Set(["pull-policy-risk", "mixed-replicas"]);

export interface DriftServiceOptions {
  nodes: NodeStore;
  tags: TagStore;
  findings: FindingStore;
  resolver: TagResolverLike;
  metrics: CollectorMetrics;
  log: Logger;
  resolveIntervalMs: number;
  /** The Kubernetes API's facts; absent when the collector does not use it (`--kubernetes off`). */
  kubernetes?: KubernetesFacts;
  now?: () => Date;
}

/**
 * The collector's picture of the cluster: every node's last inventory and the
 * registry's answer for every tag, kept in memory for the findings engine and
 * in SQLite so a restart loses nothing. Recomputes tags and findings after
 * each change (coalesced), and resolves tags every interval.
 *
 * With the Kubernetes API, its pods feed pull-policy-risk and mixed-replicas,
 * node labels come from it (over the agents' `--node-labels`), and a node
 * deleted from the cluster is removed from the collector, not reported
 * `agent-missing`.
 */
export class DriftService {
  readonly #o: DriftServiceOptions;
  readonly #now: () => Date;
  readonly #inventories: Map<string, NodeInventory>;
  readonly #resolutions: Map<string, TagResolution>;
  #tagViews: TagView[] = [];
  #missing = new Set<string>();
  #dirty: NodeJS.Timeout | undefined;
  /** How long the last recompute took: the next waits as long (see #markDirty). */
  #recomputeMs = 0;
  #timers: NodeJS.Timeout[] = [];
  #resolving: Promise<void> | undefined;
  /** Hellos the database refused (a full disk): stored before their node's next message. */
  readonly #unsavedHellos = new Map<string, AgentHello>();
  /** The last recompute could not store the findings: the sweep tries again. */
  #findingsUnsaved = false;

  constructor(options: DriftServiceOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
    this.#inventories = options.nodes.inventories();
    this.#resolutions = options.tags.all();
    this.#refresh();
  }

  start(): void {
    void this.resolveNow();
    this.#timers.push(setInterval(() => void this.resolveNow(), this.#o.resolveIntervalMs));
    // Time alone makes agents missing: look again every few seconds.
    this.#timers.push(setInterval(() => this.#sweepMissing(), 2_000));
    for (const t of this.#timers) t.unref();
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    clearTimeout(this.#dirty);
    await this.#resolving;
  }

  hello(node: string, hello: Hello): boolean {
    const agent = { agentVersion: hello.agentVersion, intervalMs: Number(hello.intervalMs), labels: hello.labels };
    let held: string | null = null;
    try {
      held = this.#o.nodes.hello(node, agent, this.#now());
      this.#unsavedHellos.delete(node);
    } catch (thrown) {
      // Welcomed all the same (an agent left without a welcome would wait forever): its next message stores it.
      this.#unsavedHellos.set(node, agent);
      this.#o.log.error("hello not stored", { node, error: storeError(thrown, `storing the hello of ${node}`) });
    }
    this.#markDirty();
    return hello.inventoryHash === "" || held !== hello.inventoryHash || !this.#inventories.has(node);
  }

  heartbeat(node: string, hash: string): boolean {
    this.#saveHello(node);
    const record = this.#o.nodes.get(node);
    // A node removed while its agent stayed connected comes back with the agent's next hello.
    if (record === undefined) return false;
    this.#write(`storing the heartbeat of ${node}`, () => this.#o.nodes.touch(node, this.#now()));
    this.#o.metrics.reports.inc({ kind: "heartbeat" });
    if (this.#missing.has(node)) this.#markDirty();
    return record.inventoryHash !== hash;
  }

  inventory(inventory: NodeInventory, hash: string): void {
    this.#saveHello(inventory.node);
    if (this.#o.nodes.get(inventory.node) === undefined) {
      this.#o.log.debug("inventory of a removed node dropped", { node: inventory.node });
      return;
    }
    const end = this.#o.metrics.ingestSeconds.startTimer();
    const result = this.#write(`storing the inventory of ${inventory.node}`, () =>
      this.#o.nodes.save(inventory, hash, this.#now()),
    );
    end();
    this.#o.metrics.reports.inc({ kind: "inventory" });
    this.#o.log.debug("inventory stored", {
      node: inventory.node,
      rows: result.rowsWritten,
      changedTags: result.changedTags.length,
    });
    this.#inventories.set(inventory.node, inventory);
    this.#markDirty();
    const unknown = result.changedTags.filter((tag) => !this.#resolutions.has(tag));
    if (unknown.length > 0) void this.#resolve(unknown);
  }

  /**
   * Removes a node and everything it held (a node deleted from the cluster):
   * its findings close at the next recompute. Its agent, should it report
   * again, adds it back with its next hello.
   */
  removeNode(node: string, reason: string): void {
    const known = this.#o.nodes.get(node) !== undefined || this.#inventories.has(node);
    if (!known) return;
    this.#o.nodes.remove(node);
    this.#inventories.delete(node);
    this.#o.log.info("node removed", { node, reason });
    this.#markDirty();
  }

  /** Pods or nodes changed in the Kubernetes API (or have just been listed). */
  kubernetesChanged(): void {
    this.#markDirty();
  }

  /** The node's labels for job selectors: Kubernetes labels merged over the agent's `--node-labels`. */
  nodeLabels(node: string, agentLabels: Readonly<Record<string, string>>): Record<string, string> {
    return { ...agentLabels, ...this.#o.kubernetes?.nodeLabels(node) };
  }

  nodeInventory(node: string): NodeInventory | undefined {
    return this.#inventories.get(node);
  }

  get tagViews(): TagView[] {
    return this.#tagViews;
  }

  get missingNodes(): ReadonlySet<string> {
    return this.#missing;
  }

  findings(filter: { kind?: string; severity?: string } = {}): Finding[] {
    return this.#o.findings.list(filter);
  }

  /**
   * Resolves the given references' tags now (each at most once per interval),
   * waiting at most `timeoutMs`: a slow registry leaves them unresolved.
   */
  async resolveTags(references: readonly string[], timeoutMs = 10_000): Promise<void> {
    const tags = references.flatMap((r) => {
      const parsed = tryParseImageRef(r);
      const tag = parsed && !parsed.digest ? tagOf(parsed) : null;
      return tag ? [tag] : [];
    });
    if (tags.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([this.#resolve(tags), deadline]).finally(() => clearTimeout(timer));
  }

  /** Resolves every tag any node holds (each at most once per interval) and recomputes. */
  resolveNow(): Promise<void> {
    const tags = new Set<string>();
    for (const view of this.#tagViews) tags.add(view.reference);
    // Tags that pods use, held by no agent's node yet: mixed-replicas names the registry's digest too.
    for (const pod of this.#o.kubernetes?.pods() ?? []) {
      for (const container of pod.containers) {
        const parsed = tryParseImageRef(container.image);
        const tag = parsed && !parsed.digest ? tagOf(parsed) : null;
        if (tag) tags.add(tag);
      }
    }
    return this.#resolve([...tags]);
  }

  #resolve(tags: string[]): Promise<void> {
    const run = async () => {
      try {
        const resolved = await this.#o.resolver.resolve(tags, this.#now());
        this.#write("storing tag resolutions", () => this.#o.tags.save(resolved));
        for (const [tag, resolution] of resolved) this.#resolutions.set(tag, resolution);
        this.#markDirty();
      } catch (thrown) {
        this.#o.log.error("tag resolution failed", { error: toImagedriftError(thrown) });
      }
    };
    const next = (this.#resolving ?? Promise.resolve()).then(run);
    this.#resolving = next;
    return next;
  }

  #snapshot(): ClusterSnapshot {
    const snapshot: ClusterSnapshot = {
      now: this.#now(),
      nodes: this.#o.nodes.states(),
      inventories: this.#inventories,
      resolutions: this.#resolutions,
    };
    const kubernetes = this.#o.kubernetes;
    return kubernetes === undefined ? snapshot : { ...snapshot, workloads: kubernetes.pods() };
  }

  /**
   * Until the Kubernetes API has been listed once (a collector restart), the
   * Kubernetes findings stored before are kept as they are, so that they do
   * not close and reopen with a new firstSeenAt.
   */
  #keptKubernetesFindings(): FindingDraft[] {
    if (this.#o.kubernetes === undefined || this.#o.kubernetes.synced()) return [];
    return this.#o.findings
      .list()
      .filter((f) => KUBERNETES_KINDS.has(f.kind))
      .map(({ firstSeenAt: _first, lastSeenAt: _last, ...draft }) => draft);
  }

  /** Runs a database write; a failure becomes an error naming what was stored and SQLite's code. */
  #write<T>(what: string, write: () => T): T {
    try {
      return write();
    } catch (thrown) {
      throw storeError(thrown, what);
    }
  }

  /** Stores the node's hello if the database refused it before; throws while it still cannot. */
  #saveHello(node: string): void {
    const agent = this.#unsavedHellos.get(node);
    if (agent === undefined) return;
    this.#write(`storing the hello of ${node}`, () => this.#o.nodes.hello(node, agent, this.#now()));
    this.#unsavedHellos.delete(node);
  }

  /**
   * Recomputes, logging a failure instead of throwing (this runs from timers): the picture in
   * memory stays current and serves reads, and the findings table catches up once writes work.
   */
  #refresh(): void {
    try {
      this.recompute();
      if (this.#findingsUnsaved) this.#o.log.info("findings stored again");
      this.#findingsUnsaved = false;
    } catch (thrown) {
      if (!this.#findingsUnsaved) this.#o.log.error("recompute failed", { error: toImagedriftError(thrown) });
      this.#findingsUnsaved = true;
    }
  }

  /**
   * Schedules a recompute of everything, coalescing the changes that come before it. It waits as
   * long as the last one took: with 500 nodes a recompute takes a few hundred ms, and run after
   * every message of a herd of reconnecting agents it left the event loop no time for the messages
   * themselves (a minute on, 70 of 500 agents still waited for their welcome). This way recomputing
   * takes at most half the time.
   */
  #markDirty(): void {
    this.#dirty ??= setTimeout(() => {
      this.#dirty = undefined;
      this.#refresh();
    }, this.#recomputeMs);
  }

  #sweepMissing(): void {
    if (this.#findingsUnsaved) this.#markDirty();
    const now = this.#now();
    const missing = this.#o.nodes.states().filter((n) => isAgentMissing(n, now));
    if (missing.length !== this.#missing.size || missing.some((n) => !this.#missing.has(n.name))) this.#markDirty();
  }

  /**
   * Nodes deleted from the cluster while no watch saw it (the collector was
   * down): once nodes are listed, a node the API server does not have and
   * whose agent is missing is removed. A node whose agent still reports is
   * kept, whatever its name in the cluster.
   */
  #removeNodesGoneFromCluster(now: Date): void {
    const kubernetes = this.#o.kubernetes;
    if (kubernetes === undefined || !kubernetes.synced()) return;
    for (const node of this.#o.nodes.states()) {
      if (kubernetes.nodePresence(node.name) === "present" || !isAgentMissing(node, now)) continue;
      this.removeNode(node.name, "not in the cluster's node list and its agent stopped reporting");
    }
  }

  /** Recomputes tag views and findings from the in-memory picture and stores the findings. */
  recompute(): void {
    const started = performance.now();
    const end = this.#o.metrics.recomputeSeconds.startTimer();
    this.#removeNodesGoneFromCluster(this.#now());
    const snapshot = this.#snapshot();
    this.#tagViews = computeTagViews(snapshot);
    this.#missing = new Set(snapshot.nodes.filter((n) => isAgentMissing(n, snapshot.now)).map((n) => n.name));
    const drafts = [...computeFindings(snapshot), ...this.#keptKubernetesFindings()];
    const change = this.#write("storing findings", () => this.#o.findings.replace(drafts, snapshot.now));
    end();
    this.#recomputeMs = Math.round(performance.now() - started);
    if (change.opened || change.closed) this.#o.log.info("findings changed", change);
    this.#o.metrics.recordState({
      nodes: this.#o.nodes.list(),
      missing: this.#missing,
      tags: this.#tagViews,
      findings: this.#o.findings.list(),
    });
  }
}
