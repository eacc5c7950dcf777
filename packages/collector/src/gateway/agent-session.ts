import type { AgentCommand, AgentCommandUpdate, CommandResult } from "@imagedrift/core";
import type { CollectorMessage, CommandUpdate } from "@imagedrift/protocol";

/**
 * One connected agent as the rest of the collector sees it, and the agent's
 * command updates in the domain's terms: the wire's messages end here
 * (docs/ARCHITECTURE.md, "Parts").
 */
export interface AgentSession {
  node: string;
  /** Writes the command to the agent's stream; throws when the stream cannot take it. */
  sendCommand(command: AgentCommand): void;
  /** Asks the agent to stop a command it runs. */
  cancelCommand(id: string): void;
}

/** The session of one stream, and the gateway's own messages on it. */
export interface WireSession extends AgentSession {
  askInventory(reason: string): void;
  welcome(collectorVersion: string, inventoryWanted: boolean): void;
}

export function wireSession(node: string, write: (message: CollectorMessage) => void): WireSession {
  return {
    node,
    sendCommand: ({ id, jobId, spec, timeoutMs }) =>
      write({ body: "command", command: { id, jobId, specJson: JSON.stringify(spec), timeoutMs } }),
    cancelCommand: (id) => write({ body: "cancelCommand", cancelCommand: { id } }),
    askInventory: (reason) => write({ body: "resendInventory", resendInventory: { reason } }),
    welcome: (collectorVersion, inventoryWanted) =>
      write({ body: "welcome", welcome: { collectorVersion, inventoryWanted } }),
  };
}

/** The domain's update from the wire's, or null for a state the protocol does not name. */
export function commandUpdateOf(update: CommandUpdate): AgentCommandUpdate | null {
  const { id, state, message } = update;
  if (state === "running") return { id, state, message };
  if (state !== "succeeded" && state !== "failed" && state !== "cancelled") return null;
  let result: CommandResult = {};
  try {
    if (update.resultJson) result = JSON.parse(update.resultJson) as CommandResult;
  } catch {
    return { id, state: "unreadable", message: `the agent's result for ${id} is not JSON` };
  }
  return { id, state, message, result };
}
