/**
 * The collector's REST API as the CLI reads it (SPEC §7, contract). Tags are
 * core's TagView; the rest is declared here because only the wire shape
 * matters to the CLI. The API may add fields; the CLI passes them through in
 * `-o json|yaml` and ignores them in tables.
 */
import type { FindingKind, Severity, TagStatus, TagView } from "@imagedrift/core";

export type { FindingKind, Severity, TagStatus, TagView };

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
}

export const TAG_STATUSES: readonly TagStatus[] = [
  "current",
  "stale",
  "inconsistent",
  "missing-in-registry",
  "unresolved",
  "local-only",
];

export const FINDING_KINDS: readonly FindingKind[] = [
  "inconsistent-tag",
  "stale-tag",
  "running-stale",
  "missing-in-registry",
  "local-only",
  "agent-missing",
  "pull-policy-risk",
  "mixed-replicas",
];

/** Most severe first. */
export const SEVERITIES: readonly Severity[] = ["critical", "warning", "info"];
