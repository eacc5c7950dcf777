/**
 * What the page reads and writes: the REST API of SPEC §7, the page's only
 * data source. Tag, finding and job shapes are core's; node shapes are the
 * API's own (the collector adds fields beyond the contract, all optional here).
 */
export type {
  Finding,
  Job,
  JobNode,
  JobRequest,
  JobState,
  JobType,
  NodeJobState,
  PrunePolicy,
  TagHolder,
  TagStatus,
  TagView,
} from "@imagedrift/core";

import type { Finding } from "@imagedrift/core";

export interface NodeItem {
  name: string;
  runtime: { name: string; version: string };
  lastReportAt: string;
  state: "reporting" | "missing";
  imageCount: number;
  imageBytes: number;
  imageFs: { usedBytes: number; mountpoint?: string };
  agentVersion?: string;
  labels?: Record<string, string>;
  connected?: boolean;
}

export interface ContainerItem {
  id: string;
  pod: string;
  namespace: string;
  container: string;
  state: string;
}

export interface NodeImage {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
  pinned: boolean;
  sandbox?: boolean;
  inUse: boolean;
  containers: ContainerItem[];
}

/** A finding as listed: the store's key is exposed as `id`. */
export type FindingItem = Omit<Finding, "key"> & { id: string };
