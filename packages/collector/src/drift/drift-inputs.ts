/**
 * What the drift domain is given from outside: an agent's hello (translated
 * from the wire by the gateway), the registries' answers (TagResolver) and
 * the Kubernetes API's facts (KubernetesWatcher). See docs/ARCHITECTURE.md,
 * "The path of a report".
 */
import type { AgentScanMode, TagResolution, TagStatus, WorkloadPod } from "@imagedrift/core";

/** An agent's hello, as the domain reads it: the gateway has checked and translated the wire message. */
export interface AgentHello {
  agentVersion: string;
  /** How often the agent reports, in ms: three intervals of silence make it missing. */
  intervalMs: number;
  /** The agent's `--node-labels`. */
  labels: Record<string, string>;
  /** The hash of the inventory the agent holds; "" before its first scan. */
  inventoryHash: string;
  /** How the agent learns of changes; absent from agents older than the field. */
  scanMode?: AgentScanMode;
}

/** Resolves tags against their registries; at most once per tag per interval, however often asked. */
export interface TagResolverLike {
  /** `fresh`: tags to ask now whatever the interval (a registry said they changed). */
  resolve(tags: readonly string[], now: Date, fresh?: ReadonlySet<string>): Promise<ReadonlyMap<string, TagResolution>>;
  /** The image ids a digest of the tag gives per platform (cached by digest); null when unknown. */
  platformImages?(tag: string, digest: string): Promise<readonly string[] | null>;
}

/** What the Kubernetes API says (KubernetesWatcher): pods with their workloads, node labels, deleted nodes. */
export interface KubernetesFacts {
  /** Whether pods and nodes have been listed once: until then, absence means nothing. */
  synced(): boolean;
  pods(): readonly WorkloadPod[];
  /** The node's Kubernetes labels; undefined when the API server has no such node. */
  nodeLabels(node: string): Readonly<Record<string, string>> | undefined;
  nodePresence(node: string): "present" | "deleted" | "unknown";
}

/** What the metrics and the `status` filter need of a tag, kept from its last recompute. */
export interface TagSummary {
  status: TagStatus;
  /** Distinct digests (image ids for local-only holders) across nodes. */
  distinct: number;
  staleNodes: number;
}
