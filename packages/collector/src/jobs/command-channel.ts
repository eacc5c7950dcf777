import {
  type AgentCommand,
  type AgentCommandUpdate,
  type CommandResult,
  formatDuration,
  type Logger,
} from "@imagedrift/core";
import type { AgentSession } from "../gateway/agent-gateway.js";
import type { Clock } from "../registry/clock.js";

/** The connected agents, by node (the gateway). */
export interface AgentSessions {
  session(node: string): AgentSession | undefined;
}

/** Why an attempt was abandoned by the collector itself. */
export type AbortReason = "cancel" | "stop";

export type CommandOutcome =
  /** The agent's final answer. */
  | { kind: "final"; state: "succeeded" | "failed" | "cancelled"; message: string; result: CommandResult }
  /** No answer: not connected, disconnected, reconnected, timed out, unreadable result. */
  | { kind: "lost"; message: string }
  /** The job was cancelled or the collector is stopping. */
  | { kind: "aborted" };

export interface OutgoingCommand extends AgentCommand {
  node: string;
}

interface Waiter {
  node: string;
  session: AgentSession;
  progress: (message: string) => void;
  finish: (outcome: CommandOutcome) => void;
}

/**
 * Sends commands to agents and waits for each one's final `commandUpdate`:
 * `running` updates report progress; the wait ends with the agent's answer,
 * the per-command timeout (the agent is then told to cancel), the agent's
 * stream going away, or an abort. The spec, with any credentials in it, is
 * written to the agent's stream only: never kept, never logged.
 */
export class CommandChannel {
  readonly #waiters = new Map<string, Waiter>();
  readonly #sessions: AgentSessions;
  readonly #clock: Clock;
  readonly #log: Logger;

  constructor(options: { sessions: AgentSessions; clock: Clock; log: Logger }) {
    this.#sessions = options.sessions;
    this.#clock = options.clock;
    this.#log = options.log;
  }

  run(
    command: OutgoingCommand,
    options: { signal: AbortSignal; progress: (message: string) => void },
  ): Promise<CommandOutcome> {
    const { signal } = options;
    if (signal.aborted) return Promise.resolve({ kind: "aborted" });
    const session = this.#sessions.session(command.node);
    if (session === undefined) return Promise.resolve({ kind: "lost", message: "agent not connected" });
    return new Promise<CommandOutcome>((resolve) => {
      const timer = new AbortController();
      const cancelOnAgent = () => this.#send(session, "cancelCommand", () => session.cancelCommand(command.id));
      const onAbort = () => {
        if (signal.reason === "cancel") cancelOnAgent();
        finish({ kind: "aborted" });
      };
      const finish = (outcome: CommandOutcome) => {
        if (this.#waiters.get(command.id)?.finish !== finish) return;
        this.#waiters.delete(command.id);
        timer.abort();
        signal.removeEventListener("abort", onAbort);
        resolve(outcome);
      };
      this.#waiters.set(command.id, { node: command.node, session, progress: options.progress, finish });
      signal.addEventListener("abort", onAbort, { once: true });
      this.#clock.sleep(command.timeoutMs, timer.signal).then(
        () => {
          cancelOnAgent();
          finish({ kind: "lost", message: `no answer within ${formatDuration(command.timeoutMs)} (timed out)` });
        },
        () => {},
      );
      const { id, jobId, spec, timeoutMs } = command;
      const sent = this.#send(session, "command", () => session.sendCommand({ id, jobId, spec, timeoutMs }));
      if (!sent) finish({ kind: "lost", message: "could not send the command to the agent" });
    });
  }

  /** An agent's commandUpdate; false when no command of that node waits under that id. */
  update(node: string, update: AgentCommandUpdate): boolean {
    const waiter = this.#waiters.get(update.id);
    if (waiter === undefined || waiter.node !== node) return false;
    if (update.state === "running") waiter.progress(update.message);
    else if (update.state === "unreadable") waiter.finish({ kind: "lost", message: update.message });
    else waiter.finish({ kind: "final", state: update.state, message: update.message, result: update.result });
    return true;
  }

  /** The node's stream ended: its waiting commands will get no answer. */
  disconnected(node: string): void {
    for (const waiter of [...this.#waiters.values()]) {
      if (waiter.node === node) waiter.finish({ kind: "lost", message: "agent disconnected during the command" });
    }
  }

  /** The node said hello on a new stream: commands sent on an older one may never be answered. */
  connected(node: string): void {
    const current = this.#sessions.session(node);
    for (const waiter of [...this.#waiters.values()]) {
      if (waiter.node === node && waiter.session !== current) {
        waiter.finish({ kind: "lost", message: "agent reconnected during the command" });
      }
    }
  }

  #send(session: AgentSession, what: "command" | "cancelCommand", write: () => void): boolean {
    try {
      write();
      return true;
    } catch (thrown) {
      this.#log.warn("cannot write to agent", { node: session.node, message: what, error: thrown });
      return false;
    }
  }
}
