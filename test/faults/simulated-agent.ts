/**
 * Simulated agents for the fault and load tests: each speaks the real
 * imagedrift.v1 protocol (`@imagedrift/protocol`'s service, messages, wire
 * inventory and hash) the way packages/agent's CollectorReporter does: one
 * client of its own (its own connection), one Connect stream with the node's
 * metadata, a hello carrying its inventory hash, the inventory when the
 * collector wants it or asks again, a heartbeat every interval, and a
 * reconnect after a lost stream with the agent's capped, jittered backoff.
 * Its inventory is synthetic (synthetic-inventory.ts).
 *
 * This file also runs in a worker thread of a fleet (fleet-worker.ts, see
 * agent-fleet.ts): it is transpiled as it is, so it imports packages and the
 * worker's own files only.
 */
import * as grpc from "@grpc/grpc-js";
import type { NodeInventory } from "@imagedrift/core";
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
import { syntheticInventory } from "./synthetic-inventory.js";

type AgentStream = grpc.ClientDuplexStream<AgentMessage, CollectorMessage>;
type GatewayClient = grpc.Client & { Connect: (metadata: grpc.Metadata) => AgentStream };

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
