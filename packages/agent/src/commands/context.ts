/** What every command gets to run with, and what it tells the executor when it ends. */
import type { CommandResult, Logger } from "@imagedrift/core";
import type { CriClient } from "@imagedrift/cri";

export interface CommandContext {
  cri: CriClient;
  node: string;
  /** `--sandbox-image`: the pause image, for a runtime that does not name it. */
  sandboxImage?: string | undefined;
  log: Logger;
  /** Aborted on cancel or timeout: commands stop between items (a CRI call under way finishes). */
  signal: AbortSignal;
  /** Epoch ms by which the command must end; caps each pull's deadline. */
  deadline: number;
  /**
   * The result so far. Commands add to it as they go, so that a command that
   * is cancelled, times out or fails half-way still reports what it did.
   */
  result: CommandResult;
  /** A progress line (sent as a `running` update with the result so far). */
  progress(message: string): void;
  now(): Date;
}

export interface CommandOutcome {
  /** Whether any item failed. */
  failed: boolean;
  /** One line for the final update. */
  message: string;
}
