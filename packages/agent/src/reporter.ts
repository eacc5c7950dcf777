import * as grpc from "@grpc/grpc-js";
import { type Logger, type NodeInventory, toImagedriftError } from "@imagedrift/core";
import {
  type AgentMessage,
  AUTHORIZATION_METADATA_KEY,
  agentGateway,
  type CollectorMessage,
  channelOptions,
  inventoryHash,
  NODE_METADATA_KEY,
  toWireInventory,
} from "@imagedrift/protocol";
import { Backoff } from "./backoff.js";
import { type CollectorCredentials, PLAINTEXT } from "./collector-credentials.js";

/** How often a missing CA file is looked for again: a local read, cheap. */
const CA_RECHECK_MS = 2000;

type AgentStream = grpc.ClientDuplexStream<AgentMessage, CollectorMessage>;
type GatewayClient = grpc.Client & { Connect: (metadata: grpc.Metadata) => AgentStream };

export interface ReporterOptions {
  /** host:port of the collector's gRPC listener. */
  address: string;
  node: string;
  token: string | null;
  intervalMs: number;
  agentVersion: string;
  labels: Record<string, string>;
  /** Asked before every connection attempt (collector-credentials.ts); plaintext when absent. */
  credentials?: () => CollectorCredentials;
  log: Logger;
  /** Told when a command arrives from the collector. */
  onCollectorMessage?: (message: CollectorMessage, reply: (message: AgentMessage) => void) => void;
  onConnectionChange?: (connected: boolean) => void;
  /**
   * Whether the agent can still vouch for its last inventory (its last scan
   * succeeded): timed heartbeats are sent only then, so that a node whose
   * runtime is down still reads missing at the collector.
   */
  inventoryCurrent?: () => boolean;
  /** How the agent learns of changes now, said in the hello and every heartbeat (the collector shows it per node). */
  scanMode?: () => "events" | "polling";
}

/**
 * Holds the agent's one stream to the collector: says hello, sends the
 * inventory when it changed and a heartbeat (its hash) otherwise, answers
 * resend requests, and reconnects with capped, jittered backoff.
 */
export class CollectorReporter {
  readonly #options: ReporterOptions;
  #client: GatewayClient | undefined;
  /** The credentials #client was made with. */
  #clientKey: string | undefined;
  /** Why the agent cannot dial yet (no CA), said once in the log and in /readyz. */
  #waiting: string | null = null;
  readonly #backoff = new Backoff();
  #stream: AgentStream | undefined;
  #welcomed = false;
  #latest: { inventory: NodeInventory; hash: string } | undefined;
  #sentHash: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Sends a heartbeat when nothing else went for an interval (on the event stream, scans are rare). */
  #heartbeat: NodeJS.Timeout | undefined;
  #lastWriteAt = 0;
  #stopped = false;

  constructor(options: ReporterOptions) {
    this.#options = options;
  }

  get connected(): boolean {
    return this.#welcomed;
  }

  /** Null, or why the agent cannot dial the collector yet. */
  get waiting(): string | null {
    return this.#waiting;
  }

  /** The client for the current credentials: a new one when the files changed (a new CA). */
  #clientFor(state: Extract<CollectorCredentials, { kind: "ready" }>): GatewayClient {
    if (this.#client !== undefined && this.#clientKey === state.key) return this.#client;
    this.#client?.close();
    const Client = agentGateway();
    this.#client = new Client(this.#options.address, state.credentials, {
      ...channelOptions,
      "grpc.initial_reconnect_backoff_ms": 500,
      "grpc.max_reconnect_backoff_ms": 10_000,
    }) as unknown as GatewayClient;
    this.#clientKey = state.key;
    return this.#client;
  }

  start(): void {
    this.#stopped = false;
    this.#connect();
    const { intervalMs } = this.#options;
    this.#heartbeat = setInterval(() => {
      // The collector calls an agent missing after 3 intervals without a word, whatever drives its scans.
      const current = this.#options.inventoryCurrent?.() ?? true;
      if (current && this.#welcomed && this.#latest && Date.now() - this.#lastWriteAt >= intervalMs * 0.9) {
        this.#write(this.#heartbeatMessage(this.#latest.hash));
      }
    }, intervalMs).unref();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearInterval(this.#heartbeat);
    this.#stream?.cancel();
    this.#client?.close();
  }

  /** Called after every scan: sends the inventory if it changed since last sent, else a heartbeat. */
  publish(inventory: NodeInventory): void {
    this.#latest = { inventory, hash: inventoryHash(inventory) };
    if (!this.#welcomed) return;
    if (this.#latest.hash !== this.#sentHash) this.#sendInventory();
    else this.#write(this.#heartbeatMessage(this.#latest.hash));
  }

  /** The scan mode changed (the event stream opened or dropped): the collector hears it now, not at the next heartbeat. */
  scanModeChanged(): void {
    if (this.#welcomed && this.#latest) this.#write(this.#heartbeatMessage(this.#latest.hash));
  }

  #heartbeatMessage(inventoryHash: string): AgentMessage {
    return { body: "heartbeat", heartbeat: { inventoryHash, scanMode: this.#options.scanMode?.() ?? "" } };
  }

  #connect(): void {
    if (this.#stopped) return;
    const { node, token, log } = this.#options;
    const state = this.#options.credentials?.() ?? PLAINTEXT;
    if (state.kind === "waiting") {
      if (this.#waiting !== state.reason) log.warn(state.reason, { collector: this.#options.address });
      this.#waiting = state.reason;
      this.#timer = setTimeout(() => this.#connect(), CA_RECHECK_MS);
      return;
    }
    if (this.#waiting !== null) log.info("found the collector's CA", { collector: this.#options.address });
    this.#waiting = null;
    const metadata = new grpc.Metadata();
    metadata.set(NODE_METADATA_KEY, node);
    if (token) metadata.set(AUTHORIZATION_METADATA_KEY, `Bearer ${token}`);
    const stream = this.#clientFor(state).Connect(metadata);
    this.#stream = stream;
    stream.on("data", (message: CollectorMessage) => this.#receive(message));
    stream.on("error", (error: Error) => {
      const cause = toImagedriftError(error);
      log.warn("collector connection failed", { collector: this.#options.address, error: cause });
    });
    // A call ends with one "status" event (after "error" when it failed). "close" never comes while
    // the writable side is open, as it stays here: waiting for it left the agent on a dead stream.
    stream.on("status", () => this.#disconnected(stream));
    stream.write({
      body: "hello",
      hello: {
        node,
        agentVersion: this.#options.agentVersion,
        intervalMs: this.#options.intervalMs,
        inventoryHash: this.#latest?.hash ?? "",
        labels: this.#options.labels,
        scanMode: this.#options.scanMode?.() ?? "",
      },
    } satisfies AgentMessage);
  }

  #receive(message: CollectorMessage): void {
    switch (message.body) {
      case "welcome":
        this.#welcomed = true;
        this.#backoff.reset();
        this.#options.onConnectionChange?.(true);
        this.#options.log.info("connected to collector", { collector: this.#options.address });
        if (message.welcome.inventoryWanted) this.#sendInventory();
        else this.#sentHash = this.#latest?.hash;
        return;
      case "resendInventory":
        this.#sendInventory();
        return;
      default:
        this.#options.onCollectorMessage?.(message, (reply) => this.#write(reply));
    }
  }

  #sendInventory(): void {
    if (!this.#latest) return;
    this.#sentHash = this.#latest.hash;
    this.#write({ body: "inventory", inventory: toWireInventory(this.#latest.inventory, this.#latest.hash) });
  }

  #write(message: AgentMessage): void {
    this.#lastWriteAt = Date.now();
    this.#stream?.write(message);
  }

  #disconnected(stream: AgentStream): void {
    if (stream !== this.#stream) return;
    this.#stream = undefined;
    if (this.#welcomed) this.#options.onConnectionChange?.(false);
    this.#welcomed = false;
    this.#sentHash = undefined;
    if (this.#stopped) return;
    const delay = this.#backoff.next();
    this.#options.log.debug("reconnecting to collector", { inMs: delay });
    this.#timer = setTimeout(() => this.#connect(), delay);
  }
}
