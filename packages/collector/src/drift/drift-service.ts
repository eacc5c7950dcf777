import {
  type ClusterSnapshot,
  type Finding,
  type FindingDraft,
  type FindingKind,
  isAgentMissing,
  type Logger,
  mergeFindings,
  mixedReplicasFindings,
  type NodeInventory,
  nodeFindings,
  pullPolicyRiskFindings,
  type TagResolution,
  type TagStatus,
  type TagView,
  tagFindings,
  tagOf,
  toImagedriftError,
  tryParseImageRef,
  type WorkloadPod,
} from "@imagedrift/core";
import type { Hello } from "@imagedrift/protocol";
import type { CollectorMetrics } from "./metrics.js";
import { type AgentHello, type FindingStore, type NodeStore, storeError, type TagStore } from "./store/index.js";
import { TagIndex } from "./tag-index.js";

/** Resolves tags against their registries; at most once per tag per interval, however often asked. */
export interface TagResolverLike {
  resolve(tags: readonly string[], now: Date): Promise<ReadonlyMap<string, TagResolution>>;
  /** The image ids a digest of the tag gives per platform (cached by digest); null when unknown. */
  platformImages?(tag: string, digest: string): Promise<readonly string[] | null>;
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

/** The shortest lull a recompute waits for, and the longest it lets changes wait (see #markDirty). */
const MIN_QUIET_MS = 10;
const MAX_LAG_MS = 5_000;

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

/** What the metrics and the `status` filter need of a tag, kept from its last recompute. */
export interface TagSummary {
  status: TagStatus;
  /** Distinct digests (image ids for local-only holders) across nodes. */
  distinct: number;
  staleNodes: number;
}

/** Where a finding draft came from: a tag, a node, or the Kubernetes workloads. */
type Source = `t:${string}` | `n:${string}` | "w";

/**
 * The collector's picture of the cluster: every node's last inventory (in
 * NodeStore, in memory and SQLite) and the registry's answer for every tag.
 *
 * Findings are recomputed incrementally: an inventory makes its node and the
 * tags that moved on it (or that its containers want) dirty; a resolution
 * makes its tag, the nodes running containers and the workloads dirty; an
 * agent going missing or coming back makes its node and its tags dirty. A
 * recompute (coalesced after changes) recomputes only what is dirty, with the
 * core engine's per-tag and per-node functions, merges by key, and writes
 * only the findings that changed. Tags are resolved every interval.
 *
 * With the Kubernetes API, its pods feed pull-policy-risk and mixed-replicas,
 * node labels come from it (over the agents' `--node-labels`), and a node
 * deleted from the cluster is removed from the collector, not reported
 * `agent-missing`.
 */
export class DriftService {
  readonly #o: DriftServiceOptions;
  readonly #now: () => Date;
  readonly #resolutions: Map<string, TagResolution>;
  readonly #index = new TagIndex();
  readonly #summaries = new Map<string, TagSummary>();
  /** Each source's drafts, and the drafts of each key by source (running-stale has one per node). */
  readonly #drafts = new Map<Source, FindingDraft[]>();
  readonly #byKey = new Map<string, Map<Source, FindingDraft>>();
  readonly #dirtyTags = new Set<string>();
  readonly #dirtyNodes = new Set<string>();
  #workloadsDirty = true;
  #everythingDirty = true;
  #missing = new Set<string>();
  #dirty: NodeJS.Timeout | undefined;
  /** How long the last recompute took: the next waits for a lull twice as long (see #markDirty). */
  #recomputeMs = 0;
  /** When the last change came, and the first one the next recompute has not seen (performance.now()). */
  #lastChangeAt = 0;
  #firstChangeAt: number | undefined;
  #timers: NodeJS.Timeout[] = [];
  #resolving: Promise<void> | undefined;
  /** The resolution batch that has not started yet, and the tags it will ask for. */
  #nextBatch: Promise<void> | undefined;
  readonly #queuedTags = new Set<string>();
  /** Counts up with every change of what GET /api/v1/tags shows. */
  #tagsVersion = 0;
  /** Hellos the database refused (a full disk): stored before their node's next message. */
  readonly #unsavedHellos = new Map<string, AgentHello>();
  /** The last recompute could not store the findings: the sweep tries again. */
  #findingsUnsaved = false;

  constructor(options: DriftServiceOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
    this.#resolutions = options.tags.all();
    this.#index.reserve(options.nodes.inventories().size);
    const loaded = this.#index.load(options.nodes.imageNumbers(), (image) => options.nodes.holdingsOf(image));
    for (const node of loaded) {
      const holders = options.nodes.holders(node);
      this.#index.update(node, holders, holders.keys());
    }
    options.metrics.watch({
      nodes: () => options.nodes.list(),
      missing: () => this.#missing,
      tags: () => this.#summaries,
      findings: () => options.findings.list(),
    });
    this.#refresh();
  }

  start(): void {
    void this.resolveNow();
    this.#timers.push(setInterval(() => void this.resolveNow(), this.#o.resolveIntervalMs));
    // Time alone makes agents missing: look again every few seconds; heartbeats reach SQLite then too.
    this.#timers.push(
      setInterval(() => {
        this.#flushTouches();
        this.#sweepMissing();
      }, 2_000),
    );
    for (const t of this.#timers) t.unref();
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    clearTimeout(this.#dirty);
    await this.#resolving;
    this.#flushTouches();
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
    this.#dirtyNodes.add(node);
    this.#markDirty();
    return hello.inventoryHash === "" || held !== hello.inventoryHash || this.#o.nodes.inventory(node) === undefined;
  }

  heartbeat(node: string, hash: string): boolean {
    this.#saveHello(node);
    const record = this.#o.nodes.get(node);
    // A node removed while its agent stayed connected comes back with the agent's next hello.
    if (record === undefined) return false;
    this.#o.nodes.touch(node, this.#now());
    this.#o.metrics.reports.inc({ kind: "heartbeat" });
    if (this.#missing.has(node)) this.#markDirty();
    return record.inventoryHash !== hash;
  }

  inventory(inventory: NodeInventory, hash: string): void {
    const node = inventory.node;
    this.#saveHello(node);
    if (this.#o.nodes.get(node) === undefined) {
      this.#o.log.debug("inventory of a removed node dropped", { node });
      return;
    }
    const end = this.#o.metrics.ingestSeconds.startTimer();
    const wantedBefore = this.#o.nodes.wantedTags(node);
    const result = this.#write(`storing the inventory of ${node}`, () =>
      this.#o.nodes.save(inventory, hash, this.#now()),
    );
    this.#index.update(node, result.holders, result.changedTags);
    for (const tag of result.changedTags) this.#dirtyTags.add(tag);
    for (const tag of wantedBefore) this.#dirtyTags.add(tag);
    for (const tag of this.#o.nodes.wantedTags(node)) this.#dirtyTags.add(tag);
    this.#dirtyNodes.add(node);
    if (result.changedTags.length > 0) this.#tagsVersion += 1;
    end();
    this.#o.metrics.reports.inc({ kind: "inventory" });
    this.#o.log.debug("inventory stored", {
      node,
      rows: result.rowsWritten,
      changedTags: result.changedTags.length,
    });
    this.#markDirty();
    const unknown = result.changedTags.filter((tag) => result.holders.has(tag) && this.#needsAsking(tag));
    if (unknown.length > 0) void this.#resolve(unknown);
  }

  /**
   * Removes a node and everything it held (a node deleted from the cluster):
   * its findings close at the next recompute. Its agent, should it report
   * again, adds it back with its next hello.
   */
  removeNode(node: string, reason: string): void {
    if (this.#o.nodes.get(node) === undefined && this.#o.nodes.inventory(node) === undefined) return;
    const holders = this.#o.nodes.holders(node);
    for (const tag of this.#o.nodes.wantedTags(node)) this.#dirtyTags.add(tag);
    this.#o.nodes.remove(node);
    this.#index.update(node, new Map(), holders.keys());
    this.#index.release(node);
    for (const tag of holders.keys()) this.#dirtyTags.add(tag);
    this.#dirtyNodes.add(node);
    this.#tagsVersion += 1;
    this.#o.log.info("node removed", { node, reason });
    this.#markDirty();
  }

  /** Pods or nodes changed in the Kubernetes API (or have just been listed). */
  kubernetesChanged(): void {
    this.#workloadsDirty = true;
    this.#markDirty();
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
    return this.#index.view(tag, this.#resolutions.get(tag));
  }

  /** The tag's status and counts at the last recompute. */
  tagSummary(tag: string): TagSummary | undefined {
    return this.#summaries.get(tag);
  }

  /** Counts up whenever what GET /api/v1/tags shows may have changed. */
  get tagsVersion(): number {
    return this.#tagsVersion;
  }

  get findingsVersion(): number {
    return this.#o.findings.version;
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
    const tags = new Set<string>(this.#index.tags());
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

  /**
   * Resolves tags in batches, one at a time: tags asked for while a batch is
   * under way join the next (a herd of first inventories asks for the same
   * tags thousands of times). Only answers that differ from the last are stored.
   */
  #resolve(tags: readonly string[]): Promise<void> {
    for (const tag of tags) this.#queuedTags.add(tag);
    if (this.#nextBatch === undefined) {
      this.#nextBatch = (this.#resolving ?? Promise.resolve()).then(() => {
        this.#nextBatch = undefined;
        const batch = [...this.#queuedTags];
        this.#queuedTags.clear();
        return this.#resolveBatch(batch);
      });
      this.#resolving = this.#nextBatch;
    }
    return this.#nextBatch;
  }

  /**
   * Whether a tag a node now holds needs the resolver: never resolved, or a
   * node holds it at another digest than the registry's and what that digest
   * gives per platform is not known yet (see #withPlatforms).
   */
  #needsAsking(tag: string): boolean {
    const resolution = this.#resolutions.get(tag);
    if (resolution === undefined) return true;
    return (
      resolution.state === "found" &&
      resolution.platformImages === undefined &&
      this.#o.resolver.platformImages !== undefined &&
      this.#index.holdsOtherThan(tag, resolution.digest)
    );
  }

  /**
   * Adds to each found resolution that some node holds at another digest the
   * image ids the registry's digest gives per platform, so that a node whose
   * platform image did not change (the index moved for another platform, or
   * for new attestations) reads current. The resolver reads each digest once.
   */
  async #withPlatforms(resolved: ReadonlyMap<string, TagResolution>): Promise<ReadonlyMap<string, TagResolution>> {
    const resolver = this.#o.resolver;
    if (resolver.platformImages === undefined) return resolved;
    const withImages = new Map(resolved);
    await Promise.all(
      [...resolved].map(async ([tag, resolution]) => {
        if (resolution.state !== "found" || !this.#index.holdsOtherThan(tag, resolution.digest)) return;
        const images = await resolver.platformImages?.(tag, resolution.digest);
        if (images !== null && images !== undefined) withImages.set(tag, { ...resolution, platformImages: images });
      }),
    );
    return withImages;
  }

  async #resolveBatch(tags: string[]): Promise<void> {
    try {
      const resolved = await this.#withPlatforms(await this.#o.resolver.resolve(tags, this.#now()));
      const news = new Map([...resolved].filter(([tag, r]) => !sameResolution(this.#resolutions.get(tag), r, true)));
      if (news.size === 0) return;
      this.#write("storing tag resolutions", () => this.#o.tags.save(news));
      this.#tagsVersion += 1;
      let changed = false;
      for (const [tag, resolution] of news) {
        const old = this.#resolutions.get(tag);
        this.#resolutions.set(tag, resolution);
        if (sameResolution(old, resolution, false)) continue;
        this.#dirtyTags.add(tag);
        changed = true;
      }
      if (changed) {
        // running-stale compares running containers with the registry; the workload findings name its digest.
        for (const [node, inventory] of this.#o.nodes.inventories()) {
          if (inventory.images.some((i) => i.containers.length > 0)) this.#dirtyNodes.add(node);
        }
        this.#workloadsDirty = true;
      }
      this.#markDirty();
    } catch (thrown) {
      this.#o.log.error("tag resolution failed", { error: toImagedriftError(thrown) });
    }
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

  #flushTouches(): void {
    try {
      this.#o.nodes.flushTouches();
    } catch (thrown) {
      this.#o.log.error("report times not stored", { error: storeError(thrown, "storing report times") });
    }
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
      // What was dirty is recomputed whole next time.
      this.#everythingDirty = true;
    }
  }

  /**
   * Schedules a recompute, coalescing the changes that come before it. It waits for a lull: no
   * change for twice as long as the last recompute took (at least 10 ms). A herd of reconnecting
   * agents is then recomputed once it has settled, not after every few inventories, each time
   * over every node that arrived so far. Changes that never pause are recomputed at least every
   * 5 s (or five times the last recompute's duration, so recomputes keep at most a sixth of the
   * event loop); findings never lag further behind.
   */
  #markDirty(): void {
    const now = performance.now();
    this.#lastChangeAt = now;
    this.#firstChangeAt ??= now;
    this.#dirty ??= setTimeout(() => this.#recomputeOnceSettled(), this.#quietMs());
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
      this.#dirty = setTimeout(() => this.#recomputeOnceSettled(), wait);
      return;
    }
    this.#dirty = undefined;
    this.#firstChangeAt = undefined;
    this.#refresh();
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

  /** Replaces one source's drafts, noting the keys whose merged finding may have changed. */
  #setDrafts(source: Source, drafts: FindingDraft[], touched: Set<string>): void {
    for (const old of this.#drafts.get(source) ?? []) {
      this.#byKey.get(old.key)?.delete(source);
      touched.add(old.key);
    }
    if (drafts.length === 0) this.#drafts.delete(source);
    else this.#drafts.set(source, drafts);
    for (const draft of drafts) {
      let group = this.#byKey.get(draft.key);
      if (group === undefined) {
        group = new Map();
        this.#byKey.set(draft.key, group);
      }
      group.set(source, draft);
      touched.add(draft.key);
    }
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

  /** Recomputes what is dirty (everything on the first run) and stores the findings that changed. */
  recompute(): void {
    const started = performance.now();
    const end = this.#o.metrics.recomputeSeconds.startTimer();
    const now = this.#now();
    this.#removeNodesGoneFromCluster(now);
    const nodes = this.#o.nodes.states();
    const missing = new Set(nodes.filter((n) => isAgentMissing(n, now)).map((n) => n.name));
    for (const node of new Set([...missing, ...this.#missing])) {
      // agent-missing says for how long: a missing node's findings are recomputed every time.
      this.#dirtyNodes.add(node);
      if (missing.has(node) === this.#missing.has(node)) continue;
      // Findings naming a missing node say so: its tags' findings change.
      for (const tag of this.#o.nodes.holders(node).keys()) this.#dirtyTags.add(tag);
    }
    this.#missing = missing;
    const kubernetes = this.#o.kubernetes;
    const snapshot: ClusterSnapshot = {
      now,
      nodes,
      inventories: this.#o.nodes.inventories(),
      resolutions: this.#resolutions,
      ...(kubernetes === undefined ? {} : { workloads: kubernetes.pods() }),
    };
    if (this.#everythingDirty) {
      for (const tag of this.#index.tags()) this.#dirtyTags.add(tag);
      for (const tag of this.#summaries.keys()) this.#dirtyTags.add(tag);
      for (const node of nodes) this.#dirtyNodes.add(node.name);
      for (const source of this.#drafts.keys()) if (source.startsWith("n:")) this.#dirtyNodes.add(source.slice(2));
      this.#workloadsDirty = true;
    }
    const dirtyTags = [...this.#dirtyTags];
    const dirtyNodes = [...this.#dirtyNodes];
    const workloadsDirty = this.#workloadsDirty;

    // The first recompute also closes findings stored before that no longer hold.
    const touched = new Set<string>(this.#everythingDirty ? this.#o.findings.list().map((f) => f.key) : []);
    for (const tag of dirtyTags) {
      // Most tags are the same everywhere and as the registry says: no view, no finding.
      const quiet = this.#index.quietStatus(tag, this.#resolutions.get(tag));
      if (quiet !== null) {
        this.#summaries.set(tag, { status: quiet, distinct: 1, staleNodes: 0 });
        this.#setDrafts(`t:${tag}`, [], touched);
        continue;
      }
      const view = this.tagView(tag);
      this.#summarize(tag, view);
      this.#setDrafts(`t:${tag}`, view === null ? [] : tagFindings(view, snapshot), touched);
    }
    const known = new Set(nodes.map((n) => n.name));
    for (const node of dirtyNodes) {
      const present = known.has(node) || snapshot.inventories.has(node);
      this.#setDrafts(`n:${node}`, present ? nodeFindings(node, snapshot) : [], touched);
    }
    if (workloadsDirty) this.#setDrafts("w", this.#workloadFindings(snapshot), touched);

    const changes = new Map<string, FindingDraft | null>();
    for (const key of touched) {
      const group = [...(this.#byKey.get(key)?.values() ?? [])];
      if (group.length === 0) this.#byKey.delete(key);
      changes.set(
        key,
        group.length === 0
          ? null
          : group.length === 1
            ? (group[0] ?? null)
            : (mergeFindings(group, snapshot)[0] ?? null),
      );
    }
    const change = this.#write("storing findings", () => this.#o.findings.apply(changes, now));
    // Only now, once stored: a failure leaves everything dirty for the next try.
    this.#dirtyTags.clear();
    this.#dirtyNodes.clear();
    this.#workloadsDirty = false;
    this.#everythingDirty = false;
    end();
    this.#recomputeMs = Math.round(performance.now() - started);
    if (change.opened || change.closed) this.#o.log.info("findings changed", change);
  }
}

/** Whether two answers say the same; with `timed`, also at the same time. */
function sameResolution(a: TagResolution | undefined, b: TagResolution, timed: boolean): boolean {
  if (a === undefined || a.state !== b.state) return false;
  if (timed && a.state !== "pending" && b.state !== "pending" && a.resolvedAt !== b.resolvedAt) return false;
  if (a.state === "found" && b.state === "found") {
    return a.digest === b.digest && (a.platformImages?.join() ?? null) === (b.platformImages?.join() ?? null);
  }
  if (a.state === "error" && b.state === "error") return a.error === b.error;
  return true;
}
