import {
  type AgentScanMode,
  type Finding,
  isAgentMissing,
  type Logger,
  type NodeInventory,
  type TagResolution,
  type TagView,
  tagOfReference,
} from "@imagedrift/core";
import type { CollectorMetrics } from "../metrics.js";
import type { FindingStore, NodeStore, TagStore } from "../store/index.js";
import type { AgentHello, KubernetesFacts, TagResolverLike, TagSummary } from "./drift-inputs.js";
import { FindingsRecompute } from "./findings-recompute.js";
import { NodeIngest } from "./node-ingest.js";
import { resolvePushed } from "./push-recheck.js";
import { RecomputeScheduler } from "./recompute-scheduler.js";
import { ResolutionQueue } from "./resolution-queue.js";
import { StoreRetries } from "./store-retries.js";
import { TagIndex } from "./tag-index.js";

/** How often the sweep looks for agents gone missing (time alone makes them missing) and writes heartbeats. */
const SWEEP_MS = 2_000;

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
 * The collector's picture of the cluster (docs/ARCHITECTURE.md, "The drift
 * domain"): every node's last inventory (NodeStore), which node holds what
 * under each tag (TagIndex), the registry's answer for every tag
 * (ResolutionQueue) and the findings (FindingsRecompute).
 *
 * What changes marks what it touches dirty: an inventory its node and the
 * tags that moved on it or that its containers want; a resolution its tag,
 * the nodes running containers and the workloads; an agent going missing or
 * coming back its node and its tags. RecomputeScheduler coalesces the
 * recomputes; StoreRetries stores again what a full disk refused.
 *
 * With the Kubernetes API, its pods feed pull-policy-risk and mixed-replicas,
 * node labels come from it (over the agents' `--node-labels`), and a node
 * deleted from the cluster is removed from the collector, not reported
 * `agent-missing`.
 */
export class DriftService {
  readonly #o: DriftServiceOptions;
  readonly #now: () => Date;
  readonly #index = new TagIndex();
  readonly #resolutions: ResolutionQueue;
  readonly #findings: FindingsRecompute;
  readonly #scheduler = new RecomputeScheduler(() => this.#refresh());
  readonly #retries: StoreRetries;
  readonly #ingest: NodeIngest;
  #timers: NodeJS.Timeout[] = [];
  /** Ends the waits of push notifications' re-asks on stop. */
  readonly #stopping = new AbortController();
  /** Counts up with every change of what GET /api/v1/tags shows. */
  #tagsVersion = 0;

  constructor(options: DriftServiceOptions) {
    this.#o = options;
    const now = options.now ?? (() => new Date());
    this.#now = now;
    this.#retries = new StoreRetries({ nodes: options.nodes, log: options.log, now });
    this.#resolutions = new ResolutionQueue({
      resolver: options.resolver,
      tags: options.tags,
      index: this.#index,
      log: options.log,
      now,
      stored: (changed) => this.#resolved(changed),
    });
    this.#findings = new FindingsRecompute({
      ...options,
      index: this.#index,
      resolutions: this.#resolutions.resolutions,
    });
    this.#ingest = new NodeIngest({
      ...options,
      index: this.#index,
      findings: this.#findings,
      scheduler: this.#scheduler,
      resolutions: this.#resolutions,
      retries: this.#retries,
      now,
      tagsMoved: () => {
        this.#tagsVersion += 1;
      },
    });
    this.#loadIndex();
    options.metrics.watch({
      nodes: () => options.nodes.list(),
      missing: () => this.#findings.missing,
      tags: () => this.#findings.summaries,
      findings: () => options.findings.list(),
    });
    this.#refresh();
  }

  start(): void {
    void this.resolveNow();
    this.#timers.push(setInterval(() => void this.resolveNow(), this.#o.resolveIntervalMs));
    this.#timers.push(
      setInterval(() => {
        this.#retries.flushTouches();
        this.#sweepMissing();
      }, SWEEP_MS),
    );
    for (const t of this.#timers) t.unref();
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    this.#stopping.abort();
    this.#scheduler.stop();
    await this.#resolutions.idle();
    this.#retries.flushTouches();
  }

  /** An agent said hello; returns whether the collector wants its inventory (it does not hold the hello's hash). */
  hello(node: string, hello: AgentHello): boolean {
    return this.#ingest.hello(node, hello);
  }

  /** Returns whether the collector wants the inventory again (the hash is not the one it holds). */
  heartbeat(node: string, hash: string, scanMode?: AgentScanMode): boolean {
    return this.#ingest.heartbeat(node, hash, scanMode);
  }

  /** How the node's agent learns of changes (`events`, `polling`), as it last said; undefined when it has not. */
  scanMode(node: string): AgentScanMode | undefined {
    return this.#ingest.scanMode(node);
  }

  inventory(inventory: NodeInventory, hash: string): void {
    this.#ingest.inventory(inventory, hash);
  }

  /** Removes a node and everything it held (a node deleted from the cluster): see NodeIngest. */
  removeNode(node: string, reason: string): void {
    this.#ingest.removeNode(node, reason);
  }

  /** Pods or nodes changed in the Kubernetes API (or have just been listed). */
  kubernetesChanged(): void {
    this.#findings.workloadsChanged();
    this.#scheduler.changed();
  }

  /** The node's labels for job selectors: Kubernetes labels merged over the agent's `--node-labels`. */
  nodeLabels(node: string, agentLabels: Readonly<Record<string, string>>): Record<string, string> {
    return { ...agentLabels, ...this.#o.kubernetes?.nodeLabels(node) };
  }

  nodeInventory(node: string): NodeInventory | undefined {
    return this.#o.nodes.inventory(node);
  }

  /** Every tag any node holds, sorted by reference: computed on each call (large at thousands of nodes). */
  get tagViews(): TagView[] {
    return this.#index.tags().flatMap((tag) => this.tagView(tag) ?? []);
  }

  /** Every tag any node holds, sorted by reference. */
  get tags(): readonly string[] {
    return this.#index.tags();
  }

  /** One tag across nodes, computed now; null when no node holds it. */
  tagView(tag: string): TagView | null {
    return this.#index.view(tag, this.#resolutions.resolutions.get(tag));
  }

  /** The tag's status and counts at the last recompute. */
  tagSummary(tag: string): TagSummary | undefined {
    return this.#findings.summaries.get(tag);
  }

  /** Counts up whenever what GET /api/v1/tags shows may have changed. */
  get tagsVersion(): number {
    return this.#tagsVersion;
  }

  get findingsVersion(): number {
    return this.#o.findings.version;
  }

  get missingNodes(): ReadonlySet<string> {
    return this.#findings.missing;
  }

  findings(filter: { kind?: string; severity?: string } = {}): Finding[] {
    return this.#o.findings.list(filter);
  }

  /** For a prepull: its tags resolved now (each at most once per interval), waiting at most `timeoutMs`. */
  async resolveTags(references: readonly string[], timeoutMs = 10_000): Promise<void> {
    const tags = references.flatMap((reference) => tagOfReference(reference) ?? []);
    if (tags.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    const resolved = this.#resolutions.resolve(tags, { cause: "job" });
    await Promise.race([resolved, deadline]).finally(() => clearTimeout(timer));
  }

  /** What the registry told a job about `tag` right before it pulled: the tag's newest answer. */
  jobAsked(tag: string, answer: TagResolution): void {
    this.#resolutions.record(tag, answer, "job");
  }

  /** Resolves every tag any node holds or a pod wants (each at most once per interval) and recomputes. */
  resolveNow(): Promise<void> {
    return this.#resolutions.resolve(this.knownTags(), { cause: "poll" });
  }

  /** Every tag some node holds, and every tag a pod wants (held by no agent's node yet). */
  knownTags(): Set<string> {
    const tags = new Set<string>(this.#index.tags());
    // Tags that pods use, held by no agent's node yet: mixed-replicas names the registry's digest too.
    for (const pod of this.#o.kubernetes?.pods() ?? []) {
      for (const container of pod.containers) {
        const tag = tagOfReference(container.image);
        if (tag !== null) tags.add(tag);
      }
    }
    return tags;
  }

  /**
   * Asks the registry for these tags now, whatever the interval (a registry said they were pushed or
   * deleted); `pushed`: the digest each push named, asked again until answered (push-recheck.ts).
   */
  resolveChanged(tags: readonly string[], pushed: ReadonlyMap<string, string | null> = new Map()): Promise<void> {
    return resolvePushed({
      pushed: new Map(tags.map((tag) => [tag, pushed.get(tag) ?? null])),
      resolve: (asked) => this.#resolutions.resolve(asked, { fresh: true, cause: "event" }),
      answer: (tag) => this.#resolutions.resolutions.get(tag),
      signal: this.#stopping.signal,
    });
  }

  /** Recomputes what is dirty (everything on the first run) and stores the findings that changed; throws when it cannot. */
  recompute(): void {
    const started = performance.now();
    const now = this.#now();
    this.#ingest.removeNodesGoneFromCluster(now);
    this.#findings.run(now);
    this.#scheduler.took(performance.now() - started);
  }

  /** Loads every stored node into the tag index (a restart). */
  #loadIndex(): void {
    const nodes = this.#o.nodes;
    this.#index.reserve(nodes.inventories().size);
    const left = this.#index.load(nodes.imageNumbers(), (image) => nodes.holdingsOf(image));
    for (const node of left) {
      const holders = nodes.holders(node);
      this.#index.update(node, holders, holders.keys());
    }
  }

  /** New registry answers are stored: the tags whose answer changed, and what reads them, are dirty. */
  #resolved(changed: readonly string[]): void {
    this.#tagsVersion += 1;
    for (const tag of changed) this.#findings.tagChanged(tag);
    if (changed.length > 0) {
      // running-stale compares running containers with the registry; the workload findings name its digest.
      for (const [node, inventory] of this.#o.nodes.inventories()) {
        if (inventory.images.some((i) => i.containers.length > 0)) this.#findings.nodeChanged(node);
      }
      this.#findings.workloadsChanged();
    }
    this.#scheduler.changed();
  }

  /** A recompute from a timer: a failure is logged, and what was dirty is recomputed whole next time. */
  #refresh(): void {
    if (!this.#retries.recompute(() => this.recompute())) this.#findings.everythingChanged();
  }

  #sweepMissing(): void {
    if (this.#retries.findingsUnsaved) this.#scheduler.changed();
    const now = this.#now();
    const missing = this.#o.nodes.states().filter((n) => isAgentMissing(n, now));
    const known = this.#findings.missing;
    if (missing.length !== known.size || missing.some((n) => !known.has(n.name))) this.#scheduler.changed();
  }
}
