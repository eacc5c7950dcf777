/** Types of the drift model: what the collector knows, and what it concludes (docs/ARCHITECTURE.md#findings, #rest-api). */
import type { NodeInventory } from "./inventory.js";
import type { WorkloadPod } from "./workload-pods.js";

/**
 * Why a tag was asked of its registry: `poll` the periodic resolve
 * (`--resolve-interval`, and the collector's first round), `event` a
 * registry's push notification, `job` a prepull or refresh asking before it pulls,
 * `inventory` a tag a node reported that the collector had no answer for.
 */
export const RESOLVE_CAUSES = ["poll", "event", "job", "inventory"] as const;
export type ResolveCause = (typeof RESOLVE_CAUSES)[number];

/** When and why the registry was asked (absent on answers stored before the cause was kept). */
interface ResolvedWhy {
  resolvedAt: string;
  resolvedBy?: ResolveCause;
}

/** What the registry said about a tag at its last resolution. */
export type TagResolution =
  | (ResolvedWhy & {
      state: "found";
      digest: string;
      /**
       * The image ids (config digests) the digest gives, one per platform: read
       * only when some node holds the tag at another digest (see registryMatch).
       */
      platformImages?: readonly string[];
    })
  | (ResolvedWhy & { state: "not-found" })
  | (ResolvedWhy & { state: "error"; error: string })
  | { state: "pending" };

export interface NodeState {
  name: string;
  /** ISO time of the node's last report, heartbeat included. */
  lastReportAt: string;
  /** The agent's scan interval; the node is missing after 3 intervals without a report. */
  intervalMs: number;
}

/** Everything the findings engine looks at; the collector builds it from SQLite. */
export interface ClusterSnapshot {
  now: Date;
  nodes: NodeState[];
  /** The last inventory of each node, by node name. */
  inventories: ReadonlyMap<string, NodeInventory>;
  /** Resolution of each tag (normalised `host/repo:tag`); absent = never resolved. */
  resolutions: ReadonlyMap<string, TagResolution>;
  /**
   * The cluster's pods as the Kubernetes API lists them, with their owner
   * workloads: the facts of `pull-policy-risk` and `mixed-replicas`. Absent
   * when the collector does not use the Kubernetes API.
   */
  workloads?: readonly WorkloadPod[];
}

export type NodeTagStatus = "current" | "stale" | "unknown";

export const TAG_STATUSES = [
  "current",
  "stale",
  "inconsistent",
  "missing-in-registry",
  "unresolved",
  "local-only",
] as const;
export type TagStatus = (typeof TAG_STATUSES)[number];

export interface TagHolder {
  node: string;
  /** The repo digest the node recorded for the tag's repository (the index digest for multi-arch); null for local-only. */
  digest: string | null;
  imageId: string;
  status: NodeTagStatus;
  /**
   * Set when the node is `current` although its digest is not the registry's:
   * its image is what the registry's digest gives for its platform (the index
   * moved, the node's platform manifest did not).
   */
  platformMatch?: true;
  /** Every repo digest the image has for the tag's repository, when more than one (`digest` is among them). */
  repoDigests?: string[];
}

/** One row of `GET /api/v1/tags`. */
export interface TagView {
  reference: string;
  registryDigest: string | null;
  resolvedAt: string | null;
  /** Why the registry was last asked; null when never, or not recorded. */
  resolvedBy: ResolveCause | null;
  resolveError: string | null;
  status: TagStatus;
  nodes: TagHolder[];
}

export const FINDING_KINDS = [
  "inconsistent-tag",
  "stale-tag",
  "running-stale",
  "missing-in-registry",
  "local-only",
  "agent-missing",
  "pull-policy-risk",
  "mixed-replicas",
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/** Most severe first. */
export const SEVERITIES = ["critical", "warning", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface FindingPod {
  node: string;
  namespace: string;
  pod: string;
  container: string;
  containerId: string;
  /** The repo digest the container runs, when known. */
  digest: string | null;
}

/** A finding as the engine computes it; the store adds `firstSeenAt`/`lastSeenAt`. */
export interface FindingDraft {
  /** Stable identity across recomputes: kind + reference (+ node for per-node kinds). */
  key: string;
  kind: FindingKind;
  severity: Severity;
  /** The normalised tag (or node name for `agent-missing`). */
  reference: string;
  nodes: string[];
  digests: string[];
  registryDigest: string | null;
  message: string;
  /** A command the operator can paste. */
  remedy: string;
  pods: FindingPod[];
}

export interface Finding extends FindingDraft {
  firstSeenAt: string;
  lastSeenAt: string;
}
