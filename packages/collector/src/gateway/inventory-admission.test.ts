import * as grpc from "@grpc/grpc-js";
import { silentLogger } from "@imagedrift/core";
import {
  type AgentMessage,
  agentGateway,
  type CollectorMessage,
  channelOptions,
  NODE_METADATA_KEY,
} from "@imagedrift/protocol";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AgentGateway, type AgentHandlers } from "./agent-gateway.js";
import { InventoryAdmission } from "./inventory-admission.js";

describe("InventoryAdmission", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("grants up to the limit; the others are asked in arrival order as slots free", () => {
    const admission = new InventoryAdmission({ limit: 2 });
    const asked: string[] = [];
    const ask = (node: string) => () => asked.push(node);
    expect(["a", "b", "c", "d"].map((n) => admission.want(n, ask(n)))).toEqual([true, true, false, false]);
    expect(admission.counts()).toEqual({ granted: 2, waiting: 2 });
    // Wanting again while waiting keeps the place in line and asks nothing now.
    expect(admission.want("d", ask("d"))).toBe(false);
    expect(admission.want("c", ask("c"))).toBe(false);
    expect(asked).toEqual([]);
    admission.received("b");
    expect(asked).toEqual(["c"]);
    admission.received("a");
    expect(asked).toEqual(["c", "d"]);
    expect(admission.counts()).toEqual({ granted: 2, waiting: 0 });
    admission.received("c");
    admission.received("d");
    expect(admission.counts()).toEqual({ granted: 0, waiting: 0 });
  });

  it("an inventory that comes unasked takes a node out of the line; a granted node asking again keeps its slot", () => {
    const admission = new InventoryAdmission({ limit: 1 });
    const asked: string[] = [];
    expect(admission.want("a", () => asked.push("a"))).toBe(true);
    expect(admission.want("b", () => asked.push("b"))).toBe(false);
    admission.received("b");
    expect(admission.want("a", () => asked.push("a again"))).toBe(true);
    expect(admission.counts()).toEqual({ granted: 1, waiting: 0 });
    admission.received("a");
    expect(asked).toEqual([]);
  });

  it("a stream that ends frees its slot or place; an older stream of a node that reconnected frees nothing", () => {
    const admission = new InventoryAdmission({ limit: 1 });
    const asked: string[] = [];
    const oldStream = () => asked.push("a old");
    const newStream = () => asked.push("a new");
    const b = () => asked.push("b");
    const c = () => asked.push("c");
    admission.want("a", oldStream);
    admission.want("a", newStream);
    admission.want("b", b);
    admission.want("c", c);
    admission.gone("a", oldStream);
    expect(admission.counts()).toEqual({ granted: 1, waiting: 2 });
    admission.gone("b", b);
    expect(admission.counts()).toEqual({ granted: 1, waiting: 1 });
    admission.gone("a", newStream);
    expect(asked).toEqual(["c"]);
  });

  it("a grant lapses when the inventory does not come, and the next node is asked", () => {
    vi.useFakeTimers();
    const admission = new InventoryAdmission({ limit: 1, grantMs: 30_000 });
    const asked: string[] = [];
    admission.want("silent", () => asked.push("silent"));
    admission.want("next", () => asked.push("next"));
    vi.advanceTimersByTime(29_999);
    expect(asked).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(asked).toEqual(["next"]);
    expect(admission.counts()).toEqual({ granted: 1, waiting: 0 });
    admission.close();
  });

  it("refuses a limit below 1", () => {
    expect(() => new InventoryAdmission({ limit: 0 })).toThrow("inventory concurrency must be a whole number");
  });
});

/** The hash of an inventory the collector does not hold: the agent has scanned and has one to send. */
const SCANNED = `sha256:${"e".repeat(64)}`;

type AgentStream = grpc.ClientDuplexStream<AgentMessage, CollectorMessage>;

/** A real gateway on 127.0.0.1 and a protocol client of it. */
async function gatewayWith({
  handlers,
  ...options
}: ConstructorParameters<typeof AgentGateway>[0] & { handlers: AgentHandlers }) {
  const gateway = new AgentGateway(options);
  const port = await gateway.listen("127.0.0.1:0", handlers);
  const client = new (agentGateway())(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), channelOptions);
  const open = (node: string): AgentStream => {
    const metadata = new grpc.Metadata();
    metadata.set(NODE_METADATA_KEY, node);
    const stream = (client as unknown as { Connect(m: grpc.Metadata): AgentStream }).Connect(metadata);
    stream.on("error", () => {});
    return stream;
  };
  return { gateway, client, open };
}

describe("AgentGateway with an inventory concurrency of 2", () => {
  it("asks two of five agents in the welcome and each of the others once an inventory arrives", async () => {
    const stored: string[] = [];
    const { gateway, client, open } = await gatewayWith({
      token: null,
      log: silentLogger,
      inventoryConcurrency: 2,
      handlers: {
        hello: () => true,
        inventory: (node) => stored.push(node),
        heartbeat: () => true,
        commandUpdate: () => {},
        disconnected: () => {},
      },
    });
    const nodes = ["n1", "n2", "n3", "n4", "n5"];
    const seen = new Map<string, string[]>(nodes.map((n) => [n, []]));
    const streams: AgentStream[] = [];
    try {
      for (const node of nodes) {
        const stream = open(node);
        streams.push(stream);
        stream.on("data", (message: CollectorMessage) => {
          const what =
            message.body === "welcome"
              ? `welcome ${message.welcome.inventoryWanted ? "wanted" : "later"}`
              : message.body;
          seen.get(node)?.push(what);
        });
        stream.write({
          body: "hello",
          hello: { node, agentVersion: "test", intervalMs: 60_000, inventoryHash: SCANNED, labels: {} },
        });
        await vi.waitFor(() => expect(seen.get(node)).toHaveLength(1));
      }
      expect(nodes.map((n) => seen.get(n)?.[0])).toEqual([
        "welcome wanted",
        "welcome wanted",
        "welcome later",
        "welcome later",
        "welcome later",
      ]);
      expect(gateway.inventoryQueue()).toEqual({ granted: 2, waiting: 3 });
      // A heartbeat from a waiting agent is not answered with a resend: it keeps its place.
      streams[4]?.write({ body: "heartbeat", heartbeat: { inventoryHash: SCANNED } });
      // Each inventory sent frees a slot for the next agent in line, which is asked for its own.
      const sendInventory = (i: number) =>
        streams[i]?.write({
          body: "inventory",
          inventory: {
            hash: `sha256:${String(i).padStart(64, "0")}`,
            scannedAt: "2025-01-01T00:00:00Z",
            runtime: { name: "containerd", version: "1.6.20", apiVersion: "v1" },
            images: [],
            pods: [],
            imageFs: { mountpoint: "/", usedBytes: "0", inodesUsed: null },
          },
        });
      sendInventory(0);
      await vi.waitFor(() => expect(seen.get("n3")).toEqual(["welcome later", "resendInventory"]));
      expect(seen.get("n4")).toEqual(["welcome later"]);
      sendInventory(1);
      await vi.waitFor(() => expect(seen.get("n4")).toEqual(["welcome later", "resendInventory"]));
      sendInventory(2);
      await vi.waitFor(() => expect(seen.get("n5")).toEqual(["welcome later", "resendInventory"]));
      sendInventory(3);
      sendInventory(4);
      await vi.waitFor(() => expect(stored).toHaveLength(5));
      expect(stored).toEqual(nodes);
      expect(gateway.inventoryQueue()).toEqual({ granted: 0, waiting: 0 });
      // An agent that has not scanned yet (no hash) is welcomed as wanted and takes no slot: it has nothing to send.
      const stream = open("n6");
      streams.push(stream);
      const welcome = new Promise<CollectorMessage>((resolve) => stream.once("data", resolve));
      stream.write({
        body: "hello",
        hello: { node: "n6", agentVersion: "test", intervalMs: 60_000, inventoryHash: "", labels: {} },
      });
      expect(await welcome).toMatchObject({ welcome: { inventoryWanted: true } });
      expect(gateway.inventoryQueue()).toEqual({ granted: 0, waiting: 0 });
    } finally {
      for (const stream of streams) stream.end();
      client.close();
      await gateway.close();
    }
  });
});

describe("AgentGateway sessions", () => {
  it("a stream is the node's session once it has said hello: a refused hello leaves the node unconnected", async () => {
    const hellos: string[] = [];
    const { gateway, client, open } = await gatewayWith({
      token: null,
      log: silentLogger,
      handlers: {
        hello: (node) => {
          // The stream is already the node's session when the hello's handler runs (jobs send on it from there).
          hellos.push(`${node} ${gateway.connectedNodes().includes(node)}`);
          return false;
        },
        inventory: () => {},
        heartbeat: () => false,
        commandUpdate: () => {},
        disconnected: () => {},
      },
    });
    try {
      const bad = open("bad");
      bad.on("data", () => {});
      const refused = new Promise<grpc.StatusObject>((resolve) => bad.on("status", resolve));
      bad.write({
        body: "hello",
        hello: { node: "bad", agentVersion: "t", intervalMs: 1, inventoryHash: "", labels: {} },
      });
      expect((await refused).code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(gateway.connectedNodes()).toEqual([]);
      const good = open("good");
      good.on("data", () => {});
      good.write({
        body: "hello",
        hello: { node: "good", agentVersion: "t", intervalMs: 60_000, inventoryHash: "", labels: {} },
      });
      await vi.waitFor(() => expect(gateway.connectedNodes()).toEqual(["good"]));
      expect(hellos).toEqual(["good true"]);
      good.end();
    } finally {
      client.close();
      await gateway.close();
    }
  });
});
