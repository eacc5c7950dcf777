/**
 * The collector's REST API (`/api/v1`), written once: the collector's routes
 * return these types, its OpenAPI document takes its `required` lists from
 * api-fields.ts and a test checks its properties against them, and the CLI,
 * the page and the end-to-end tests read the API through them. The API may
 * add fields; clients pass unknown ones through and ignore them.
 */
import type { Finding, TagView } from "./drift-types.js";
import type { ContainerState } from "./inventory.js";
import type { Job, JobNode, JobState } from "./job-types.js";
import type { TagSummary } from "./tag-view.js";

/** A list answer: `GET /api/v1/nodes`, `/nodes/{name}/images`, `/jobs`. */
export interface ItemList<T> {
  items: T[];
}

/** A paginated list answer (`/tags`, `/findings`): `nextCursor` is the `cursor` of the next page, null on the last. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Every error answer: `{error: {code, message}}`. */
export interface ErrorBody {
  error: { code: string; message: string };
}

export const NODE_REPORT_STATES = ["reporting", "missing"] as const;
export type NodeReportState = (typeof NODE_REPORT_STATES)[number];

/** An item of `GET /api/v1/nodes`. */
export interface NodeItem {
  name: string;
  runtime: { name: string; version: string };
  lastReportAt: string;
  state: NodeReportState;
  imageCount: number;
  imageBytes: number;
  imageFs: { usedBytes: number; mountpoint?: string };
  agentVersion?: string;
  labels?: Record<string, string>;
  /** Whether the agent holds a stream to this collector now. */
  connected?: boolean;
  firstSeenAt?: string;
  /** When the agent last scanned; null before its first inventory. */
  scannedAt?: string | null;
  /**
   * How the agent learns of changes, as it last said (hello or heartbeat):
   * `events` (the runtime's event stream) or `polling`; null when it has not
   * said since the collector started (an agent older than the field).
   */
  scanMode?: AgentScanMode | null;
}

/** How an agent learns of changes in its runtime: docs/ARCHITECTURE.md, "The agent". */
export const AGENT_SCAN_MODES = ["events", "polling"] as const;
export type AgentScanMode = (typeof AGENT_SCAN_MODES)[number];

/** A container using an image, in `GET /api/v1/nodes/{name}/images`. */
export interface ContainerItem {
  id: string;
  pod: string;
  namespace: string;
  container: string;
  state: ContainerState;
}

/** An item of `GET /api/v1/nodes/{name}/images`. */
export interface NodeImageItem {
  id: string;
  repoTags: readonly string[];
  repoDigests: readonly string[];
  size: number;
  pinned: boolean;
  /** Whether the runtime uses it as its pod sandbox (pause) image; older collectors leave it out. */
  sandbox?: boolean;
  inUse: boolean;
  containers: ContainerItem[];
}

/** `GET /api/v1/tags?view=`: `nodes` (the default) lists each tag's holders; `summary` counts them per digest. */
export const TAG_VIEWS = ["nodes", "summary"] as const;
export type TagListView = (typeof TAG_VIEWS)[number];

/** An item of `GET /api/v1/tags`: a TagView, or with `view=summary` a TagSummary. */
export type TagItem = TagView | TagSummary;

/** An item of `GET /api/v1/findings`: the store's key is exposed as `id`. */
export type FindingItem = Omit<Finding, "key"> & { id: string };

/** The answer of `POST /api/v1/jobs` (202): at least the id and state (the collector sends the whole job). */
export interface JobCreated {
  id: string;
  state: JobState;
}

/** One node of a job: `node`, `state` and `message` are promised; JobNode's other fields come along when sent. */
export type JobNodeItem = Pick<JobNode, "node" | "state" | "message"> &
  Partial<Omit<JobNode, "node" | "state" | "message">>;

/** A job as `GET /api/v1/jobs[/{id}]` returns it: the promised fields, and Job's others when sent. */
export type JobItem = Pick<Job, "id" | "type" | "state" | "createdAt" | "finishedAt"> &
  Partial<Omit<Job, "id" | "type" | "state" | "createdAt" | "finishedAt" | "nodes">> & { nodes: JobNodeItem[] };

/** Why a registry's credentials fail: refused (401), denied (403), or the cloud identity's exchange failed. */
export const REGISTRY_AUTH_REASONS = ["unauthenticated", "denied", "provider"] as const;
export type RegistryAuthReason = (typeof REGISTRY_AUTH_REASONS)[number];

/** One registry whose credentials fail now (`GET /api/v1/registries`). */
export interface RegistryAuthProblem {
  registry: string;
  reason: RegistryAuthReason;
  /** The last failure's message: host, status, provider step; never a credential. */
  error: string;
  /** When failures started (ISO 8601), kept while they go on. */
  since: string;
}

/** `GET /api/v1/registries`. */
export interface RegistriesAnswer {
  authProblems: RegistryAuthProblem[];
}
