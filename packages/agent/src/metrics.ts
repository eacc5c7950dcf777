import type { NodeInventory } from "@imagedrift/core";
import type { CallObserver } from "@imagedrift/cri";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The agent's metrics (docs/ARCHITECTURE.md#metrics) on a registry of its own. */
export class AgentMetrics {
  readonly registry = new Registry();
  readonly #images = new Gauge({
    name: "imagedrift_agent_images",
    help: "Images in the node's runtime.",
    registers: [this.registry],
  });
  readonly #imageBytes = new Gauge({
    name: "imagedrift_agent_image_bytes",
    help: "Bytes of all images in the node's runtime, as the runtime sizes them.",
    registers: [this.registry],
  });
  readonly #imageFsUsed = new Gauge({
    name: "imagedrift_agent_imagefs_used_bytes",
    help: "Bytes used on the runtime's image filesystem.",
    registers: [this.registry],
  });
  readonly #criDuration = new Histogram({
    name: "imagedrift_agent_cri_request_duration_seconds",
    help: "Duration of CRI calls to the runtime.",
    labelNames: ["method"],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
    registers: [this.registry],
  });
  readonly #criErrors = new Counter({
    name: "imagedrift_agent_cri_errors_total",
    help: "Failed CRI calls by method and gRPC status code.",
    labelNames: ["method", "code"],
    registers: [this.registry],
  });
  readonly #lastScan = new Gauge({
    name: "imagedrift_agent_last_scan_timestamp_seconds",
    help: "Unix time of the last successful scan of the node's runtime.",
    registers: [this.registry],
  });
  readonly #scanErrors = new Counter({
    name: "imagedrift_agent_scan_errors_total",
    help: "Scans of the node's runtime that failed.",
    registers: [this.registry],
  });

  readonly #scanMode = new Gauge({
    name: "imagedrift_agent_scan_mode",
    help: "1 for how the agent learns of changes now: events (containerd's event stream, rescans within a moment) or polling (every --interval).",
    labelNames: ["mode"],
    registers: [this.registry],
  });
  readonly #runtimeEvents = new Counter({
    name: "imagedrift_agent_runtime_events_total",
    help: "Events received from the runtime's event stream, by topic (/images/create, /tasks/exit, ...).",
    labelNames: ["topic"],
    registers: [this.registry],
  });

  readonly #collectorConnected = new Gauge({
    name: "imagedrift_agent_collector_connected",
    help: "1 while the agent holds its stream to the collector.",
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  readonly observeCriCall: CallObserver = ({ method, seconds, code }) => {
    this.#criDuration.observe({ method }, seconds);
    if (code !== "OK") this.#criErrors.inc({ method, code });
  };

  recordScan(inventory: NodeInventory): void {
    this.#images.set(inventory.images.length);
    this.#imageBytes.set(inventory.images.reduce((sum, image) => sum + image.size, 0));
    this.#imageFsUsed.set(inventory.imageFs.usedBytes);
    this.#lastScan.set(Date.parse(inventory.scannedAt) / 1000);
  }

  recordScanMode(mode: "events" | "polling"): void {
    this.#scanMode.set({ mode: "events" }, mode === "events" ? 1 : 0);
    this.#scanMode.set({ mode: "polling" }, mode === "polling" ? 1 : 0);
  }

  recordRuntimeEvent(topic: string): void {
    this.#runtimeEvents.inc({ topic });
  }

  recordCollectorConnection(connected: boolean): void {
    this.#collectorConnected.set(connected ? 1 : 0);
  }

  recordScanError(): void {
    this.#scanErrors.inc();
  }
}
