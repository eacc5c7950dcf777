import { randomUUID } from "node:crypto";
import {
  type AgentCommandUpdate,
  ImagedriftError,
  type Job,
  type JobRequest,
  type JobState,
  type Logger,
  toImagedriftError,
} from "@imagedrift/core";
import { type Clock, systemClock } from "../registry/clock.js";
import type { ClusterFacts } from "./cluster-facts.js";
import { type AbortReason, type AgentSessions, CommandChannel } from "./command-channel.js";
import type { CommandPreparer } from "./command-preparer.js";
import { finalJobState } from "./job-outcome.js";
import { planJob } from "./job-planner.js";
import { ACTIVE_JOB_STATES, type JobStore } from "./job-store.js";
import { type BackoffPolicy, DEFAULT_BACKOFF, runNodeTask } from "./node-task.js";
import { pulledTags, type RegistryAsk, refusedTags } from "./pull-check.js";

export const DEFAULT_CONCURRENCY = 2;

export interface JobRunnerOptions {
  store: JobStore;
  cluster: ClusterFacts;
  sessions: AgentSessions;
  prepare: CommandPreparer;
  /** `imagedrift_jobs_total{type,state}`. */
  jobsCounter: { inc(labels: { type: string; state: string }): void };
  log: Logger;
  clock?: Clock;
  random?: () => number;
  backoff?: BackoffPolicy;
  newId?: () => string;
  /** Asks the registry about a tag now: pulls it refuses (404, 401, 403) fail at once, unsent. */
  askRegistry?: RegistryAsk;
}

/** What the REST API does with jobs. */
export interface JobsApi {
  submit(request: JobRequest, actor: string): Job;
  get(id: string): Job | undefined;
  list(filter?: { state?: JobState; limit?: number }): Job[];
  cancel(id: string, actor: string): Job;
}

/**
 * Runs jobs (docs/ARCHITECTURE.md#jobs): plans each on submit, then fans its nodes out to
 * their agents, at most `concurrency` nodes at a time (waves), and records
 * every step in SQLite. `start()` resumes the jobs a previous collector left
 * pending or running (the same rows: nothing is duplicated); `stop()` leaves
 * them to be resumed. A finished job counts once in imagedrift_jobs_total.
 */
export class JobRunner implements JobsApi {
  readonly #o: JobRunnerOptions;
  readonly #clock: Clock;
  readonly #channel: CommandChannel;
  readonly #running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  /** Retry pauses by node, ended early when the node's agent connects. */
  readonly #pauses = new Map<string, Set<AbortController>>();
  #stopped = false;

  constructor(options: JobRunnerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#channel = new CommandChannel({ sessions: options.sessions, clock: this.#clock, log: options.log });
  }

  #now(): string {
    return new Date(this.#clock.now()).toISOString();
  }

  /** Plans and stores a job, then starts it; throws (400/409) when it cannot be planned. */
  submit(request: JobRequest, actor: string): Job {
    const { cluster, store } = this.#o;
    const plan = planJob(request, {
      nodes: cluster.knownNodes(),
      tagViews: cluster.tagViews(),
      resolutions: cluster.resolutions(),
      inventory: (node) => cluster.inventory(node),
    });
    const id = this.#o.newId?.() ?? randomUUID();
    const job = store.create({
      id,
      request: plan.request,
      createdAt: this.#now(),
      createdBy: actor,
      nodes: plan.nodes,
    });
    const work = job.nodes.filter((n) => n.state === "pending").length;
    this.#o.log.info("job created", {
      job: id,
      type: job.type,
      nodes: work,
      skipped: job.nodes.length - work,
      by: actor,
    });
    this.#launch(job);
    return store.get(id) ?? job;
  }

  get(id: string): Job | undefined {
    return this.#o.store.get(id);
  }

  list(filter: { state?: JobState; limit?: number } = {}): Job[] {
    return this.#o.store.list(filter);
  }

  /**
   * Cancels an unfinished job: pending nodes are cancelled, running nodes'
   * agents are told to stop their command, the job is cancelled. Throws
   * not-found (404) or failed-precondition (409) when it already finished.
   */
  cancel(id: string, actor: string): Job {
    const job = this.#o.store.get(id);
    if (!job) throw new ImagedriftError("not-found", `job ${JSON.stringify(id)} does not exist`);
    const message = `cancelled by ${actor}`;
    if (!ACTIVE_JOB_STATES.includes(job.state) || !this.#o.store.cancel(id, { actor, at: this.#now(), message })) {
      throw new ImagedriftError("failed-precondition", `job ${id} already finished (${job.state}): nothing to cancel`);
    }
    this.#o.jobsCounter.inc({ type: job.type, state: "cancelled" });
    this.#running.get(id)?.controller.abort("cancel" satisfies AbortReason);
    this.#o.log.info("job cancelled", { job: id, type: job.type, by: actor });
    return this.#o.store.get(id) ?? job;
  }

  /** An agent's commandUpdate (AgentHandlers.commandUpdate). */
  commandUpdate(node: string, update: AgentCommandUpdate): void {
    if (!this.#channel.update(node, update)) {
      this.#o.log.debug("command update for no waiting command", { node, command: update.id, state: update.state });
    }
  }

  /** An agent said hello: commands sent on its previous stream will not be answered. */
  agentConnected(node: string): void {
    this.#channel.connected(node);
    for (const pause of this.#pauses.get(node) ?? []) pause.abort("connected");
  }

  agentDisconnected(node: string): void {
    this.#channel.disconnected(node);
  }

  /** Resumes every job left pending or running, oldest first. */
  start(): void {
    this.#stopped = false;
    const jobs = this.#o.store.active();
    if (jobs.length > 0) this.#o.log.info("resuming jobs", { jobs: jobs.map((j) => j.id) });
    for (const job of jobs) this.#launch(job);
  }

  /** Stops running jobs without finishing them (they resume on the next start) and waits for their tasks. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const runs = [...this.#running.values()];
    for (const run of runs) run.controller.abort("stop" satisfies AbortReason);
    await Promise.allSettled(runs.map((r) => r.done));
  }

  /** Resolves when the job is no longer running in this process (finished, cancelled, or stopped). */
  async settled(id: string): Promise<Job | undefined> {
    await this.#running.get(id)?.done;
    return this.#o.store.get(id);
  }

  /** A retry's back-off: ends after `ms`, or early when the node's agent (re)connects; rejects when `signal` aborts. */
  async #pause(node: string, ms: number, signal: AbortSignal): Promise<void> {
    const early = new AbortController();
    const set = this.#pauses.get(node) ?? new Set();
    this.#pauses.set(node, set.add(early));
    try {
      await this.#clock.sleep(ms, AbortSignal.any([signal, early.signal]));
    } catch (thrown) {
      if (signal.aborted) throw thrown;
    } finally {
      set.delete(early);
      if (set.size === 0) this.#pauses.delete(node);
    }
  }

  #launch(job: Job): void {
    if (this.#stopped || this.#running.has(job.id)) return;
    const controller = new AbortController();
    const done = this.#run(job, controller.signal)
      .catch((thrown: unknown) => {
        this.#o.log.error("job runner failed", { job: job.id, error: toImagedriftError(thrown) });
      })
      .finally(() => this.#running.delete(job.id));
    this.#running.set(job.id, { controller, done });
  }

  /**
   * Fails, unsent, the nodes whose pulls the registry refuses (pull-check.ts);
   * returns the nodes left to run.
   */
  async #withoutRefusedPulls(job: Job, nodes: readonly string[]): Promise<string[]> {
    const ask = this.#o.askRegistry;
    if (ask === undefined || job.type === "prune") return [...nodes];
    const { store } = this.#o;
    const tagsOf = new Map(nodes.map((node) => [node, pulledTags(store.progress(job.id, node)?.steps ?? [])]));
    const refused = await refusedTags([...new Set([...tagsOf.values()].flat())], ask);
    if (refused.size === 0) return [...nodes];
    const left: string[] = [];
    for (const node of nodes) {
      const reasons = (tagsOf.get(node) ?? []).flatMap((tag) => refused.get(tag) ?? []);
      if (reasons.length === 0) {
        left.push(node);
        continue;
      }
      const message = `not pulled: ${reasons.join("; ")}`;
      store.updateNode(job.id, node, { state: "failed", message, finishedAt: this.#now(), commandId: null });
    }
    this.#o.log.warn("the registry refuses pulls of this job", { job: job.id, refused: [...refused.values()] });
    return left;
  }

  async #run(job: Job, signal: AbortSignal): Promise<void> {
    const { store } = this.#o;
    store.startJob(job.id, this.#now());
    const waiting = job.nodes.filter((n) => n.state === "pending" || n.state === "running").map((n) => n.node);
    const queue = await this.#withoutRefusedPulls(job, waiting);
    if (signal.aborted) return;
    const deps = {
      store,
      channel: this.#channel,
      prepare: this.#o.prepare,
      clock: this.#clock,
      random: this.#o.random ?? Math.random,
      backoff: this.#o.backoff ?? DEFAULT_BACKOFF,
      pause: (node: string, ms: number, signal: AbortSignal) => this.#pause(node, ms, signal),
    };
    const worker = async () => {
      for (let node = queue.shift(); node !== undefined && !signal.aborted; node = queue.shift()) {
        await runNodeTask(deps, { job, node, signal });
      }
    };
    const width = Math.min(job.request.concurrency ?? DEFAULT_CONCURRENCY, queue.length);
    await Promise.all(Array.from({ length: width }, worker));
    if (signal.aborted) return;
    const nodes = store.get(job.id)?.nodes ?? [];
    const state = finalJobState(nodes);
    if (!store.finishJob(job.id, state, this.#now())) return;
    this.#o.jobsCounter.inc({ type: job.type, state });
    const count = (s: string) => nodes.filter((n) => n.state === s).length;
    this.#o.log.info("job finished", {
      job: job.id,
      type: job.type,
      state,
      succeeded: count("succeeded"),
      failed: count("failed"),
      skipped: count("skipped"),
      cancelled: count("cancelled"),
    });
  }
}
