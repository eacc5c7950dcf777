import * as grpc from "@grpc/grpc-js";
import { silentLogger } from "@imagedrift/core";
import {
  type AgentMessage,
  agentGateway,
  type CollectorMessage,
  channelOptions,
  NODE_METADATA_KEY,
} from "@imagedrift/protocol";
import { describe, expect, it } from "vitest";
import type { AgentHello } from "../drift/index.js";
import { AgentGateway } from "./agent-gateway.js";

describe("AgentGateway: the hello the domain sees", () => {
  it("is the domain's AgentHello: the interval a number, no wire fields, labels never missing", async () => {
    const hellos: [string, AgentHello][] = [];
    const gateway = new AgentGateway({ token: null, log: silentLogger });
    const port = await gateway.listen("127.0.0.1:0", {
      hello: (node, hello) => {
        hellos.push([node, hello]);
        return false;
      },
      inventory: () => {},
      heartbeat: () => false,
      commandUpdate: () => {},
      disconnected: () => {},
    });
    const client = new (agentGateway())(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), channelOptions);
    const metadata = new grpc.Metadata();
    metadata.set(NODE_METADATA_KEY, "n1");
    const stream = (
      client as unknown as { Connect(m: grpc.Metadata): grpc.ClientDuplexStream<AgentMessage, CollectorMessage> }
    ).Connect(metadata);
    stream.on("error", () => {});
    try {
      const welcome = new Promise<CollectorMessage>((resolve) => stream.once("data", resolve));
      stream.write({
        body: "hello",
        hello: { node: "n1", agentVersion: "1.2.3", intervalMs: "45000", inventoryHash: "", labels: { zone: "a" } },
      });
      expect(await welcome).toMatchObject({ body: "welcome" });
      expect(hellos).toEqual([
        ["n1", { agentVersion: "1.2.3", intervalMs: 45_000, labels: { zone: "a" }, inventoryHash: "" }],
      ]);
    } finally {
      stream.end();
      client.close();
      await gateway.close();
    }
  });
});
