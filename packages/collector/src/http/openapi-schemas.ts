/**
 * The schemas of the OpenAPI document. Their `required` lists come from
 * core's api-fields.ts, the enums from core's constants; openapi.test.ts holds
 * every `properties` list to the same field tables, so a field added to the
 * API's types and not described here fails a test.
 */
import {
  AGENT_SCAN_MODES,
  CONTAINER_ITEM_FIELDS,
  CONTAINER_STATES,
  FINDING_ITEM_FIELDS,
  FINDING_KINDS,
  FINDING_POD_FIELDS,
  JOB_ITEM_FIELDS,
  JOB_NODE_ITEM_FIELDS,
  JOB_REQUEST_FIELDS,
  JOB_STATES,
  JOB_TYPES,
  NODE_IMAGE_ITEM_FIELDS,
  NODE_ITEM_FIELDS,
  NODE_JOB_STATES,
  NODE_REPORT_STATES,
  PRUNE_MODES,
  PRUNE_POLICY_FIELDS,
  REGISTRIES_ANSWER_FIELDS,
  REGISTRY_AUTH_PROBLEM_FIELDS,
  REGISTRY_AUTH_REASONS,
  RESOLVE_CAUSES,
  requiredFields,
  SEVERITIES,
  TAG_FIELDS,
  TAG_HOLDER_FIELDS,
  TAG_STATUSES,
  TAG_SUMMARY_FIELDS,
} from "@imagedrift/core";
import { DEFAULT_CONCURRENCY } from "../jobs/job-runner.js";
import { DEFAULT_RETRIES } from "../jobs/node-task.js";

const str = { type: "string" } as const;
const nullableStr = { type: ["string", "null"] } as const;
const strings = { type: "array", items: str } as const;
const int = { type: "integer" } as const;
const bool = { type: "boolean" } as const;
const time = { type: "string", format: "date-time" } as const;
const nullableTime = { type: ["string", "null"], format: "date-time" } as const;
const objects = { type: "array", items: { type: "object" } } as const;
const oneOf = (values: readonly string[]) => ({ type: "string", enum: values });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const nodeTagStatus = oneOf(["current", "stale", "unknown"]);

/** An object schema whose `required` list is the field table's. */
function object(
  fields: Readonly<Record<string, "required" | "optional">>,
  properties: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  return { type: "object", ...extra, required: requiredFields(fields), properties };
}

const tagProperties = {
  reference: str,
  registryDigest: nullableStr,
  resolvedAt: nullableStr,
  resolvedBy: {
    type: ["string", "null"],
    enum: [...RESOLVE_CAUSES, null],
    description:
      "why the registry was last asked: poll (--resolve-interval), event (a push notification), job (a prepull or refresh about to pull), inventory (a tag first reported)",
  },
  resolveError: nullableStr,
  status: oneOf(TAG_STATUSES),
};

export const schemas = {
  Error: {
    type: "object",
    required: ["error"],
    properties: {
      error: { type: "object", required: ["code", "message"], properties: { code: str, message: str } },
    },
  },
  Node: object(NODE_ITEM_FIELDS, {
    name: str,
    runtime: { type: "object", properties: { name: str, version: str } },
    lastReportAt: time,
    state: oneOf(NODE_REPORT_STATES),
    imageCount: int,
    imageBytes: int,
    imageFs: { type: "object", properties: { usedBytes: int, mountpoint: str } },
    agentVersion: str,
    scanMode: {
      type: ["string", "null"],
      enum: [...AGENT_SCAN_MODES, null],
      description:
        "how the agent learns of changes: events (the runtime's event stream) or polling; null when it has not said",
    },
    labels: { type: "object", additionalProperties: str },
    connected: bool,
    firstSeenAt: time,
    scannedAt: nullableTime,
  }),
  NodeImage: object(NODE_IMAGE_ITEM_FIELDS, {
    id: str,
    repoTags: strings,
    repoDigests: strings,
    size: int,
    pinned: bool,
    sandbox: bool,
    inUse: bool,
    containers: { type: "array", items: ref("Container") },
  }),
  Container: object(CONTAINER_ITEM_FIELDS, {
    id: str,
    pod: str,
    namespace: str,
    container: str,
    state: oneOf(CONTAINER_STATES),
  }),
  Tag: object(TAG_FIELDS, { ...tagProperties, nodes: { type: "array", items: ref("TagHolder") } }),
  TagHolder: object(TAG_HOLDER_FIELDS, {
    node: str,
    digest: nullableStr,
    imageId: str,
    status: nodeTagStatus,
    platformMatch: { type: "boolean", const: true },
    repoDigests: strings,
  }),
  TagSummary: object(
    TAG_SUMMARY_FIELDS,
    {
      ...tagProperties,
      nodeCount: int,
      digests: {
        type: "array",
        description: "how many nodes hold each digest (null: no repo digest), most held first",
        items: { type: "object", properties: { digest: nullableStr, nodes: int, status: nodeTagStatus } },
      },
    },
    { description: "GET /api/v1/tags?view=summary: a tag without its per-node list" },
  ),
  JobRequest: object(
    JOB_REQUEST_FIELDS,
    {
      type: oneOf(JOB_TYPES),
      images: {
        ...strings,
        description: "references (prepull: required; refresh: default every stale or inconsistent tag)",
      },
      nodes: { ...strings, description: "node names; default every known node" },
      nodeSelector: {
        type: "object",
        additionalProperties: str,
        description: "labels from the agents' --node-labels",
      },
      dryRun: bool,
      concurrency: {
        type: "integer",
        minimum: 1,
        maximum: 1000,
        default: DEFAULT_CONCURRENCY,
        description: "nodes worked on at once",
      },
      policy: ref("PrunePolicy"),
      removeReplaced: {
        type: "boolean",
        description: "refresh only: remove the image the tag pointed at before, if unused",
      },
      allowUnrecoverable: {
        type: "boolean",
        default: false,
        description:
          "prune, and refresh with removeReplaced: also remove images no registry is known to give back (never pushed, deleted from the registry, registry unresolved, or a digest the registry no longer serves under a tag). Without it such images are kept, listed in skipped with the reason",
      },
      timeoutMs: {
        type: "integer",
        minimum: 1000,
        description: "per node command; default 10m for pulls, 5m for prunes",
      },
      retries: { type: "integer", minimum: 0, maximum: 10, default: DEFAULT_RETRIES },
    },
    { additionalProperties: false },
  ),
  PrunePolicy: object(
    PRUNE_POLICY_FIELDS,
    {
      mode: oneOf(PRUNE_MODES),
      include: strings,
      exclude: strings,
      keep: strings,
      olderThanMs: { type: "integer", minimum: 0 },
      targetUsagePercent: { type: "number", minimum: 1, maximum: 99 },
    },
    { additionalProperties: false, description: "prune only" },
  ),
  Job: object(JOB_ITEM_FIELDS, {
    id: str,
    type: oneOf(JOB_TYPES),
    state: oneOf(JOB_STATES),
    createdAt: time,
    startedAt: nullableTime,
    finishedAt: nullableTime,
    createdBy: { type: "string", description: '"token" or "anonymous"' },
    request: ref("JobRequest"),
    nodes: { type: "array", items: ref("JobNode") },
  }),
  JobNode: object(JOB_NODE_ITEM_FIELDS, {
    node: str,
    state: oneOf(NODE_JOB_STATES),
    message: str,
    attempts: int,
    startedAt: nullableTime,
    finishedAt: nullableTime,
    pulled: objects,
    removed: objects,
    skipped: objects,
    reclaimedBytes: int,
  }),
  Finding: object(FINDING_ITEM_FIELDS, {
    id: str,
    kind: oneOf(FINDING_KINDS),
    severity: oneOf(SEVERITIES),
    reference: str,
    nodes: strings,
    digests: strings,
    registryDigest: nullableStr,
    firstSeenAt: time,
    lastSeenAt: time,
    message: str,
    remedy: str,
    pods: { type: "array", items: ref("FindingPod") },
  }),
  FindingPod: object(FINDING_POD_FIELDS, {
    node: str,
    namespace: str,
    pod: str,
    container: str,
    containerId: str,
    digest: nullableStr,
  }),
  Registries: object(REGISTRIES_ANSWER_FIELDS, {
    authProblems: { type: "array", items: ref("RegistryAuthProblem") },
  }),
  RegistryAuthProblem: object(REGISTRY_AUTH_PROBLEM_FIELDS, {
    registry: str,
    reason: oneOf(REGISTRY_AUTH_REASONS),
    error: str,
    since: time,
  }),
};

/** Each object schema's field table, for openapi.test.ts. */
export const SCHEMA_FIELDS = {
  Node: NODE_ITEM_FIELDS,
  NodeImage: NODE_IMAGE_ITEM_FIELDS,
  Container: CONTAINER_ITEM_FIELDS,
  Tag: TAG_FIELDS,
  TagHolder: TAG_HOLDER_FIELDS,
  TagSummary: TAG_SUMMARY_FIELDS,
  JobRequest: JOB_REQUEST_FIELDS,
  PrunePolicy: PRUNE_POLICY_FIELDS,
  Job: JOB_ITEM_FIELDS,
  JobNode: JOB_NODE_ITEM_FIELDS,
  Finding: FINDING_ITEM_FIELDS,
  FindingPod: FINDING_POD_FIELDS,
  Registries: REGISTRIES_ANSWER_FIELDS,
  RegistryAuthProblem: REGISTRY_AUTH_PROBLEM_FIELDS,
} as const satisfies Partial<Record<keyof typeof schemas, unknown>>;
