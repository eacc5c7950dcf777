/**
 * TEST DOUBLE — not an agent. In-process stand-ins for connected agents'
 * sessions, for unit tests of the job runner: each fake node receives the
 * `command` and `cancelCommand` messages the runner sends and answers with
 * `commandUpdate`s as the test scripts it (at once, or held until the test
 * answers). What the real agent does with a command is proven elsewhere
 * (the agent's tests and the lab), not here.
 */
import type { AgentCommand, AgentCommandUpdate, CommandResult, CommandSpec } from "@imagedrift/core";
import type { AgentSession } from "../gateway/agent-gateway.js";
import type { AgentSessions } from "./command-channel.js";

export interface FakeCommand {
  node: string;
  id: string;
  jobId: string;
  spec: CommandSpec;
  timeoutMs: number;
}

export type FakeAnswer =
  | { state: "succeeded" | "failed" | "cancelled"; message?: string; result?: CommandResult }
  /** Keep the command open until the test calls `answer`. */
  | "hold";

export type FakeBehaviour = (command: FakeCommand) => FakeAnswer;

/** What a well-behaved agent answers: every pull done at the expected digest, nothing to prune. */
export function succeed(command: FakeCommand): Exclude<FakeAnswer, "hold"> {
  const { spec } = command;
  if (spec.type === "pull") {
    const pulled = spec.images.map((item) => ({
      ref: item.ref,
      imageId: `sha256:${"f".repeat(64)}`,
      digest: item.expectedDigest,
      verified: item.expectedDigest === null ? null : true,
      alreadyPresent: false,
    }));
    return { state: "succeeded", result: { pulled, dryRun: spec.dryRun } };
  }
  if (spec.type === "remove") {
    const removed = spec.imageIds.map((id) => ({ id, repoTags: [], bytes: 1000 }));
    return { state: "succeeded", result: { removed, reclaimedBytes: 1000 * removed.length, dryRun: spec.dryRun } };
  }
  return { state: "succeeded", result: { removed: [], reclaimedBytes: 0, dryRun: spec.dryRun } };
}

export class FakeAgentSessions implements AgentSessions {
  /** Where answers go: the runner's `commandUpdate`. */
  deliver: (node: string, update: AgentCommandUpdate) => void = () => {};
  /** Every command received, in order. */
  readonly commands: FakeCommand[] = [];
  /** Ids of commands the runner asked to cancel. */
  readonly cancels: string[] = [];
  /** Commands received and not answered yet. */
  readonly open = new Map<string, FakeCommand>();
  /** The most commands open at once, across all nodes. */
  maxOpen = 0;
  readonly #sessions = new Map<string, AgentSession>();
  readonly #behaviours = new Map<string, FakeBehaviour>();
  #waiting: ((command: FakeCommand) => void)[] = [];
  #unclaimed: FakeCommand[] = [];

  session(node: string): AgentSession | undefined {
    return this.#sessions.get(node);
  }

  /** Connects a fake agent for `node` (a new session object each time, as a reconnect makes). */
  connect(node: string, behaviour: FakeBehaviour = succeed): void {
    this.#behaviours.set(node, behaviour);
    this.#sessions.set(node, {
      node,
      sendCommand: (command) => this.#receive(node, command),
      cancelCommand: (id) => {
        this.cancels.push(id);
        this.open.delete(id);
      },
    });
  }

  disconnect(node: string): void {
    this.#sessions.delete(node);
  }

  /** Resolves with the next command any fake agent receives (or one already received and not yet taken). */
  nextCommand(): Promise<FakeCommand> {
    const ready = this.#unclaimed.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Answers a held command. */
  answer(id: string, answer: Exclude<FakeAnswer, "hold">): void {
    const command = this.open.get(id);
    if (!command) throw new Error(`fake agent: no open command ${id}`);
    this.open.delete(id);
    this.deliver(command.node, { id, state: answer.state, message: answer.message ?? "", result: answer.result ?? {} });
  }

  /** Sends a `running` progress update for an open command. */
  progress(id: string, message: string): void {
    const command = this.open.get(id);
    if (command) this.deliver(command.node, { id, state: "running", message });
  }

  #receive(node: string, sent: AgentCommand): void {
    // A copy, as the wire makes one: the runner must not rely on the agent sharing its objects.
    const command: FakeCommand = { node, ...sent, spec: structuredClone(sent.spec) };
    this.commands.push(command);
    this.open.set(command.id, command);
    this.maxOpen = Math.max(this.maxOpen, this.open.size);
    const waiter = this.#waiting.shift();
    if (waiter) waiter(command);
    else this.#unclaimed.push(command);
    const answer = (this.#behaviours.get(node) ?? succeed)(command);
    if (answer !== "hold") queueMicrotask(() => this.open.has(command.id) && this.answer(command.id, answer));
  }
}
