import type { Finding } from "@imagedrift/core";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** What the state gauges read at each scrape (DriftService and the stores). */
export interface ClusterState {
  nodes(): readonly { name: string; lastReportAt: string }[];
  missing(): ReadonlySet<string>;
  /** Each tag (`host/repo:tag`) with its distinct digests and stale nodes at the last recompute. */
  tags(): Iterable<readonly [string, { distinct: number; staleNodes: number }]>;
  findings(): readonly Finding[];
}

/**
 * The collector's metrics (docs/ARCHITECTURE.md#metrics) on a registry of its own. Cardinality is
 * bounded by nodes and tags: no per-container or per-pod labels.
 */
export class CollectorMetrics {
  readonly registry = new Registry();
  #state: ClusterState | undefined;
  readonly #nodes = new Gauge({
    name: "imagedrift_nodes",
    help: "Nodes by state.",
    labelNames: ["state"],
    registers: [this.registry],
    collect: () => this.#collect(),
  });
  readonly #lastReport = new SeriesGauge(
    new Gauge({
      name: "imagedrift_node_last_report_timestamp_seconds",
      help: "Unix time of each node's last report.",
      labelNames: ["node"],
      registers: [this.registry],
    }),
    (node) => ({ node }),
  );
  readonly #distinct = new SeriesGauge(
    new Gauge({
      name: "imagedrift_tag_distinct_digests",
      help:
        "Distinct digests of one tag across the nodes that hold it; only for tags held at more than one " +
        "(a series per tag in a cluster of thousands would be mostly ones): see imagedrift_tags_inconsistent.",
      labelNames: ["image", "tag"],
      registers: [this.registry],
    }),
    tagLabels,
  );
  readonly #staleNodes = new SeriesGauge(
    new Gauge({
      name: "imagedrift_tag_stale_nodes",
      help:
        "Nodes whose digest for a tag differs from the registry's; only for tags with a stale node " +
        "(healthy tags have no series): see imagedrift_stale_tags.",
      labelNames: ["image", "tag"],
      registers: [this.registry],
    }),
    tagLabels,
  );
  readonly #tagsInconsistent = new Gauge({
    name: "imagedrift_tags_inconsistent",
    help: "Tags held at more than one digest across nodes (unlabelled total of imagedrift_tag_distinct_digests > 1).",
    registers: [this.registry],
  });
  readonly #staleTags = new Gauge({
    name: "imagedrift_stale_tags",
    help: "Tags with at least one node whose digest differs from the registry's (unlabelled total).",
    registers: [this.registry],
  });
  readonly #findings = new Gauge({
    name: "imagedrift_findings",
    help: "Open findings by kind and severity.",
    labelNames: ["kind", "severity"],
    registers: [this.registry],
  });
  readonly registryRequests = new Counter({
    name: "imagedrift_registry_requests_total",
    help: "Requests to registries by registry host and HTTP status (or error).",
    labelNames: ["registry", "code"],
    registers: [this.registry],
  });
  readonly registryEvents = new Counter({
    name: "imagedrift_registry_events_total",
    help:
      "Registry push notifications (POST /api/v1/registry-events) by source (distribution, harbor, dockerhub), " +
      "action (push, delete, other) and result: resolving (a known tag, asked now), not-held (no node holds or " +
      "wants it: no registry request), ignored (not a push or delete), invalid (the payload was refused).",
    labelNames: ["source", "action", "result"],
    registers: [this.registry],
  });
  readonly registryAuthErrors = new Counter({
    name: "imagedrift_registry_auth_errors_total",
    help:
      "Tag resolutions a registry's authentication failed, by registry host and reason: unauthenticated (401), " +
      "denied (403), provider (the collector's cloud identity could not get credentials).",
    labelNames: ["registry", "reason"],
    registers: [this.registry],
  });
  readonly jobs = new Counter({
    name: "imagedrift_jobs_total",
    help: "Finished jobs by type and final state.",
    labelNames: ["type", "state"],
    registers: [this.registry],
  });
  #inventoryQueue: (() => { granted: number; waiting: number }) | undefined;
  readonly #inventoryRequests = new Gauge({
    name: "imagedrift_inventory_requests",
    help: "Inventories asked of agents and not yet received (asked), and agents waiting their turn to be asked (waiting).",
    labelNames: ["state"],
    registers: [this.registry],
    collect: () => {
      const queue = this.#inventoryQueue?.();
      if (queue === undefined) return;
      this.#inventoryRequests.set({ state: "asked" }, queue.granted);
      this.#inventoryRequests.set({ state: "waiting" }, queue.waiting);
    },
  });
  readonly reports = new Counter({
    name: "imagedrift_reports_total",
    help: "Messages from agents by kind (inventory, heartbeat, rejected).",
    labelNames: ["kind"],
    registers: [this.registry],
  });
  readonly ingestSeconds = new Histogram({
    name: "imagedrift_inventory_ingest_duration_seconds",
    help: "Time to validate and store one inventory.",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly recomputeSeconds = new Histogram({
    name: "imagedrift_findings_recompute_duration_seconds",
    help: "Time to recompute tags and findings.",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  /** The state gauges are read from `state` when scraped. */
  watch(state: ClusterState): void {
    this.#state = state;
  }

  /** The gateway's inventory requests, read when scraped. */
  watchInventoryQueue(queue: () => { granted: number; waiting: number }): void {
    this.#inventoryQueue = queue;
  }

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Sets every state gauge from the watched state (the first gauge's collect does it for all five). */
  #collect(): void {
    const state = this.#state;
    if (state === undefined) return;
    const nodes = state.nodes();
    const missing = state.missing();
    this.#nodes.reset();
    this.#nodes.set({ state: "reporting" }, nodes.length - missing.size);
    this.#nodes.set({ state: "missing" }, missing.size);
    this.#lastReport.update(nodes.map((node) => [node.name, Date.parse(node.lastReportAt) / 1000]));
    // Per-tag series only for the tags that need attention: a healthy tag's would say 1 and 0.
    const distinct: [string, number][] = [];
    const staleNodes: [string, number][] = [];
    for (const [reference, summary] of state.tags()) {
      if (summary.distinct > 1) distinct.push([reference, summary.distinct]);
      if (summary.staleNodes > 0) staleNodes.push([reference, summary.staleNodes]);
    }
    this.#distinct.update(distinct);
    this.#staleNodes.update(staleNodes);
    this.#tagsInconsistent.set(distinct.length);
    this.#staleTags.set(staleNodes.length);
    this.#findings.reset();
    for (const f of state.findings()) this.#findings.inc({ kind: f.kind, severity: f.severity });
  }
}

type Labels = Record<string, string>;

/**
 * A gauge with one series per node or tag, set to exactly the series given
 * at each scrape, in place: a series already there keeps its labels object
 * and its place in the gauge, a series gone is removed. Resetting instead
 * made every one of thousands of node series new objects at each scrape, and
 * the last scrape's objects old-generation garbage: RSS crept up scrape after
 * scrape (bench/README.md, the collector's peak RSS).
 */
class SeriesGauge {
  readonly #gauge: Gauge;
  readonly #labelsOf: (key: string) => Labels;
  #labels = new Map<string, Labels>();

  constructor(gauge: Gauge, labelsOf: (key: string) => Labels) {
    this.#gauge = gauge;
    this.#labelsOf = labelsOf;
  }

  update(series: readonly (readonly [key: string, value: number])[]): void {
    const next = new Map<string, Labels>();
    for (const [key, value] of series) {
      const labels = this.#labels.get(key) ?? this.#labelsOf(key);
      this.#gauge.set(labels, value);
      next.set(key, labels);
    }
    for (const [key, labels] of this.#labels) if (!next.has(key)) this.#gauge.remove(labels);
    this.#labels = next;
  }
}

/** `host/repo:tag` as the image and tag labels. */
function tagLabels(reference: string): Labels {
  const at = reference.lastIndexOf(":");
  return { image: reference.slice(0, at), tag: reference.slice(at + 1) };
}
