import { createServer, type Server as NetServer } from "node:net";
import * as grpc from "@grpc/grpc-js";
import {
  type AgentCommandUpdate,
  type AgentScanMode,
  type Logger,
  type NodeInventory,
  toImagedriftError,
} from "@imagedrift/core";
import {
  type AgentMessage,
  AUTHORIZATION_METADATA_KEY,
  type CollectorMessage,
  channelOptions,
  fromWireInventory,
  InventoryChecker,
  NODE_METADATA_KEY,
} from "@imagedrift/protocol";
import type { AgentHello } from "../drift/index.js";
import { sameSecret } from "../same-secret.js";
import { agentHelloOf, checkInventory, helloProblem, scanModeOf } from "./agent-message-checks.js";
import { type AgentSession, commandUpdateOf, type WireSession, wireSession } from "./agent-session.js";
import { DEFAULT_INVENTORY_CONCURRENCY, InventoryAdmission } from "./inventory-admission.js";
import { type Received, tolerantService } from "./tolerant-service.js";

type AgentCall = grpc.ServerDuplexStream<Received, CollectorMessage>;

/** What the collector does with what agents say. */
export interface AgentHandlers {
  /** Returns whether the collector wants the inventory (it does not hold the one with the hello's hash). */
  hello(node: string, hello: AgentHello): boolean;
  inventory(node: string, inventory: NodeInventory, hash: string): void;
  /** Returns whether the collector wants the inventory again (the hash is not the one it holds). */
  /** `scanMode`: how the agent learns of changes now; undefined from agents older than the field. */
  heartbeat(node: string, hash: string, scanMode: AgentScanMode | undefined): boolean;
  commandUpdate(node: string, update: AgentCommandUpdate): void;
  disconnected(node: string): void;
}

/** One stream from an agent: its session, how to ask it for its inventory, and how it becomes the node's session. */
interface AgentStream {
  session: WireSession;
  askInventory: () => void;
  register: () => void;
}

export type { AgentSession };

const NODE_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/**
 * Agents ping the collector every 30 s (channelOptions) and reconnect when it
 * does not answer. The collector pings each agent only every 5 minutes, to let
 * go of connections whose node vanished: with pings both ways every 30 s, a
 * collector of thousands of agents would spend its quiet time answering pings.
 */
const serverOptions: grpc.ServerOptions = { ...channelOptions, "grpc.keepalive_time_ms": 300_000 };

/** The accept queue asked for; the kernel caps it at net.core.somaxconn (4096 on current kernels). */
const ACCEPT_BACKLOG = 8192;

/**
 * The collector's gRPC side: agents dial in and hold one stream each.
 * A call without the right token is refused with UNAUTHENTICATED and logged,
 * and its node never appears.
 */
export class AgentGateway {
  readonly #server = new grpc.Server(serverOptions);
  #listener: { net: NetServer; injector: grpc.ConnectionInjector } | undefined;
  readonly #sessions = new Map<string, { session: AgentSession; call: AgentCall }>();
  /** Remembers the ids, tags, digests and shared images found valid, across every agent's inventories. */
  readonly #checker = new InventoryChecker();
  readonly #token: string | null;
  /** Given to listen: no message arrives before it. */
  #handlers: AgentHandlers | undefined;
  readonly #log: Logger;
  readonly #admission: InventoryAdmission;
  readonly #version: string;

  constructor(options: {
    token: string | null;
    log: Logger;
    /** Inventories asked for at once (default DEFAULT_INVENTORY_CONCURRENCY): the rest wait their turn. */
    inventoryConcurrency?: number;
    /** Told to each agent in its welcome; default "unknown". */
    version?: string;
  }) {
    this.#token = options.token;
    this.#version = options.version ?? "unknown";
    this.#log = options.log;
    this.#admission = new InventoryAdmission({
      limit: options.inventoryConcurrency ?? DEFAULT_INVENTORY_CONCURRENCY,
    });
    this.#server.addService(tolerantService(), { Connect: (call: AgentCall) => this.#connect(call) });
  }

  #handle(): AgentHandlers {
    if (this.#handlers === undefined) throw new Error("the gateway is not listening");
    return this.#handlers;
  }

  session(node: string): AgentSession | undefined {
    return this.#sessions.get(node)?.session;
  }

  connectedNodes(): string[] {
    return [...this.#sessions.keys()].sort();
  }

  /** Nodes asked for their inventory now, and nodes waiting their turn. */
  inventoryQueue(): { granted: number; waiting: number } {
    return this.#admission.counts();
  }

  /**
   * Listens on `host:port` (port 0: any free port; returns the port), handing
   * what agents say to `handlers` (given here, not to the constructor: the
   * handlers reach the jobs runner, which needs the gateway's sessions). The
   * socket is ours, handed to grpc-js connection by connection, so that its
   * accept queue is as deep as the kernel allows: when thousands of agents
   * reconnect at once (a collector restart), grpc-js's own listener (Node's
   * default backlog of 511) drops their connection attempts, and each one
   * dropped waits out a TCP retransmit and the agent's backoff.
   */
  listen(
    address: string,
    handlers: AgentHandlers,
    credentials = grpc.ServerCredentials.createInsecure(),
  ): Promise<number> {
    this.#handlers = handlers;
    const at = address.lastIndexOf(":");
    const host = address.slice(0, at).replace(/^\[(.*)\]$/, "$1");
    const port = Number(address.slice(at + 1));
    const injector = this.#server.createConnectionInjector(credentials);
    const net = createServer((socket) => injector.injectConnection(socket));
    this.#listener = { net, injector };
    return new Promise((resolve, reject) => {
      net.once("error", reject);
      net.listen({ host, port, backlog: ACCEPT_BACKLOG }, () => {
        net.off("error", reject);
        const bound = net.address();
        resolve(typeof bound === "object" && bound !== null ? bound.port : port);
      });
    });
  }

  close(): Promise<void> {
    this.#admission.close();
    for (const { call } of this.#sessions.values()) call.end();
    const listener = this.#listener;
    listener?.net.close();
    return new Promise((resolve) => {
      listener?.injector.drain(1_000);
      this.#server.tryShutdown(() => resolve());
      setTimeout(() => {
        listener?.injector.destroy();
        this.#server.forceShutdown();
        resolve();
      }, 2_000).unref();
    });
  }

  #refuse(call: AgentCall, code: grpc.status, details: string): void {
    call.emit("error", { code, details, metadata: new grpc.Metadata() });
  }

  #connect(call: AgentCall): void {
    const node = String(call.metadata.get(NODE_METADATA_KEY)[0] ?? "");
    const auth = String(call.metadata.get(AUTHORIZATION_METADATA_KEY)[0] ?? "");
    const peer = call.getPeer();
    if (this.#token !== null && !sameSecret(auth, `Bearer ${this.#token}`)) {
      this.#log.warn("agent refused: missing or wrong token", { node, peer });
      this.#refuse(call, grpc.status.UNAUTHENTICATED, "missing or wrong token");
      return;
    }
    if (!NODE_NAME.test(node)) {
      this.#log.warn("agent refused: bad node name", { node: node.slice(0, 300), peer });
      this.#refuse(call, grpc.status.INVALID_ARGUMENT, `${NODE_METADATA_KEY} must be a Kubernetes node name`);
      return;
    }
    const session = wireSession(node, (message) => call.write(message));
    const stream: AgentStream = {
      session,
      askInventory: () => session.askInventory("the collector is ready for the inventory"),
      // The stream becomes the node's session once it has said hello, before the hello's handler runs (jobs
      // send on it from there); until then the node is not connected, and its previous stream, if any, serves.
      register: () => {
        const previous = this.#sessions.get(node);
        if (previous?.call === call) return;
        this.#sessions.set(node, { session, call });
        previous?.call.end();
      },
    };
    let helloed = false;
    call.on("data", (message: Received) => {
      if (message.body === "undecodable") {
        this.#log.warn("agent refused: undecodable message", { node, peer, reason: message.reason });
        this.#refuse(call, grpc.status.INVALID_ARGUMENT, `not an imagedrift.v1.AgentMessage: ${message.reason}`);
        return;
      }
      if (message.body === "hello") {
        const problem = helloProblem(message.hello);
        if (problem !== null) {
          this.#log.warn("agent refused: bad hello", { node, peer, problem });
          this.#refuse(call, grpc.status.INVALID_ARGUMENT, problem);
          return;
        }
      }
      try {
        helloed = this.#receive(node, message, helloed, stream);
        if (!helloed) this.#refuse(call, grpc.status.FAILED_PRECONDITION, "the first message must be a hello");
      } catch (thrown) {
        this.#log.warn("agent message rejected", { node, error: toImagedriftError(thrown) });
      }
    });
    const finish = () => {
      this.#admission.gone(node, stream.askInventory);
      if (this.#sessions.get(node)?.call !== call) return;
      this.#sessions.delete(node);
      this.#handle().disconnected(node);
    };
    call.on("end", () => {
      finish();
      call.end();
    });
    call.on("error", finish);
    call.on("close", finish);
  }

  /**
   * Whether a node whose inventory is wanted may send it now. An agent that has
   * not scanned yet (no hash) has nothing to send and takes no slot: it sends
   * its first inventory when its scan ends.
   */
  #admit(node: string, hash: string, askInventory: () => void): boolean {
    return hash === "" || this.#admission.want(node, askInventory);
  }

  /**
   * Handles one message; returns whether the stream has said hello. An
   * inventory the collector wants is asked for when the admission gives the
   * node a slot: now (the welcome says so, or a resend asks) or later.
   */
  #receive(node: string, message: AgentMessage, helloed: boolean, stream: AgentStream): boolean {
    const { session, askInventory } = stream;
    if (message.body === "hello") {
      if (message.hello.node !== node) {
        throw new Error(`hello names node "${message.hello.node}" on a stream of node "${node}"`);
      }
      stream.register();
      const wanted =
        this.#handle().hello(node, agentHelloOf(message.hello)) &&
        this.#admit(node, message.hello.inventoryHash, askInventory);
      session.welcome(this.#version, wanted);
      return true;
    }
    if (!helloed) return false;
    switch (message.body) {
      case "inventory": {
        try {
          const inventory = fromWireInventory(node, message.inventory, this.#checker);
          checkInventory(node, inventory, message.inventory.hash);
          this.#handle().inventory(node, inventory, message.inventory.hash);
        } finally {
          this.#admission.received(node);
        }
        break;
      }
      case "heartbeat": {
        const hash = message.heartbeat.inventoryHash;
        const scanMode = scanModeOf(message.heartbeat.scanMode);
        if (this.#handle().heartbeat(node, hash, scanMode) && this.#admit(node, hash, askInventory)) {
          session.askInventory("inventory hash unknown to the collector");
        }
        break;
      }
      case "commandUpdate": {
        const update = commandUpdateOf(message.commandUpdate);
        if (update === null) {
          this.#log.warn("agent sent a command update in an unknown state", {
            node,
            command: message.commandUpdate.id,
            state: message.commandUpdate.state,
          });
        } else this.#handle().commandUpdate(node, update);
        break;
      }
    }
    return true;
  }
}
