/**
 * The collector's side of the agent stream, reduced to what drives commands:
 * it welcomes the agent, sends `command` and `cancelCommand` messages and
 * records every `commandUpdate`. With `startCommandedAgent` the built agent
 * daemon runs against a real containerd node and this stub, so that tests go
 * through the agent's real wiring (reporter → executor → CRI) without the
 * collector's job machinery.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { CommandResult } from "@imagedrift/core";
import {
  type AgentMessage,
  agentGateway,
  type CollectorMessage,
  type CommandUpdate,
  channelOptions,
} from "@imagedrift/protocol";
import { type Daemon, freePort, LOOPBACK, startDaemon, waitFor } from "../lab/index.js";
import { AGENT_BIN, agentEnv } from "./agent-process.js";

export interface CommandRun {
  id: string;
  final: CommandUpdate;
  result: CommandResult;
  /** Every update of the command, final last. */
  updates: CommandUpdate[];
}

export interface CollectorStub {
  /** `127.0.0.1:PORT`. */
  readonly address: string;
  /** Resolves once an agent has said hello. */
  connected(timeoutMs?: number): Promise<void>;
  /** Sends a command (a spec object, or raw specJson) without waiting. */
  send(spec: unknown, options?: { id?: string; timeoutMs?: number }): string;
  cancel(id: string): void;
  /** Waits for the command's final update. */
  finished(id: string, timeoutMs?: number): Promise<CommandRun>;
  /** `send` then `finished`. */
  run(spec: unknown, options?: { timeoutMs?: number }): Promise<CommandRun>;
  updates(id: string): CommandUpdate[];
  stop(): Promise<void>;
}

type Stream = grpc.ServerDuplexStream<AgentMessage, CollectorMessage>;

export async function startCollectorStub(): Promise<CollectorStub> {
  const server = new grpc.Server(channelOptions);
  const updates = new Map<string, CommandUpdate[]>();
  let stream: Stream | undefined;
  server.addService(agentGateway().service, {
    Connect: (call: Stream) => {
      call.on("data", (message: AgentMessage) => {
        if (message.body === "hello") {
          stream = call;
          call.write({ body: "welcome", welcome: { collectorVersion: "stub", inventoryWanted: false } });
        } else if (message.body === "commandUpdate") {
          const list = updates.get(message.commandUpdate.id) ?? [];
          list.push(message.commandUpdate);
          updates.set(message.commandUpdate.id, list);
        }
      });
      call.on("end", () => call.end());
      call.on("error", () => undefined);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${LOOPBACK}:0`, grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  const write = (message: CollectorMessage) => {
    if (!stream) throw new Error("no agent is connected to the collector stub");
    stream.write(message);
  };
  const stub: CollectorStub = {
    address: `${LOOPBACK}:${port}`,
    async connected(timeoutMs = 30_000) {
      await waitFor(() => stream !== undefined, { what: "the agent to connect to the collector stub", timeoutMs });
    },
    send(spec, options = {}) {
      const id = options.id ?? randomUUID();
      const specJson = typeof spec === "string" ? spec : JSON.stringify(spec);
      write({
        body: "command",
        command: { id, jobId: "job-1", specJson, timeoutMs: options.timeoutMs ?? 120_000 },
      });
      return id;
    },
    cancel(id) {
      write({ body: "cancelCommand", cancelCommand: { id } });
    },
    async finished(id, timeoutMs = 120_000) {
      const final = await waitFor(() => updates.get(id)?.find((u) => u.state !== "running"), {
        what: `the final update of command ${id}`,
        timeoutMs,
        intervalMs: 20,
      });
      return {
        id,
        final,
        result: JSON.parse(final.resultJson) as CommandResult,
        updates: [...(updates.get(id) ?? [])],
      };
    },
    run(spec, options) {
      return stub.finished(stub.send(spec, options));
    },
    updates: (id) => [...(updates.get(id) ?? [])],
    stop: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2_000).unref();
      }),
  };
  return stub;
}

export interface CommandedAgent {
  daemon: Daemon;
  /** `http://127.0.0.1:PORT` of its /metrics, /readyz. */
  url: string;
  stop(): Promise<void>;
}

/** The built agent daemon on a node, connected to `collector`; `interval` long so that only command-triggered rescans happen. */
export async function startCommandedAgent(options: {
  endpoint: string;
  nodeName: string;
  dir: string;
  collector: string;
  interval?: string;
}): Promise<CommandedAgent> {
  const port = await freePort();
  const url = `http://${LOOPBACK}:${port}`;
  const daemon = await startDaemon({
    name: `imagedrift-agent (commands) on ${LOOPBACK}:${port}`,
    command: process.execPath,
    args: [
      AGENT_BIN,
      "--cri-endpoint",
      options.endpoint,
      "--node-name",
      options.nodeName,
      "--listen",
      `${LOOPBACK}:${port}`,
      "--interval",
      options.interval ?? "10m",
      "--collector",
      options.collector,
      "--log-level",
      "debug",
    ],
    logFile: join(options.dir, `agent-${options.nodeName}-commands.log`),
    env: agentEnv(),
    ready: async () => (await fetch(`${url}/readyz`)).status === 200,
    readyTimeoutMs: 30_000,
  });
  return { daemon, url, stop: () => daemon.stop() };
}
