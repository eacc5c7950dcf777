export { FINDING_KINDS, SEVERITIES, summaryOfTag, TAG_STATUSES } from "@imagedrift/core";

/**
 * The collector's REST API as the CLI reads it (SPEC §7, contract). Tags are
 * core's TagView; the rest is declared here because only the wire shape
 * matters to the CLI. The API may add fields; the CLI passes them through in
 * `-o json|yaml` and ignores them in tables.
 */
import type {
  FindingKind,
  Job,
  JobNode,
  JobRequest,
  JobState,
  JobType,
  NodeJobState,
  PrunePolicy,
  PulledImage,
  RemovedImage,
  Severity,
  SkippedImage,
  TagStatus,
  TagSummary,
  TagView,
} from "@imagedrift/core";

export type {
  FindingKind,
  JobRequest,
  JobState,
  JobType,
  NodeJobState,
  PrunePolicy,
  PulledImage,
  RemovedImage,
  Severity,
  SkippedImage,
  TagStatus,
  TagSummary,
  TagView,
};

export type NodeReportState = "reporting" | "missing";

/** An item of `GET /api/v1/nodes`. */
export interface NodeItem {
  name: string;
  runtime: { name: string; version: string };
  lastReportAt: string;
  state: NodeReportState;
  imageCount: number;
  imageBytes: number;
  imageFs: { usedBytes: number };
}

export interface ImageContainerItem {
  id: string;
  pod: string;
  namespace: string;
  container: string;
  state: string;
}

/** An item of `GET /api/v1/nodes/{name}/images`. */
export interface NodeImageItem {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
  pinned: boolean;
  inUse: boolean;
  containers: ImageContainerItem[];
}

/** An item of `GET /api/v1/findings` (SPEC §6). */
export interface FindingItem {
  kind: FindingKind;
  severity: Severity;
  reference: string;
  nodes: string[];
  digests: string[];
  registryDigest: string | null;
  firstSeenAt: string;
  lastSeenAt: string;
  message: string;
  remedy: string;
  /** The containers a `running-stale` finding is about (empty for other kinds); older collectors leave it out. */
  pods?: FindingPodItem[];
}

/** A container a finding is about. */
export interface FindingPodItem {
  node: string;
  namespace: string;
  pod: string;
  container: string;
  containerId: string;
  /** The repo digest it runs, when known. */
  digest: string | null;
}

/** The answer of `POST /api/v1/jobs` (202). */
export interface JobCreated {
  id: string;
  state: JobState;
}

/** One node of a job: SPEC §7 promises node, state and message; core's JobNode fields come along when sent. */
export type JobNodeItem = Pick<JobNode, "node" | "state" | "message"> &
  Partial<Omit<JobNode, "node" | "state" | "message">>;

/** A job as `GET /api/v1/jobs[/{id}]` returns it: the SPEC §7 fields, and core's Job fields when sent. */
export type JobItem = Pick<Job, "id" | "type" | "state" | "createdAt" | "finishedAt"> &
  Partial<Omit<Job, "id" | "type" | "state" | "createdAt" | "finishedAt" | "nodes">> & { nodes: JobNodeItem[] };

export const JOB_STATES: readonly JobState[] = ["pending", "running", "succeeded", "failed", "partial", "cancelled"];

/** A job in one of these states will not change again. */
export const FINISHED_JOB_STATES: readonly JobState[] = ["succeeded", "failed", "partial", "cancelled"];

/** A node in one of these states is done with its share of the job. */
export const FINISHED_NODE_STATES: readonly NodeJobState[] = ["succeeded", "failed", "cancelled", "skipped"];

export const PRUNE_MODES = ["dangling", "unused", "stale"] as const satisfies readonly PrunePolicy["mode"][];
