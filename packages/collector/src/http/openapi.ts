import { FINDING_KINDS, SEVERITIES, TAG_STATUSES } from "@imagedrift/core";
import { JOB_TYPES } from "../jobs/job-request.js";
import { JOB_STATES } from "./job-routes.js";
import { TAG_VIEWS } from "./pages.js";

const str = { type: "string" } as const;
const nullableStr = { type: ["string", "null"] } as const;
const strings = { type: "array", items: str } as const;
const list = (ref: string) => ({
  type: "object",
  required: ["items"],
  properties: { items: { type: "array", items: { $ref: `#/components/schemas/${ref}` } } },
});
const ok = (ref: string, description: string) => ({
  description,
  content: { "application/json": { schema: list(ref) } },
});
const job = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Job" } } },
});
const errorResponse = { $ref: "#/components/responses/Error" } as const;
const jobId = { name: "id", in: "path", required: true, schema: str } as const;
const int = { type: "integer" } as const;
const errors = {
  "400": { $ref: "#/components/responses/Error" },
  "401": { $ref: "#/components/responses/Error" },
};
const query = (name: string, values: readonly string[], description: string) => ({
  name,
  in: "query",
  required: false,
  description,
  schema: { type: "string", enum: values },
});
/** What Tag and TagSummary share. */
const TAG_FIELDS = ["reference", "registryDigest", "resolvedAt", "resolveError", "status"];
const tagProperties = {
  reference: str,
  registryDigest: nullableStr,
  resolvedAt: nullableStr,
  resolveError: nullableStr,
  status: { type: "string", enum: TAG_STATUSES },
} as const;
const nodeTagStatus = { type: "string", enum: ["current", "stale", "unknown"] } as const;

/** A paginated list: {items, nextCursor}. */
const pageOf = (ref: string, description: string) => ({
  description,
  content: {
    "application/json": {
      schema: {
        type: "object",
        required: ["items", "nextCursor"],
        properties: {
          items: { type: "array", items: { $ref: `#/components/schemas/${ref}` } },
          nextCursor: { type: ["string", "null"] },
        },
      },
    },
  },
});
const pageParameters = [
  { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 5000 } },
  {
    name: "cursor",
    in: "query",
    required: false,
    description: "the nextCursor of the previous page",
    schema: { type: "string" },
  },
];

/** OpenAPI 3.1 description of every route the collector serves. */
export const openApiDocument = {
  openapi: "3.1.0",
  info: {
    title: "imagedrift collector API",
    version: "1",
    description:
      "Node image caches across a cluster, compared with each other and with registries. Lists return {items}; errors return {error:{code,message}}. Mutating requests need Authorization: Bearer <token> when a token is configured.",
  },
  components: {
    securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    responses: {
      Error: {
        description: "An error naming what was wrong",
        content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
      },
    },
    schemas: {
      Error: {
        type: "object",
        required: ["error"],
        properties: {
          error: { type: "object", required: ["code", "message"], properties: { code: str, message: str } },
        },
      },
      Node: {
        type: "object",
        required: ["name", "runtime", "lastReportAt", "state", "imageCount", "imageBytes", "imageFs"],
        properties: {
          name: str,
          runtime: { type: "object", properties: { name: str, version: str } },
          lastReportAt: { type: "string", format: "date-time" },
          state: { type: "string", enum: ["reporting", "missing"] },
          imageCount: { type: "integer" },
          imageBytes: { type: "integer" },
          imageFs: { type: "object", properties: { usedBytes: { type: "integer" }, mountpoint: str } },
          agentVersion: str,
          labels: { type: "object", additionalProperties: str },
          connected: { type: "boolean" },
        },
      },
      NodeImage: {
        type: "object",
        required: ["id", "repoTags", "repoDigests", "size", "pinned", "inUse", "containers"],
        properties: {
          id: str,
          repoTags: strings,
          repoDigests: strings,
          size: { type: "integer" },
          pinned: { type: "boolean" },
          sandbox: { type: "boolean" },
          inUse: { type: "boolean" },
          containers: {
            type: "array",
            items: {
              type: "object",
              properties: {
                id: str,
                pod: str,
                namespace: str,
                container: str,
                state: { type: "string", enum: ["created", "running", "exited", "unknown"] },
              },
            },
          },
        },
      },
      Tag: {
        type: "object",
        required: [...TAG_FIELDS, "nodes"],
        properties: {
          ...tagProperties,
          nodes: {
            type: "array",
            items: {
              type: "object",
              properties: {
                node: str,
                digest: nullableStr,
                imageId: str,
                status: nodeTagStatus,
              },
            },
          },
        },
      },
      TagSummary: {
        type: "object",
        description: "GET /api/v1/tags?view=summary: a tag without its per-node list",
        required: [...TAG_FIELDS, "nodeCount", "digests"],
        properties: {
          ...tagProperties,
          nodeCount: int,
          digests: {
            type: "array",
            description: "how many nodes hold each digest (null: no repo digest), most held first",
            items: {
              type: "object",
              properties: {
                digest: nullableStr,
                nodes: int,
                status: nodeTagStatus,
              },
            },
          },
        },
      },
      JobRequest: {
        type: "object",
        required: ["type"],
        additionalProperties: false,
        properties: {
          type: { type: "string", enum: JOB_TYPES },
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
          dryRun: { type: "boolean" },
          concurrency: {
            type: "integer",
            minimum: 1,
            maximum: 1000,
            default: 2,
            description: "nodes worked on at once",
          },
          policy: {
            type: "object",
            required: ["mode"],
            additionalProperties: false,
            description: "prune only",
            properties: {
              mode: { type: "string", enum: ["dangling", "unused", "stale"] },
              include: strings,
              exclude: strings,
              keep: strings,
              olderThanMs: { type: "integer", minimum: 0 },
              targetUsagePercent: { type: "number", minimum: 1, maximum: 99 },
            },
          },
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
          retries: { type: "integer", minimum: 0, maximum: 10, default: 2 },
        },
      },
      Job: {
        type: "object",
        required: ["id", "type", "state", "createdAt", "finishedAt", "nodes"],
        properties: {
          id: str,
          type: { type: "string", enum: JOB_TYPES },
          state: { type: "string", enum: JOB_STATES },
          createdAt: { type: "string", format: "date-time" },
          startedAt: nullableStr,
          finishedAt: nullableStr,
          createdBy: { type: "string", description: '"token" or "anonymous"' },
          request: { $ref: "#/components/schemas/JobRequest" },
          nodes: {
            type: "array",
            items: {
              type: "object",
              required: ["node", "state", "message"],
              properties: {
                node: str,
                state: { type: "string", enum: ["pending", "running", "succeeded", "failed", "cancelled", "skipped"] },
                message: str,
                attempts: int,
                startedAt: nullableStr,
                finishedAt: nullableStr,
                pulled: { type: "array", items: { type: "object" } },
                removed: { type: "array", items: { type: "object" } },
                skipped: { type: "array", items: { type: "object" } },
                reclaimedBytes: int,
              },
            },
          },
        },
      },
      Finding: {
        type: "object",
        required: [
          "kind",
          "severity",
          "reference",
          "nodes",
          "digests",
          "registryDigest",
          "firstSeenAt",
          "lastSeenAt",
          "message",
          "remedy",
        ],
        properties: {
          id: str,
          kind: { type: "string", enum: FINDING_KINDS },
          severity: { type: "string", enum: SEVERITIES },
          reference: str,
          nodes: strings,
          digests: strings,
          registryDigest: nullableStr,
          firstSeenAt: { type: "string", format: "date-time" },
          lastSeenAt: { type: "string", format: "date-time" },
          message: str,
          remedy: str,
          pods: { type: "array", items: { type: "object" } },
        },
      },
    },
  },
  paths: {
    "/api/v1/nodes": {
      get: {
        summary: "Nodes and their caches",
        responses: { "200": ok("Node", "Every node that ever reported"), ...errors },
      },
    },
    "/api/v1/nodes/{name}/images": {
      get: {
        summary: "A node's images, with the containers using each",
        parameters: [{ name: "name", in: "path", required: true, schema: str }],
        responses: {
          "200": ok("NodeImage", "The node's last inventory"),
          "404": { $ref: "#/components/responses/Error" },
          ...errors,
        },
      },
    },
    "/api/v1/tags": {
      get: {
        summary: "Every tag nodes hold, per node digest against the registry, a page at a time",
        description:
          "A page holds at most `limit` tags (default 500) and ends early once it names 5,000 node holdings; " +
          "`nextCursor` (null on the last page) is the `cursor` of the next. With `view=summary`, items are " +
          "TagSummary: each tag's node count and digest counts instead of its per-node list.",
        parameters: [
          query("status", TAG_STATUSES, "only tags with this status"),
          query("view", TAG_VIEWS, "nodes (default): every holder; summary: counts per digest (TagSummary)"),
          ...pageParameters,
        ],
        responses: { "200": pageOf("Tag", "Tags sorted by reference"), ...errors },
      },
    },
    "/api/v1/findings": {
      get: {
        summary: "What is wrong and how to fix it, a page at a time",
        description:
          "A page holds at most `limit` findings (default 500) and ends early once it names 5,000 nodes and pods; " +
          "`nextCursor` (null on the last page) is the `cursor` of the next. " +
          "Findings come most severe first, then by kind, reference and id.",
        parameters: [
          query("kind", FINDING_KINDS, "only this kind"),
          query("severity", SEVERITIES, "only this severity"),
          ...pageParameters,
        ],
        responses: { "200": pageOf("Finding", "Findings, most severe first"), ...errors },
      },
    },
    "/api/v1/jobs": {
      get: {
        summary: "Jobs, newest first",
        parameters: [
          query("state", JOB_STATES, "only jobs in this state"),
          { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 1000 } },
        ],
        responses: { "200": ok("Job", "Jobs with their nodes"), ...errors },
      },
      post: {
        summary: "Start a prepull, refresh or prune job",
        security: [{ bearer: [] }],
        requestBody: {
          required: true,
          content: { "application/json": { schema: { $ref: "#/components/schemas/JobRequest" } } },
        },
        responses: {
          "202": job("Accepted: the job, with at least {id, state}"),
          "409": errorResponse,
          ...errors,
        },
      },
    },
    "/api/v1/jobs/{id}": {
      get: {
        summary: "One job and its nodes' progress",
        parameters: [jobId],
        responses: { "200": job("The job"), "404": errorResponse, ...errors },
      },
      delete: {
        summary: "Cancel a job: pending nodes are cancelled, running nodes' agents told to stop",
        security: [{ bearer: [] }],
        parameters: [jobId],
        responses: {
          "200": job("The cancelled job"),
          "404": errorResponse,
          "409": { ...errorResponse, description: "the job already finished" },
          ...errors,
        },
      },
    },
    "/openapi.json": { get: { summary: "This document", responses: { "200": { description: "OpenAPI 3.1" } } } },
    "/healthz": { get: { summary: "Liveness", responses: { "200": { description: "alive" } } } },
    "/readyz": {
      get: {
        summary: "Readiness",
        responses: { "200": { description: "ready" }, "503": { description: "not ready, with the reason" } },
      },
    },
    "/metrics": {
      get: { summary: "Prometheus metrics", responses: { "200": { description: "text exposition format" } } },
    },
    "/": { get: { summary: "The web page", responses: { "200": { description: "HTML" } } } },
  },
} as const;
