/**
 * The fields of each REST API shape as data, so that the OpenAPI document
 * can take its `required` lists from them and a test can hold its
 * `properties` to them. A table's type is computed from its API type: a field
 * added to, dropped from, or made optional in api-types.ts does not compile
 * until its table says so, and then the OpenAPI test fails until the document
 * does too.
 */
import type {
  ContainerItem,
  FindingItem,
  JobItem,
  JobNodeItem,
  NodeImageItem,
  NodeItem,
  RegistriesAnswer,
  RegistryAuthProblem,
} from "./api-types.js";
import type { FindingPod, TagHolder, TagView } from "./drift-types.js";
import type { JobRequest, PrunePolicy } from "./job-types.js";
import type { TagSummary } from "./tag-view.js";

/** Each field of T, and whether the API always sends it. */
export type FieldTable<T> = {
  readonly [K in keyof T]-?: Record<string, never> extends Pick<T, K> ? "optional" : "required";
};

/** The fields a table marks required, in its order. */
export function requiredFields(table: Readonly<Record<string, "required" | "optional">>): string[] {
  return Object.keys(table).filter((field) => table[field] === "required");
}

export const NODE_ITEM_FIELDS: FieldTable<NodeItem> = {
  name: "required",
  runtime: "required",
  lastReportAt: "required",
  state: "required",
  imageCount: "required",
  imageBytes: "required",
  imageFs: "required",
  agentVersion: "optional",
  scanMode: "optional",
  labels: "optional",
  connected: "optional",
  firstSeenAt: "optional",
  scannedAt: "optional",
};

export const CONTAINER_ITEM_FIELDS: FieldTable<ContainerItem> = {
  id: "required",
  pod: "required",
  namespace: "required",
  container: "required",
  state: "required",
};

export const NODE_IMAGE_ITEM_FIELDS: FieldTable<NodeImageItem> = {
  id: "required",
  repoTags: "required",
  repoDigests: "required",
  size: "required",
  pinned: "required",
  sandbox: "optional",
  inUse: "required",
  containers: "required",
};

export const TAG_FIELDS: FieldTable<TagView> = {
  reference: "required",
  registryDigest: "required",
  resolvedAt: "required",
  resolvedBy: "required",
  resolveError: "required",
  status: "required",
  nodes: "required",
};

export const TAG_HOLDER_FIELDS: FieldTable<TagHolder> = {
  node: "required",
  digest: "required",
  imageId: "required",
  status: "required",
  platformMatch: "optional",
  repoDigests: "optional",
};

export const TAG_SUMMARY_FIELDS: FieldTable<TagSummary> = {
  reference: "required",
  registryDigest: "required",
  resolvedAt: "required",
  resolvedBy: "required",
  resolveError: "required",
  status: "required",
  nodeCount: "required",
  digests: "required",
};

export const FINDING_ITEM_FIELDS: FieldTable<FindingItem> = {
  id: "required",
  kind: "required",
  severity: "required",
  reference: "required",
  nodes: "required",
  digests: "required",
  registryDigest: "required",
  firstSeenAt: "required",
  lastSeenAt: "required",
  message: "required",
  remedy: "required",
  pods: "required",
};

export const FINDING_POD_FIELDS: FieldTable<FindingPod> = {
  node: "required",
  namespace: "required",
  pod: "required",
  container: "required",
  containerId: "required",
  digest: "required",
};

export const JOB_ITEM_FIELDS: FieldTable<JobItem> = {
  id: "required",
  type: "required",
  state: "required",
  createdAt: "required",
  startedAt: "optional",
  finishedAt: "required",
  createdBy: "optional",
  request: "optional",
  nodes: "required",
};

export const JOB_NODE_ITEM_FIELDS: FieldTable<JobNodeItem> = {
  node: "required",
  state: "required",
  message: "required",
  attempts: "optional",
  startedAt: "optional",
  finishedAt: "optional",
  pulled: "optional",
  removed: "optional",
  skipped: "optional",
  reclaimedBytes: "optional",
};

export const JOB_REQUEST_FIELDS: FieldTable<JobRequest> = {
  type: "required",
  images: "optional",
  nodes: "optional",
  nodeSelector: "optional",
  dryRun: "optional",
  concurrency: "optional",
  policy: "optional",
  removeReplaced: "optional",
  allowUnrecoverable: "optional",
  timeoutMs: "optional",
  retries: "optional",
};

export const PRUNE_POLICY_FIELDS: FieldTable<PrunePolicy> = {
  mode: "required",
  include: "optional",
  exclude: "optional",
  keep: "optional",
  olderThanMs: "optional",
  targetUsagePercent: "optional",
};

export const REGISTRY_AUTH_PROBLEM_FIELDS: FieldTable<RegistryAuthProblem> = {
  registry: "required",
  reason: "required",
  error: "required",
  since: "required",
};

export const REGISTRIES_ANSWER_FIELDS: FieldTable<RegistriesAnswer> = {
  authProblems: "required",
};
