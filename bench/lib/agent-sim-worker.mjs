/**
 * One worker thread of simulated agents. Each simulated agent speaks the real
 * imagedrift.v1 protocol as packages/agent's CollectorReporter does: its own
 * client (its own HTTP/2 connection: no shared subchannel pool), one Connect
 * stream with the node's metadata, a hello with the inventory hash, the
 * inventory when the collector wants it (or asks again), then a heartbeat every
 * interval at a random phase. Reconnects after a lost stream with the agent's
 * own Backoff (packages/agent, built).
 *
 * Inventories are made and serialised (by the protocol's own serializer, over
 * the protocol's toWireInventory/inventoryHash) before any stream opens, so
 * that the simulator spends its CPU before the measured window, not in it: on
 * a real cluster each agent serialises on its own node.
 */
import { parentPort, workerData } from "node:worker_threads";
import * as grpc from "@grpc/grpc-js";
import { agentGateway, channelOptions, inventoryHash, NODE_METADATA_KEY, toWireInventory } from "@imagedrift/protocol";
import { Backoff } from "../../packages/agent/dist/backoff.js";
import { nodeInventory, tagTable } from "./synthetic.mjs";

const { ids, host, tagCount, digests, intervalMs, agentVersion } = workerData;
const table = tagTable(host, tagCount, new Map(digests));

const connect = agentGateway().service.Connect;
// The method as the protocol defines it; buffers made by its own serializer pass through as they are.
const Client = grpc.makeGenericClientConstructor(
  {
    Connect: {
      ...connect,
      requestSerialize: (message) => (Buffer.isBuffer(message) ? message : connect.requestSerialize(message)),
    },
  },
  "AgentGateway",
);

const started = performance.now();
let wireBytes = 0;
const agents = ids.map((i) => {
  const inventory = nodeInventory(i, table);
  const hash = inventoryHash(inventory);
  const inventoryMessage = connect.requestSerialize({
    body: "inventory",
    inventory: toWireInventory(inventory, hash),
  });
  wireBytes += inventoryMessage.length;
  return {
    node: inventory.node,
    hash,
    inventoryMessage,
    heartbeatMessage: connect.requestSerialize({ body: "heartbeat", heartbeat: { inventoryHash: hash } }),
    backoff: new Backoff(),
    client: undefined,
    stream: undefined,
    timer: undefined,
  };
});
const prepareMs = performance.now() - started;

const stats = {
  streams: 0,
  welcomed: 0,
  inventoryWanted: 0,
  inventoriesSent: 0,
  resends: 0,
  heartbeats: 0,
  errors: 0,
  reconnects: 0,
  lastError: "",
};
let address;
/** Plaintext, or TLS trusting the CA the "connect" message gave (the collector's --tls-self-signed CA). */
let credentials = grpc.credentials.createInsecure();
let open = false;

function start(agent) {
  if (!open) return;
  // The agent's own client options (packages/agent/src/reporter.ts), and a connection of its own as a separate process has.
  agent.client ??= new Client(address, credentials, {
    ...channelOptions,
    "grpc.initial_reconnect_backoff_ms": 500,
    "grpc.max_reconnect_backoff_ms": 10_000,
    "grpc.use_local_subchannel_pool": 1,
  });
  const metadata = new grpc.Metadata();
  metadata.set(NODE_METADATA_KEY, agent.node);
  const stream = agent.client.Connect(metadata);
  agent.stream = stream;
  stats.streams++;
  stream.on("data", (message) => {
    if (message.body === "welcome") {
      stats.welcomed++;
      agent.backoff.reset();
      if (message.welcome.inventoryWanted) {
        stats.inventoryWanted++;
        stats.inventoriesSent++;
        stream.write(agent.inventoryMessage);
      }
      clearTimeout(agent.timer);
      const beat = () => {
        stats.heartbeats++;
        stream.write(agent.heartbeatMessage);
        agent.timer = setTimeout(beat, intervalMs);
      };
      agent.timer = setTimeout(beat, Math.random() * intervalMs);
    } else if (message.body === "resendInventory") {
      stats.resends++;
      stats.inventoriesSent++;
      stream.write(agent.inventoryMessage);
    }
  });
  stream.on("error", (error) => {
    if (!open) return;
    stats.errors++;
    stats.lastError = error.message;
  });
  // As the agent's reporter does: a client duplex stream that fails emits "status" but not always "close".
  stream.on("status", () => {
    clearTimeout(agent.timer);
    if (!open || agent.stream !== stream) return;
    stats.reconnects++;
    agent.timer = setTimeout(() => start(agent), agent.backoff.next());
  });
  stream.write({
    body: "hello",
    hello: { node: agent.node, agentVersion, intervalMs, inventoryHash: agent.hash, labels: {} },
  });
}

function closeAll() {
  open = false;
  for (const agent of agents) {
    clearTimeout(agent.timer);
    agent.stream?.cancel();
    agent.client?.close();
    agent.stream = undefined;
    agent.client = undefined;
  }
}

parentPort.on("message", (message) => {
  switch (message.cmd) {
    case "connect":
      address = message.address;
      credentials = message.ca
        ? grpc.credentials.createSsl(Buffer.from(message.ca))
        : grpc.credentials.createInsecure();
      open = true;
      for (const key of Object.keys(stats)) stats[key] = key === "lastError" ? "" : 0;
      for (const agent of agents) {
        agent.backoff.reset();
        start(agent);
      }
      parentPort.postMessage({ type: "connecting" });
      break;
    case "close":
      closeAll();
      parentPort.postMessage({ type: "closed" });
      break;
    case "stats":
      parentPort.postMessage({ type: "stats", stats: { ...stats } });
      break;
  }
});

parentPort.postMessage({ type: "ready", prepareMs, wireBytes, agents: agents.length });
