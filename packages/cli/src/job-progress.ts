/**
 * Progress of a followed job, written to the progress stream (stderr) so
 * stdout keeps only the result. On a terminal: a live bar (cli-progress)
 * with nodes done/total, the job's state and what the running nodes are
 * doing, and a permanent line above it as each node finishes. Otherwise
 * plain lines, one per node state change, never an escape code.
 */

import { FINISHED_NODE_STATES, type JobItem, type JobNodeItem, type NodeJobState } from "@imagedrift/core";
import { MultiBar, type SingleBar } from "cli-progress";
import type { LiveIo } from "./commands/command.js";
import { nodeLine } from "./format/job-node.js";
import { isDryRun, jobTarget } from "./format/job-table.js";
import { listSome } from "./format/reference.js";

export interface JobProgress {
  /** Shows the job as last polled. */
  update(job: JobItem): void;
  /** Ends the display; the bar stays as last drawn. Safe to call twice. */
  stop(): void;
}

function heading(job: JobItem): string {
  const target = jobTarget(job);
  const what = target === "-" ? job.type : `${job.type} ${target}`;
  return `following job ${job.id}: ${what} (Ctrl-C stops following; the job goes on)`;
}

/** Remembers each node's state, to tell which changed. A node first seen pending has not changed. */
class StateChanges {
  readonly #seen = new Map<string, NodeJobState>();

  changed(job: JobItem): JobNodeItem[] {
    const changed = job.nodes.filter((node) => {
      const before = this.#seen.get(node.node) ?? "pending";
      return before !== node.state;
    });
    for (const node of job.nodes) this.#seen.set(node.node, node.state);
    return changed;
  }
}

class LineProgress implements JobProgress {
  readonly #live: LiveIo;
  readonly #changes = new StateChanges();
  #started = false;

  constructor(live: LiveIo) {
    this.#live = live;
  }

  update(job: JobItem): void {
    const lines = this.#started ? [] : [heading(job)];
    this.#started = true;
    const dryRun = isDryRun(job);
    for (const node of this.#changes.changed(job)) lines.push(nodeLine(node, dryRun, this.#live.progressStyle));
    if (lines.length > 0) this.#live.progress.write(`${lines.join("\n")}\n`);
  }

  stop(): void {}
}

/** What the running nodes are doing: `worker-1: pulling nginx:1.27 · worker-2: running`. */
function current(job: JobItem): string {
  const running = job.nodes.filter((node) => node.state === "running");
  return listSome(
    running.map((node) => `${node.node}: ${node.message.trim() || "running"}`),
    3,
  ).replaceAll(", ", " · ");
}

class BarProgress implements JobProgress {
  readonly #live: LiveIo;
  readonly #changes = new StateChanges();
  readonly #bars: MultiBar;
  #bar: SingleBar | null = null;
  #stopped = false;

  constructor(live: LiveIo) {
    this.#live = live;
    this.#bars = new MultiBar({
      // cli-progress only writes to the stream and reads isTTY and columns.
      stream: live.progress as unknown as NodeJS.WritableStream,
      format: "{bar} {value}/{total} nodes | {duration_formatted} | {jobState} | {current}",
      barCompleteChar: "█",
      barIncompleteChar: "░",
      barsize: 24,
      hideCursor: true,
      emptyOnZero: true,
      autopadding: true,
      // cli-progress otherwise turns the terminal's line wrapping off while it draws, which cuts every line
      // longer than the terminal (a finished node's pulled references and errors); the bar is kept to the
      // width by cli-progress itself.
      linewrap: true,
    });
  }

  update(job: JobItem): void {
    if (this.#stopped) return;
    const dryRun = isDryRun(job);
    if (this.#bar === null) this.#bars.log(`${heading(job)}\n`);
    for (const node of this.#changes.changed(job)) {
      if (FINISHED_NODE_STATES.includes(node.state)) {
        this.#bars.log(`${nodeLine(node, dryRun, this.#live.progressStyle)}\n`);
      }
    }
    const done = job.nodes.filter((node) => FINISHED_NODE_STATES.includes(node.state)).length;
    const payload = { jobState: job.state, current: current(job) };
    if (this.#bar === null) this.#bar = this.#bars.create(job.nodes.length, done, payload);
    else {
      this.#bar.setTotal(job.nodes.length);
      this.#bar.update(done, payload);
    }
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#bar === null) return;
    // Draw once more so lines logged since the last redraw are written, then leave the bar as it is.
    this.#bars.update();
    this.#bars.stop();
  }
}

export function createJobProgress(live: LiveIo): JobProgress {
  return live.bar ? new BarProgress(live) : new LineProgress(live);
}
