/**
 * One node's share of a job: its steps (pull, then maybe remove; or prune)
 * sent as commands, with a per-command timeout and retries after capped,
 * jittered back-off. Each attempt gets its own command id. A step done is
 * not sent again; a retried or resumed step is safe to repeat (a pull of a
 * present image does nothing, a prune plans again).
 */
import { type BackoffPolicy, backoffMs, type CommandSpec, formatDuration, type Job } from "@imagedrift/core";
import type { Clock } from "../registry/clock.js";
import type { CommandChannel } from "./command-channel.js";
import type { CommandPreparer } from "./command-preparer.js";
import { describeStep, describeSuccess, isFinalFailure, mergeResults, resultProblem } from "./job-outcome.js";
import type { JobStore } from "./job-store.js";

export const DEFAULT_RETRIES = 2;
export const DEFAULT_PULL_TIMEOUT_MS = 10 * 60 * 1000;
export const DEFAULT_PRUNE_TIMEOUT_MS = 5 * 60 * 1000;

export type { BackoffPolicy };

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 5_000, maxMs: 60_000 };

export interface NodeTaskDeps {
  store: JobStore;
  channel: CommandChannel;
  prepare: CommandPreparer;
  clock: Clock;
  /** [0, 1): the jitter. */
  random: () => number;
  backoff: BackoffPolicy;
  /** Waits `ms` before a retry of `node`; may end early (the node's agent connected); rejects on abort. */
  pause(node: string, ms: number, signal: AbortSignal): Promise<void>;
}

/** Delay before retry `n` (1-based): core's backoff, jittered to 50–100% unless the policy says otherwise. */
export function retryDelay(n: number, policy: BackoffPolicy, random: () => number): number {
  return backoffMs({ jitter: "half", ...policy }, n, random);
}

function timeoutFor(spec: CommandSpec, requested: number | undefined): number {
  return requested ?? (spec.type === "pull" ? DEFAULT_PULL_TIMEOUT_MS : DEFAULT_PRUNE_TIMEOUT_MS);
}

type AttemptResult =
  | { kind: "done"; message: string }
  | { kind: "failed"; message: string; final?: boolean }
  | { kind: "aborted" };

/** One node of one job, and the signal that abandons it (job cancelled, collector stopping). */
export interface NodeTask {
  job: Job;
  node: string;
  signal: AbortSignal;
}

/** Attempt `n`: sends the steps not done yet, one command each, in order. */
async function attempt(deps: NodeTaskDeps, task: NodeTask, n: number): Promise<AttemptResult> {
  const { store } = deps;
  const { job, node, signal } = task;
  const progress = store.progress(job.id, node);
  if (progress === undefined) return { kind: "aborted" };
  const { steps } = progress;
  const results = progress.results.slice(0, progress.stepsDone);
  for (let step = progress.stepsDone; step < steps.length; step++) {
    const planned = steps[step];
    if (planned === undefined) break;
    const now = new Date(deps.clock.now());
    const spec = await deps.prepare(planned, { node, earlier: mergeResults(results), now });
    if (spec === null) {
      results[step] = {};
      store.updateNode(job.id, node, { results, stepsDone: step + 1 });
      continue;
    }
    const id = `${job.id}:${node}:${n}:${step}`;
    store.updateNode(job.id, node, { commandId: id, message: `attempt ${n}: ${describeStep(spec)}` });
    const outcome = await deps.channel.run(
      { id, jobId: job.id, node, spec, timeoutMs: timeoutFor(spec, job.request.timeoutMs) },
      {
        signal,
        progress: (message) => {
          if (!signal.aborted && message) store.updateNode(job.id, node, { message: `attempt ${n}: ${message}` });
        },
      },
    );
    if (outcome.kind === "aborted" || signal.aborted) return { kind: "aborted" };
    if (outcome.kind === "lost") return { kind: "failed", message: outcome.message };
    results[step] = outcome.result;
    if (outcome.state !== "succeeded") {
      store.updateNode(job.id, node, { results });
      // The collector only asks agents to cancel when it has stopped waiting, so a cancel
      // seen here is the agent's own (it is stopping): worth another attempt.
      const said = outcome.message || outcome.state;
      if (outcome.state === "cancelled") return { kind: "failed", message: `cancelled on the node: ${said}` };
      return { kind: "failed", message: said, final: isFinalFailure(outcome.result) };
    }
    const problem = resultProblem(spec, outcome.result);
    store.updateNode(job.id, node, problem ? { results } : { results, stepsDone: step + 1 });
    if (problem) return { kind: "failed", message: problem, final: isFinalFailure(outcome.result) };
  }
  return { kind: "done", message: describeSuccess(steps, mergeResults(results)) };
}

/**
 * Runs one node to a final state (succeeded or failed), or returns early without a write when `signal` aborts (the job was
 * cancelled, which recorded the node, or the collector stops, and a restart
 * resumes it). A node found `running` was interrupted by a restart: it gets
 * at least one more attempt.
 */
export async function runNodeTask(deps: NodeTaskDeps, task: NodeTask): Promise<void> {
  const { store, clock } = deps;
  const { job, node, signal } = task;
  const row = job.nodes.find((n) => n.node === node);
  const before = store.progress(job.id, node);
  if (row === undefined || before === undefined) return;
  const budget = 1 + (job.request.retries ?? DEFAULT_RETRIES);
  let left = row.state === "running" ? Math.max(1, budget - before.attempts) : budget - before.attempts;
  let attempts = before.attempts;
  let retry = 0;
  for (;;) {
    if (signal.aborted) return;
    attempts += 1;
    left -= 1;
    const at = new Date(clock.now()).toISOString();
    store.updateNode(job.id, node, {
      state: "running",
      attempts,
      ...(before.startedAt === null && attempts === before.attempts + 1 ? { startedAt: at } : {}),
    });
    const result = await attempt(deps, task, attempts);
    if (result.kind === "aborted" || signal.aborted) return;
    const finishedAt = new Date(clock.now()).toISOString();
    if (result.kind === "done") {
      store.updateNode(job.id, node, { state: "succeeded", message: result.message, finishedAt, commandId: null });
      return;
    }
    if (left <= 0 || result.final) {
      const tries = `${attempts} attempt${attempts === 1 ? "" : "s"}`;
      const message = result.final
        ? `failed: ${result.message} (not retried: the registry refused, and will again until the image or the credentials change)`
        : `failed after ${tries}: ${result.message}`;
      store.updateNode(job.id, node, { state: "failed", message, finishedAt, commandId: null });
      return;
    }
    retry += 1;
    const delay = retryDelay(retry, deps.backoff, deps.random);
    const message = `attempt ${attempts} failed: ${result.message}; retrying in ${formatDuration(delay)}`;
    store.updateNode(job.id, node, { message, commandId: null });
    try {
      await deps.pause(node, delay, signal);
    } catch {
      return;
    }
  }
}
