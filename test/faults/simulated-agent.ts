/**
 * Simulated agents for the fault and load tests: each speaks the real
 * imagedrift.v1 protocol (`@imagedrift/protocol`'s service, messages, wire
 * inventory and hash) the way packages/agent's CollectorReporter does: one
 * client of its own (its own connection), one Connect stream with the node's
 * metadata, a hello carrying its inventory hash, the inventory when the
 * collector wants it or asks again, a heartbeat every interval, and a
 * reconnect after a lost stream with the agent's capped, jittered backoff.
 *
 * The inventory is synthetic and deterministic: `images` images with tags on
 * `host`; each revision moves the first tag to a new digest (one tag_history
 * row per revision on the collector).
 *
 * This file also runs as a worker thread of a fleet (see agent-fleet.ts): it
 * is transpiled as it is, so it imports packages only, never a relative file.
 */
import { createHash } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";
import * as grpc from "@grpc/grpc-js";
import type { NodeImage, NodeInventory } from "@imagedrift/core";
import {
  type AgentMessage,
  AUTHORIZATION_METADATA_KEY,
  agentGateway,
  type CollectorMessage,
  type CommandMessage,
  type CommandUpdate,
  channelOptions,
  inventoryHash,
  NODE_METADATA_KEY,
  toWireInventory,
} from "@imagedrift/protocol";

type AgentStream = grpc.ClientDuplexStream<AgentMessage, CollectorMessage>;
type GatewayClient = grpc.Client & { Connect: (metadata: grpc.Metadata) => AgentStream };

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export interface SyntheticInventoryOptions {
  node: string;
  /** Registry host of every image reference (`127.0.0.1:PORT`). */
  host: string;
  images: number;
  revision: number;
}

/** Image `i` is `host/sim/app-i:v1`; image 0's digest follows the revision, the others stay. */
export function syntheticInventory(options: SyntheticInventoryOptions): NodeInventory {
  const images: NodeImage[] = Array.from({ length: options.images }, (_, i) => {
    const generation = i === 0 ? options.revision : 0;
    const repo = `${options.host}/sim/app-${i}`;
    return {
      id: `sha256:${sha256(`id ${i} ${generation}`)}`,
      repoTags: [`${repo}:v1`],
      repoDigests: [`${repo}@sha256:${sha256(`manifest ${i} ${generation}`)}`],
      size: 1_000_000 + i,
      pinned: false,
      sandbox: false,
      inUse: false,
      containers: [],
    };
  });
  return {
    node: options.node,
    runtime: { name: "containerd", version: "1.6.20-simulated", apiVersion: "v1" },
    scannedAt: new Date().toISOString(),
    images,
    pods: [],
    imageFs: { mountpoint: "/var/lib/containerd", usedBytes: images.length * 1_000_000, inodesUsed: null },
  };
}

export interface SimulatedAgentOptions {
  node: string;
  /** The collector's gRPC `host:port`. */
  address: string;
  host: string;
  images: number;
  intervalMs: number;
  token?: string | null;
  /** A command from the collector; by default it is held and never answered. */
  onCommand?: (command: CommandMessage, reply: (update: CommandUpdate) => void) => void;
}

/** What a test reads of one simulated agent. */
export interface SimulatedAgentStatus {
  node: string;
  revision: number;
  hash: string;
  welcomed: boolean;
  connects: number;
  welcomes: number;
  inventoriesSent: number;
  lastError: string;
}

/** packages/agent/src/backoff.ts's policy: 0.5 s doubling to 30 s, jittered in [min/2, ceiling]. */
function reconnectDelay(attempt: number): number {
  const ceiling = Math.min(30_000, 500 * 2 ** attempt);
  return Math.round(250 + Math.random() * (ceiling - 250));
}

export class SimulatedAgent {
  readonly node: string;
  readonly #options: SimulatedAgentOptions;
  #revision = 0;
  #images: number;
  #inventory: NodeInventory;
  #hash: string;
  #sentHash: string | undefined;
  #client: GatewayClient | undefined;
  #stream: AgentStream | undefined;
  #welcomed = false;
  #attempt = 0;
  #stopped = true;
  #beat: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;
  readonly #stats = { connects: 0, welcomes: 0, inventoriesSent: 0, lastError: "" };

  constructor(options: SimulatedAgentOptions) {
    this.node = options.node;
    this.#options = options;
    this.#images = options.images;
    this.#inventory = this.#make(0);
    this.#hash = inventoryHash(this.#inventory);
  }

  get hash(): string {
    return this.#hash;
  }

  get revision(): number {
    return this.#revision;
  }

  get welcomed(): boolean {
    return this.#welcomed;
  }

  status(): SimulatedAgentStatus {
    return { node: this.node, revision: this.#revision, hash: this.#hash, welcomed: this.#welcomed, ...this.#stats };
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const Client = agentGateway();
    this.#client = new Client(this.#options.address, grpc.credentials.createInsecure(), {
      ...channelOptions,
      "grpc.use_local_subchannel_pool": 1,
      "grpc.initial_reconnect_backoff_ms": 500,
      "grpc.max_reconnect_backoff_ms": 10_000,
    }) as unknown as GatewayClient;
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retry);
    clearInterval(this.#beat);
    this.#stream?.cancel();
    this.#stream = undefined;
    this.#client?.close();
    this.#client = undefined;
    this.#welcomed = false;
  }

  /** A new scan with image 0 at `revision` (and `images` images): sent at once when connected, as the agent does. */
  revise(revision = this.#revision + 1, images = this.#images): void {
    this.#revision = revision;
    this.#images = images;
    this.#inventory = this.#make(revision);
    this.#hash = inventoryHash(this.#inventory);
    if (this.#welcomed) this.#sendInventory();
  }

  #make(revision: number): NodeInventory {
    return syntheticInventory({ node: this.node, host: this.#options.host, images: this.#images, revision });
  }

  #connect(): void {
    if (this.#stopped || this.#client === undefined) return;
    const metadata = new grpc.Metadata();
    metadata.set(NODE_METADATA_KEY, this.node);
    if (this.#options.token) metadata.set(AUTHORIZATION_METADATA_KEY, `Bearer ${this.#options.token}`);
    const stream = this.#client.Connect(metadata);
    this.#stream = stream;
    this.#stats.connects += 1;
    stream.on("data", (message: CollectorMessage) => this.#receive(message));
    stream.on("error", (error: Error) => {
      this.#stats.lastError = error.message;
    });
    // grpc-js ends a call with one "status" event; "close" never comes while the writable side is open.
    stream.on("status", () => this.#disconnected(stream));
    stream.write({
      body: "hello",
      hello: {
        node: this.node,
        agentVersion: "0.1.0-simulated",
        intervalMs: this.#options.intervalMs,
        inventoryHash: this.#hash,
        labels: {},
      },
    } satisfies AgentMessage);
  }

  #receive(message: CollectorMessage): void {
    switch (message.body) {
      case "welcome":
        this.#welcomed = true;
        this.#attempt = 0;
        this.#stats.welcomes += 1;
        if (message.welcome.inventoryWanted) this.#sendInventory();
        else this.#sentHash = this.#hash;
        clearInterval(this.#beat);
        this.#beat = setInterval(() => this.#publish(), this.#options.intervalMs);
        return;
      case "resendInventory":
        this.#sendInventory();
        return;
      case "command":
        this.#options.onCommand?.(message.command, (update) =>
          this.#write({ body: "commandUpdate", commandUpdate: update }),
        );
        return;
      default:
        return;
    }
  }

  /** What the agent does after each scan: the inventory when it changed since sent, else a heartbeat. */
  #publish(): void {
    if (!this.#welcomed) return;
    if (this.#hash !== this.#sentHash) this.#sendInventory();
    else this.#write({ body: "heartbeat", heartbeat: { inventoryHash: this.#hash } });
  }

  #sendInventory(): void {
    this.#sentHash = this.#hash;
    this.#stats.inventoriesSent += 1;
    this.#write({ body: "inventory", inventory: toWireInventory(this.#inventory, this.#hash) });
  }

  #write(message: AgentMessage): void {
    this.#stream?.write(message);
  }

  #disconnected(stream: AgentStream): void {
    if (stream !== this.#stream) return;
    this.#stream = undefined;
    this.#welcomed = false;
    this.#sentHash = undefined;
    clearInterval(this.#beat);
    if (this.#stopped) return;
    this.#retry = setTimeout(() => this.#connect(), reconnectDelay(this.#attempt++));
  }
}

/** What a fleet's worker is told at start (see agent-fleet.ts). */
export interface FleetWorkerData {
  nodes: string[];
  address: string;
  host: string;
  images: number;
  intervalMs: number;
  token: string | null;
}

/** Asks a fleet's worker: `start` and `stop` every agent, `revise` every inventory, read every `status`. */
export type FleetCommand = { cmd: "start" } | { cmd: "stop" } | { cmd: "revise"; revision: number } | { cmd: "status" };
export type FleetRequest = { id: number } & FleetCommand;

export interface FleetReply {
  id: number;
  statuses: SimulatedAgentStatus[];
}

/** The body of a fleet's worker thread: many simulated agents in one thread, driven by messages. */
export function runFleetWorker(): void {
  const port = parentPort;
  if (port === null) throw new Error("runFleetWorker runs in a worker thread");
  const data = workerData as FleetWorkerData;
  const agents = data.nodes.map(
    (node) =>
      new SimulatedAgent({
        node,
        address: data.address,
        host: data.host,
        images: data.images,
        intervalMs: data.intervalMs,
        token: data.token,
      }),
  );
  port.on("message", (request: FleetRequest) => {
    for (const agent of agents) {
      if (request.cmd === "start") agent.start();
      else if (request.cmd === "stop") agent.stop();
      else if (request.cmd === "revise") agent.revise(request.revision);
    }
    port.postMessage({ id: request.id, statuses: agents.map((a) => a.status()) } satisfies FleetReply);
  });
}
