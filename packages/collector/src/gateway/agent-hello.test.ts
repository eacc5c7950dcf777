import * as grpc from "@grpc/grpc-js";
import { silentLogger } from "@imagedrift/core";
import {
  type AgentMessage,
  agentGateway,
  type CollectorMessage,
  channelOptions,
  NODE_METADATA_KEY,
} from "@imagedrift/protocol";
import { describe, expect, it, vi } from "vitest";
import type { AgentHello } from "../drift/index.js";
import { AgentGateway } from "./agent-gateway.js";
import { agentHelloOf, helloProblem } from "./agent-message-checks.js";

/** Gateway handlers that take everything and want nothing; a test overrides the one it watches. */
const quiet = {
  inventory: () => {},
  heartbeat: () => false,
  commandUpdate: () => {},
  disconnected: () => {},
};

/** A stream to the gateway on `port` as `node`: its first message (the welcome), and how to end it. */
function connectAs(node: string, port: number) {
  const client = new (agentGateway())(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), channelOptions);
  const metadata = new grpc.Metadata();
  metadata.set(NODE_METADATA_KEY, node);
  const stream = (
    client as unknown as { Connect(m: grpc.Metadata): grpc.ClientDuplexStream<AgentMessage, CollectorMessage> }
  ).Connect(metadata);
  stream.on("error", () => {});
  const welcome = new Promise<CollectorMessage>((resolve) => stream.once("data", resolve));
  const close = () => {
    stream.end();
    client.close();
  };
  return { stream, welcome, close };
}

describe("AgentGateway: the hello the domain sees", () => {
  it("is the domain's AgentHello: the interval a number, no wire fields, labels never missing", async () => {
    const hellos: [string, AgentHello][] = [];
    const gateway = new AgentGateway({ token: null, log: silentLogger });
    const port = await gateway.listen("127.0.0.1:0", {
      hello: (node, hello) => {
        hellos.push([node, hello]);
        return false;
      },
      ...quiet,
    });
    const { stream, welcome, close } = connectAs("n1", port);
    try {
      stream.write({
        body: "hello",
        hello: { node: "n1", agentVersion: "1.2.3", intervalMs: "45000", inventoryHash: "", labels: { zone: "a" } },
      });
      expect(await welcome).toMatchObject({ body: "welcome" });
      expect(hellos).toEqual([
        ["n1", { agentVersion: "1.2.3", intervalMs: 45_000, labels: { zone: "a" }, inventoryHash: "" }],
      ]);
    } finally {
      close();
      await gateway.close();
    }
  });

  it("carries the agent's scan mode from the hello and every heartbeat; an older agent's empty one is absent", async () => {
    const said: string[] = [];
    const gateway = new AgentGateway({ token: null, log: silentLogger });
    const port = await gateway.listen("127.0.0.1:0", {
      hello: (_node, hello) => {
        said.push(`hello ${hello.scanMode ?? "-"}`);
        return false;
      },
      ...quiet,
      heartbeat: (_node, _hash, scanMode) => {
        said.push(`heartbeat ${scanMode ?? "-"}`);
        return false;
      },
    });
    const { stream, welcome, close } = connectAs("n1", port);
    try {
      const hello = { node: "n1", agentVersion: "1", intervalMs: "45000", inventoryHash: "", labels: {} };
      stream.write({ body: "hello", hello: { ...hello, scanMode: "events" } });
      await welcome;
      stream.write({ body: "heartbeat", heartbeat: { inventoryHash: "", scanMode: "polling" } });
      stream.write({ body: "heartbeat", heartbeat: { inventoryHash: "" } });
      await vi.waitUntil(() => said.length === 3);
      expect(said).toEqual(["hello events", "heartbeat polling", "heartbeat -"]);
    } finally {
      close();
      await gateway.close();
    }
  });

  it("takes a scan mode it does not know (a newer agent's) as unknown, and refuses one that is no mode's name", () => {
    const hello = { node: "n1", agentVersion: "1", intervalMs: "45000", inventoryHash: "", labels: {} };
    expect(helloProblem({ ...hello, scanMode: "sometimes" })).toBeNull();
    expect(agentHelloOf({ ...hello, scanMode: "sometimes" })).not.toHaveProperty("scanMode");
    expect(agentHelloOf({ ...hello, scanMode: "events" })).toHaveProperty("scanMode", "events");
    expect(helloProblem({ ...hello, scanMode: "Not A Mode!" })).toBe(
      'hello.scanMode "Not A Mode!" is not a scan mode\'s name (known: events, polling)',
    );
    expect(helloProblem({ ...hello, scanMode: "" })).toBeNull();
    expect(agentHelloOf({ ...hello, scanMode: "" })).not.toHaveProperty("scanMode");
  });
});
