/**
 * Runs what the collector asks of this node (`command` / `cancelCommand` on
 * the agent's stream). Commands run one at a time, in arrival order: two
 * prunes, or a pull and a prune, never interleave on one node. Each sends
 * `running` updates with a progress line and the result so far, then one final
 * update (`succeeded`, `failed` or `cancelled`) whose `resultJson` is the
 * CommandResult. A cancel or the command's timeout stops it between items
 * and it reports what it did. A command id seen before is not run twice: its
 * final update is sent again. A command that changed the node's images asks
 * for a rescan once its final update is on its way (RESCAN_DELAY_MS).
 */
import {
  type CommandResult,
  type CommandSpec,
  formatDuration,
  type ImagedriftError,
  type Logger,
  toImagedriftError,
} from "@imagedrift/core";
import type { CriClient } from "@imagedrift/cri";
import type { AgentMessage, CollectorMessage, CommandMessage, CommandUpdate } from "@imagedrift/protocol";
import type { CommandContext, CommandOutcome } from "./context.js";
import { runPrune } from "./prune.js";
import { runPull } from "./pull.js";
import { runRemove } from "./remove.js";

/** Used when a command carries no timeout. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 10 * 60_000;
/** Final updates kept to answer a repeated command id. */
const REMEMBERED = 200;
/**
 * How long after a command's final update the rescan it asks for starts. The
 * update is handed to grpc-js, which writes it out over the next turns of the
 * event loop; a rescan begun in the same turn (six CRI calls, then decoding,
 * joining and hashing the inventory) held the result back from the collector
 * by 5–50 ms on a busy machine (lab, 2 cores under load: median 12 ms; with
 * this delay, 2 ms), and every job waits for its slowest node's result.
 */
export const RESCAN_DELAY_MS = 20;

type Reply = (message: AgentMessage) => void;

interface Pending {
  command: CommandMessage;
  reply: Reply;
  controller: AbortController;
  deadline: number;
  timeoutMs: number;
}

const CANCELLED = "cancelled";
const TIMED_OUT = "timed-out";

/** Runs one command to its outcome. */
export function runCommand(ctx: CommandContext, spec: CommandSpec): Promise<CommandOutcome> {
  switch (spec.type) {
    case "pull":
      return runPull(ctx, spec);
    case "prune":
      return runPrune(ctx, spec);
    case "remove":
      return runRemove(ctx, spec);
  }
}

/** Whether a result changed the node's images (something pulled or removed for real). */
export function changedImages(result: CommandResult): boolean {
  if (result.dryRun) return false;
  return (result.removed?.length ?? 0) > 0 || (result.pulled ?? []).some((p) => !p.alreadyPresent && !p.error);
}

export interface CommandExecutorOptions {
  cri: CriClient;
  node: string;
  /** `--sandbox-image`. */
  sandboxImage?: string | undefined;
  log: Logger;
  /** Told after a command changed the node's images (RESCAN_DELAY_MS after its final update), e.g. to rescan. */
  onImagesChanged?: () => void;
  /** Default RESCAN_DELAY_MS. */
  rescanDelayMs?: number;
  now?: () => Date;
}

export class CommandExecutor {
  readonly #options: CommandExecutorOptions;
  readonly #queue: Pending[] = [];
  readonly #finished = new Map<string, CommandUpdate>();
  #current: Pending | undefined;
  #pumping: Promise<void> | undefined;
  #rescan: NodeJS.Timeout | undefined;

  constructor(options: CommandExecutorOptions) {
    this.#options = options;
  }

  /** For `CollectorReporter`'s `onCollectorMessage`. */
  readonly onCollectorMessage = (message: CollectorMessage, reply: Reply): void => {
    if (message.body === "command") this.submit(message.command, reply);
    else if (message.body === "cancelCommand") this.cancel(message.cancelCommand.id, reply);
  };

  /** Queues a command; its timeout counts from now. */
  submit(command: CommandMessage, reply: Reply): void {
    const finished = this.#finished.get(command.id);
    if (finished) {
      reply({ body: "commandUpdate", commandUpdate: finished });
      return;
    }
    if (this.#current?.command.id === command.id || this.#queue.some((p) => p.command.id === command.id)) return;
    const given = Number(command.timeoutMs);
    const timeoutMs = Number.isFinite(given) && given > 0 ? given : DEFAULT_COMMAND_TIMEOUT_MS;
    this.#queue.push({
      command,
      reply,
      controller: new AbortController(),
      deadline: Date.now() + timeoutMs,
      timeoutMs,
    });
    this.#pumping ??= this.#pump().finally(() => {
      this.#pumping = undefined;
    });
  }

  /** Cancels a queued command at once, a running one between two of its items. */
  cancel(id: string, reply: Reply): void {
    if (this.#current?.command.id === id) {
      this.#current.controller.abort(CANCELLED);
      return;
    }
    const index = this.#queue.findIndex((p) => p.command.id === id);
    const queued = index >= 0 ? this.#queue.splice(index, 1)[0] : undefined;
    if (queued) {
      this.#finish(queued, { id, state: "cancelled", message: "cancelled before it started", resultJson: "{}" });
      return;
    }
    const finished = this.#finished.get(id);
    reply({
      body: "commandUpdate",
      commandUpdate: finished ?? { id, state: "cancelled", message: "no such command on this agent", resultJson: "{}" },
    });
  }

  /** Resolves once no command runs or waits. */
  async idle(): Promise<void> {
    while (this.#pumping) await this.#pumping;
  }

  /** At shutdown: cancels what waits, stops what runs between items, and asks for no more rescans. */
  shutdown(): void {
    clearTimeout(this.#rescan);
    this.#rescan = undefined;
    for (const pending of this.#queue.splice(0)) {
      this.#finish(pending, {
        id: pending.command.id,
        state: "cancelled",
        message: "the agent is stopping",
        resultJson: "{}",
      });
    }
    this.#current?.controller.abort(CANCELLED);
  }

  async #pump(): Promise<void> {
    for (let next = this.#queue.shift(); next; next = this.#queue.shift()) {
      this.#current = next;
      try {
        await this.#run(next);
      } finally {
        this.#current = undefined;
      }
    }
  }

  async #run(pending: Pending): Promise<void> {
    const { command, controller } = pending;
    const { cri, node, sandboxImage, now = () => new Date() } = this.#options;
    const log = this.#options.log.child({ command: command.id, job: command.jobId });
    const result: CommandResult = {};
    const update = (state: CommandUpdate["state"], message: string): CommandUpdate => ({
      id: command.id,
      state,
      message,
      resultJson: JSON.stringify(result),
    });
    const remaining = pending.deadline - Date.now();
    const timer = setTimeout(() => controller.abort(TIMED_OUT), Math.max(0, remaining));
    let outcome: CommandOutcome | undefined;
    let error: ImagedriftError | undefined;
    try {
      if (remaining <= 0) throw new Error("it waited behind other commands past its deadline");
      // Loaded with the first command: its schema library is megabytes a daemon that only scans never needs.
      const { parseCommandSpec } = await import("./command-spec.js");
      const spec = parseCommandSpec(command.specJson);
      log.info("command started", { type: spec.type, dryRun: spec.dryRun, timeoutMs: pending.timeoutMs });
      pending.reply({ body: "commandUpdate", commandUpdate: update("running", `${spec.type} started`) });
      const ctx: CommandContext = {
        cri,
        node,
        sandboxImage,
        log,
        signal: controller.signal,
        deadline: pending.deadline,
        result,
        now,
        progress: (message) => pending.reply({ body: "commandUpdate", commandUpdate: update("running", message) }),
      };
      outcome = await runCommand(ctx, spec);
    } catch (thrown) {
      error = toImagedriftError(thrown);
    } finally {
      clearTimeout(timer);
    }

    const detail = outcome?.message ?? error?.message ?? "";
    let final: CommandUpdate;
    if (controller.signal.reason === TIMED_OUT || remaining <= 0) {
      final = update("failed", `timed out after ${formatDuration(pending.timeoutMs)}${detail ? `: ${detail}` : ""}`);
    } else if (controller.signal.aborted) {
      final = update("cancelled", `cancelled${detail ? `: ${detail}` : ""}`);
    } else if (error || outcome?.failed) {
      final = update("failed", detail);
    } else {
      final = update("succeeded", detail);
    }
    this.#finish(pending, final);
    log.info("command finished", { state: final.state, message: final.message });
    if (changedImages(result)) this.#imagesChanged();
  }

  /** Asks for one rescan after the final update has left; commands that end before it starts share it. */
  #imagesChanged(): void {
    const { onImagesChanged, rescanDelayMs = RESCAN_DELAY_MS } = this.#options;
    if (onImagesChanged === undefined || this.#rescan !== undefined) return;
    this.#rescan = setTimeout(() => {
      this.#rescan = undefined;
      onImagesChanged();
    }, rescanDelayMs);
  }

  #finish(pending: Pending, final: CommandUpdate): void {
    this.#finished.set(final.id, final);
    if (this.#finished.size > REMEMBERED) {
      const oldest = this.#finished.keys().next().value;
      if (oldest !== undefined) this.#finished.delete(oldest);
    }
    pending.reply({ body: "commandUpdate", commandUpdate: final });
  }
}
