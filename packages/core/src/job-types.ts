/**
 * Jobs (docs/ARCHITECTURE.md#rest-api, #jobs): what the REST API accepts, what the collector sends each
 * agent (a command: one node's share of a job), and what agents answer.
 * Credentials never appear in these types except `PullItem.auth`, which
 * exists only in flight to the pulling agent and is never stored or returned.
 */
import type { ErrorCode } from "./errors.js";

export const JOB_TYPES = ["prepull", "refresh", "prune"] as const;
export type JobType = (typeof JOB_TYPES)[number];
export const JOB_STATES = ["pending", "running", "succeeded", "failed", "partial", "cancelled"] as const;
export type JobState = (typeof JOB_STATES)[number];
export const NODE_JOB_STATES = ["pending", "running", "succeeded", "failed", "cancelled", "skipped"] as const;
export type NodeJobState = (typeof NODE_JOB_STATES)[number];

/** A job in one of these states will not change again. */
export const FINISHED_JOB_STATES: readonly JobState[] = ["succeeded", "failed", "partial", "cancelled"];
/** A node in one of these states is done with its share of the job. */
export const FINISHED_NODE_STATES: readonly NodeJobState[] = ["succeeded", "failed", "cancelled", "skipped"];

export const PRUNE_MODES = ["dangling", "unused", "stale"] as const;

/** Prune policy (docs/ARCHITECTURE.md#jobs). Patterns are globs over normalised references (`*` within a path segment, `**` across). */
export interface PrunePolicy {
  /** dangling: images with no tag; unused: images no container uses; stale: images whose tag moved away in the registry. */
  mode: (typeof PRUNE_MODES)[number];
  include?: string[];
  exclude?: string[];
  /** Never removed, whatever the mode (the keep-list). */
  keep?: string[];
  /** Only images unused for at least this long (from the collector's history of last use; first seen when never used). */
  olderThanMs?: number;
  /** Remove least recently used first, only until image filesystem usage is below this percentage. */
  targetUsagePercent?: number;
}

/** The body of `POST /api/v1/jobs`. */
export interface JobRequest {
  type: JobType;
  images?: string[];
  nodes?: string[];
  nodeSelector?: Record<string, string>;
  dryRun?: boolean;
  concurrency?: number;
  policy?: PrunePolicy;
  /** refresh: remove the image the tag pointed at before, when nothing uses it. */
  removeReplaced?: boolean;
  /**
   * prune, and refresh with removeReplaced: also remove images no registry is
   * known to give back (never pushed, deleted from the registry, registry
   * unresolved). Default false: such images are kept, with the reason.
   */
  allowUnrecoverable?: boolean;
  /** Per-node timeout; default 10m for pulls, 5m for prunes. */
  timeoutMs?: number;
  /** Retries per node after a failure (default 2). */
  retries?: number;
}

export interface PullItem {
  /** Normalised reference to pull. */
  ref: string;
  /** The digest the collector resolved for the tag; the agent reports a mismatch. */
  expectedDigest: string | null;
  /** In flight only: CRI AuthConfig for the registry (`serverAddress` = host as containerd contacts it). */
  auth?: { username?: string; password?: string; identityToken?: string; serverAddress: string };
}

/** What an agent is asked to do for one node's share of a job (sent as `Command.spec_json`). */
export type CommandSpec =
  | { type: "pull"; images: PullItem[]; dryRun: boolean }
  | ({
      type: "prune";
      policy: PrunePolicy;
      dryRun: boolean;
      /** References an active prepull wants: never removed. */
      protect: string[];
      /** Image id → ISO time it was last seen in use (or first seen), from the collector's history. */
      lastUsed: Record<string, string>;
      /** For mode "stale": image ids whose tag moved away in the registry. */
      staleImageIds: string[];
    } & UnrecoverableRule)
  | ({
      /** refresh's clean-up: remove these images if (checked right before) nothing uses them. */
      type: "remove";
      imageIds: string[];
      dryRun: boolean;
    } & UnrecoverableRule);

/**
 * What keeps a possible only copy of an image (see recoverability.ts): images
 * not in `recoverable` stay, with the reason from `unrecoverable` (or a
 * default), unless `allowUnrecoverable`. Absent fields (an older collector, a
 * one-shot run) mean nothing is known to be recoverable.
 */
export interface UnrecoverableRule {
  allowUnrecoverable?: boolean;
  /** Ids of images a registry serves now. */
  recoverable?: string[];
  /** Image id → why it may be the only copy. */
  unrecoverable?: Record<string, string>;
}

export interface PulledImage {
  ref: string;
  imageId: string;
  /** The repo digest the runtime recorded for the pulled tag. */
  digest: string | null;
  /** Whether `digest` equals the expected digest (null when none was expected). */
  verified: boolean | null;
  alreadyPresent: boolean;
  error?: string;
  /**
   * With `error`: its code. `not-found`, `unauthenticated` and
   * `permission-denied` say the registry refused, which no retry mends.
   */
  errorCode?: ErrorCode;
}

export interface RemovedImage {
  id: string;
  repoTags: readonly string[];
  bytes: number;
}

export interface SkippedImage {
  id: string;
  repoTags: readonly string[];
  /** Why it was kept: "in use by shop/web-1", "pinned", "sandbox image", "keep-list", "wanted by a prepull", … */
  reason: string;
}

/** What an agent answers when a command ends (sent as `CommandUpdate.result_json`). */
export interface CommandResult {
  pulled?: PulledImage[];
  removed?: RemovedImage[];
  skipped?: SkippedImage[];
  reclaimedBytes?: number;
  dryRun?: boolean;
}

/** One node's share of a job, as the collector hands it to the agent's session. */
export interface AgentCommand {
  id: string;
  jobId: string;
  spec: CommandSpec;
  timeoutMs: number;
}

/** What an agent says about a command it runs, once the collector's gateway has read it. */
export type AgentCommandUpdate =
  | { id: string; state: "running"; message: string }
  | { id: string; state: "succeeded" | "failed" | "cancelled"; message: string; result: CommandResult }
  /** A final answer whose result could not be read: the command's outcome is unknown. */
  | { id: string; state: "unreadable"; message: string };

export interface JobNode {
  node: string;
  state: NodeJobState;
  message: string;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  pulled?: PulledImage[];
  removed?: RemovedImage[];
  skipped?: SkippedImage[];
  reclaimedBytes?: number;
}

/** A job as `GET /api/v1/jobs/{id}` returns it. */
export interface Job {
  id: string;
  type: JobType;
  state: JobState;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  createdBy: string;
  request: JobRequest;
  nodes: JobNode[];
}
