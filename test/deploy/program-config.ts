/**
 * A container of the manifests read by the program it runs: its args (and, for
 * the agent, NODE_NAME from the downward API) through the agent's and the
 * collector's own config parsers, after checking that every flag is one the
 * program declares (a config schema drops unknown keys; commander refuses them).
 */
import { type AgentConfig, type AgentOptions, parseAgentConfig } from "@imagedrift/agent";
import { type CollectorConfig, parseCollectorConfig } from "@imagedrift/collector";
import { declaredFlags, type FlagValues, parseArgs, toOptions } from "./flags.js";
import type { Container } from "./manifests.js";

/** What the downward API gives NODE_NAME (spec.nodeName) in the tests. */
export const NODE = "worker-1";

/** Where each program declares its flags. */
export const AGENT_MAIN = "packages/agent/src/main.ts";
export const COLLECTOR_MAIN = "packages/collector/src/collector-program.ts";

/** The daemon's options from its args: no subcommand, only declared flags. */
function daemonOptions(container: Container, mainTs: string): FlagValues {
  const { positional, flags } = parseArgs(container.args ?? []);
  if (positional.length > 0)
    throw new Error(`${container.name}: a daemon takes no subcommand: ${positional.join(" ")}`);
  const declared = declaredFlags(mainTs);
  const unknown = Object.keys(flags).filter((flag) => !declared.has(flag));
  if (unknown.length > 0) throw new Error(`${container.name}: ${mainTs} declares no --${unknown.join(", --")}`);
  return toOptions(flags);
}

export function agentConfigOf(container: Container): AgentConfig {
  const options = daemonOptions(container, AGENT_MAIN) as AgentOptions;
  const nodeName = container.env?.find((e) => e.name === "NODE_NAME")?.valueFrom?.fieldRef?.fieldPath;
  if (nodeName !== "spec.nodeName") throw new Error(`${container.name}: NODE_NAME is not the pod's spec.nodeName`);
  // main.ts: nodeName = --node-name || NODE_NAME || the hostname.
  return parseAgentConfig({ ...options, nodeName: options.nodeName || NODE });
}

export function collectorConfigOf(container: Container): CollectorConfig {
  return parseCollectorConfig(daemonOptions(container, COLLECTOR_MAIN) as Parameters<typeof parseCollectorConfig>[0]);
}
