/**
 * The body of a fleet's worker thread (started by agent-fleet.ts): many
 * simulated agents (simulated-agent.ts) in one thread, driven by messages.
 * It is transpiled as it is, so it imports packages and the worker's own
 * files only.
 */
import { parentPort, workerData } from "node:worker_threads";
import { SimulatedAgent, type SimulatedAgentStatus } from "./simulated-agent.js";

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
