/**
 * The built collector and one agent on a lab node reporting to it, as most
 * end-to-end tests begin: an optional registries file written beside the
 * collector, the agent started with the collector's address and token file,
 * and a wait until the node reports. Both are stopped by PID.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { waitForReporting } from "../collector/api.js";
import type { Lab } from "../lab/index.js";
import {
  type Agent,
  type AgentOptions,
  type Collector,
  type CollectorOptions,
  startAgent,
  startCollector,
} from "./processes.js";

export interface LabAgentOptions extends Omit<AgentOptions, "node" | "endpoint" | "collector" | "tokenFile"> {
  lab: Lab;
  collector: Collector;
  /** The lab node the agent scans (default "n1"). */
  node?: string;
}

/** An agent on a lab node's containerd, reporting to `collector` with its token file. */
export function startLabAgent(options: LabAgentOptions): Promise<Agent> {
  const { lab, collector, node = "n1", ...agent } = options;
  return startAgent({
    ...agent,
    node,
    endpoint: lab.node(node).endpoint,
    collector: collector.grpcAddress,
    tokenFile: collector.tokenFile,
  });
}

export interface ReportingPairOptions extends Omit<CollectorOptions, "extraArgs"> {
  lab: Lab;
  /** The lab node of the agent (default "n1"). */
  node?: string;
  /** Written to `dir/registries.yaml` and passed to the collector as --registries-config. */
  registries?: string;
  /** The collector's other flags. */
  collectorArgs?: string[];
  /** The agent's flags. */
  agentArgs?: string[];
  /** For the wait's error ("n1 reporting to the good collector"). */
  what?: string;
}

export interface ReportingPair {
  collector: Collector;
  agent: Agent;
  /** Stops the agent, then the collector. */
  stop(): Promise<void>;
}

/** Starts the collector and the agent and resolves once the node reports; stops both when it does not. */
export async function startReportingPair(options: ReportingPairOptions): Promise<ReportingPair> {
  const { lab, node = "n1", registries, collectorArgs = [], agentArgs, what, ...collectorOptions } = options;
  const registriesArgs: string[] = [];
  if (registries !== undefined) {
    const file = join(options.dir, "registries.yaml");
    await writeFile(file, registries);
    registriesArgs.push("--registries-config", file);
  }
  const collector = await startCollector({ ...collectorOptions, extraArgs: [...registriesArgs, ...collectorArgs] });
  let agent: Agent | undefined;
  try {
    agent = await startLabAgent({ dir: options.dir, lab, collector, node, extraArgs: agentArgs });
    await waitForReporting(collector.url, node, { what: what ?? `${node} reporting` });
  } catch (error) {
    await agent?.stop();
    await collector.stop();
    throw error;
  }
  const started = agent;
  return {
    collector,
    agent: started,
    async stop() {
      await started.stop();
      await collector.stop();
    },
  };
}
