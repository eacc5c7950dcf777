import type { CommandResult, CommandSpec, Job, JobNode, JobRequest, JobState, NodeJobState } from "@imagedrift/core";
import type { Database, Statement } from "better-sqlite3";
import { mergeResults } from "./job-outcome.js";

/** One node's share of a new job, as the planner made it. */
export interface NewJobNode {
  node: string;
  state: "pending" | "skipped";
  message: string;
  /** The commands to send, in order (credential-free: credentials are attached only when sending). */
  steps: CommandSpec[];
}

export interface NewJob {
  id: string;
  request: JobRequest;
  createdAt: string;
  createdBy: string;
  nodes: NewJobNode[];
}

/** A change to one node's row; absent fields stay as they are. */
export interface NodePatch {
  state?: NodeJobState;
  attempts?: number;
  message?: string;
  /** What the agent answered for each step so far (index = step). */
  results?: CommandResult[];
  startedAt?: string;
  finishedAt?: string;
  commandId?: string | null;
  stepsDone?: number;
}

export interface NodeProgress {
  steps: CommandSpec[];
  stepsDone: number;
  results: CommandResult[];
  attempts: number;
  startedAt: string | null;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  detail: unknown;
}

export const ACTIVE_JOB_STATES: readonly JobState[] = ["pending", "running"];

interface JobRow {
  id: string;
  type: Job["type"];
  state: JobState;
  request: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  created_by: string;
}

interface NodeRow {
  node: string;
  state: NodeJobState;
  attempts: number;
  message: string;
  result: string | null;
  started_at: string | null;
  finished_at: string | null;
  steps: string;
  steps_done: number;
}

const parseResults = (json: string | null) => (json === null ? [] : (JSON.parse(json) as CommandResult[]));

function toJobNode(row: NodeRow): JobNode {
  const result = mergeResults(parseResults(row.result));
  const node: JobNode = {
    node: row.node,
    state: row.state,
    message: row.message,
    attempts: row.attempts,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
  if (result.pulled) node.pulled = result.pulled;
  if (result.removed) node.removed = result.removed;
  if (result.skipped) node.skipped = result.skipped;
  if (result.reclaimedBytes !== undefined) node.reclaimedBytes = result.reclaimedBytes;
  return node;
}

/**
 * Jobs, their per-node rows and the audit log in SQLite. Every state change is
 * one transaction, so a restart finds each job and node in a state it was in.
 */
export class JobStore {
  readonly #db: Database;
  readonly #s;
  readonly #updates = new Map<string, Statement<unknown[]>>();

  readonly #now: () => Date;

  constructor(db: Database, options: { now?: () => Date } = {}) {
    this.#db = db;
    this.#now = options.now ?? (() => new Date());
    const p = (sql: string) => db.prepare(sql);
    this.#s = {
      insertJob: p(`INSERT INTO jobs (id, type, state, request, created_at, created_by)
        VALUES (@id, @type, 'pending', @request, @createdAt, @createdBy)`),
      insertNode: p(`INSERT INTO job_nodes (job_id, node, state, message, steps, finished_at)
        VALUES (?, ?, ?, ?, ?, ?)`),
      job: p("SELECT * FROM jobs WHERE id = ?"),
      jobs: p(
        "SELECT * FROM jobs WHERE (@state IS NULL OR state = @state) ORDER BY created_at DESC, rowid DESC LIMIT @limit",
      ),
      active: p("SELECT * FROM jobs WHERE state IN ('pending', 'running') ORDER BY created_at, rowid"),
      nodes: p("SELECT * FROM job_nodes WHERE job_id = ? ORDER BY node"),
      node: p("SELECT * FROM job_nodes WHERE job_id = ? AND node = ?"),
      startJob: p(
        "UPDATE jobs SET state = 'running', started_at = coalesce(started_at, ?) WHERE id = ? AND state IN ('pending', 'running')",
      ),
      finishJob: p("UPDATE jobs SET state = ?, finished_at = ? WHERE id = ? AND state IN ('pending', 'running')"),
      cancelNodes: p(`UPDATE job_nodes SET state = 'cancelled', message = ?, finished_at = ?, command_id = NULL
        WHERE job_id = ? AND state IN ('pending', 'running')`),
      audit: p("INSERT INTO audit_log (at, actor, action, detail) VALUES (?, ?, ?, ?)"),
      auditLog: p("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?"),
    };
  }

  /** Stores a new pending job and its nodes, and audits who asked for it, in one transaction. */
  create(job: NewJob): Job {
    this.#db.transaction(() => {
      this.#s.insertJob.run({ ...job, type: job.request.type, request: JSON.stringify(job.request) });
      for (const n of job.nodes) {
        const finished = n.state === "skipped" ? job.createdAt : null;
        this.#s.insertNode.run(job.id, n.node, n.state, n.message, JSON.stringify(n.steps), finished);
      }
      this.#audit({
        at: job.createdAt,
        actor: job.createdBy,
        action: "job.create",
        detail: { job: job.id, request: job.request },
      });
    })();
    return this.#required(job.id);
  }

  get(id: string): Job | undefined {
    const row = this.#s.job.get(id) as JobRow | undefined;
    return row && this.#toJob(row);
  }

  /** Newest first. */
  list(filter: { state?: JobState; limit?: number } = {}): Job[] {
    const rows = this.#s.jobs.all({ state: filter.state ?? null, limit: filter.limit ?? 100 }) as JobRow[];
    return rows.map((row) => this.#toJob(row));
  }

  /** Jobs not finished (pending or running), oldest first. */
  active(): Job[] {
    return (this.#s.active.all() as JobRow[]).map((row) => this.#toJob(row));
  }

  /** A node's planned commands, how many of them are done, and what the agent answered for each. */
  progress(jobId: string, node: string): NodeProgress | undefined {
    const row = this.#s.node.get(jobId, node) as NodeRow | undefined;
    if (row === undefined) return undefined;
    return {
      steps: JSON.parse(row.steps) as CommandSpec[],
      stepsDone: row.steps_done,
      results: parseResults(row.result),
      attempts: row.attempts,
      startedAt: row.started_at,
    };
  }

  startJob(id: string, at: string): void {
    this.#s.startJob.run(at, id);
  }

  /** Sets a finished job's final state; false when it had already finished (e.g. cancelled). */
  finishJob(id: string, state: JobState, at: string): boolean {
    return this.#s.finishJob.run(state, at, id).changes === 1;
  }

  updateNode(jobId: string, node: string, patch: NodePatch): void {
    const columns: Record<keyof NodePatch, string> = {
      state: "state",
      attempts: "attempts",
      message: "message",
      results: "result",
      startedAt: "started_at",
      finishedAt: "finished_at",
      commandId: "command_id",
      stepsDone: "steps_done",
    };
    const sets: string[] = [];
    const values: unknown[] = [];
    for (const [key, column] of Object.entries(columns) as [keyof NodePatch, string][]) {
      const value = patch[key];
      if (value === undefined) continue;
      sets.push(`${column} = ?`);
      values.push(key === "results" ? JSON.stringify(value) : value);
    }
    if (sets.length === 0) return;
    const sql = `UPDATE job_nodes SET ${sets.join(", ")} WHERE job_id = ? AND node = ?`;
    let statement = this.#updates.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#updates.set(sql, statement);
    }
    statement.run(...values, jobId, node);
  }

  /**
   * Cancels an unfinished job in one transaction: its pending and running
   * nodes become cancelled, the job too, and the audit log says who did it.
   * False when the job had already finished.
   */
  cancel(id: string, options: { actor: string; at: string; message: string }): boolean {
    return this.#db.transaction(() => {
      if (this.#s.finishJob.run("cancelled", options.at, id).changes !== 1) return false;
      this.#s.cancelNodes.run(options.message, options.at, id);
      this.#audit({ at: options.at, actor: options.actor, action: "job.cancel", detail: { job: id } });
      return true;
    })();
  }

  /** Appends to the audit log: who (`actor`), what (`action`, `detail`), when. */
  audit(actor: string, action: string, detail: unknown): void {
    this.#audit({ at: this.#now().toISOString(), actor, action, detail });
  }

  #audit(entry: Omit<AuditEntry, "id">): void {
    this.#s.audit.run(entry.at, entry.actor, entry.action, JSON.stringify(entry.detail));
  }

  /** The newest entries first. */
  auditLog(limit = 100): AuditEntry[] {
    const rows = this.#s.auditLog.all(limit) as (Omit<AuditEntry, "detail"> & { detail: string })[];
    return rows.map((row) => ({ ...row, detail: JSON.parse(row.detail) as unknown }));
  }

  #required(id: string): Job {
    const job = this.get(id);
    if (!job) throw new Error(`job ${id} vanished from the database`);
    return job;
  }

  #toJob(row: JobRow): Job {
    return {
      id: row.id,
      type: row.type,
      state: row.state,
      createdAt: row.created_at,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      createdBy: row.created_by,
      request: JSON.parse(row.request) as JobRequest,
      nodes: (this.#s.nodes.all(row.id) as NodeRow[]).map(toJobNode),
    };
  }
}
