import { FINDING_KINDS, JOB_STATES, SEVERITIES, TAG_STATUSES, TAG_VIEWS } from "@imagedrift/core";
import { REGISTRY_EVENT_SOURCES } from "../registry-events/registry-event-payloads.js";
import { schemas } from "./openapi-schemas.js";

const str = { type: "string" } as const;
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
    schemas,
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
    "/api/v1/registries": {
      get: {
        summary: "Registries whose credentials fail now",
        description:
          "Each registry whose last answer was a 401 or 403 (from it or its token server) or whose cloud identity's exchange failed, with the reason, the last message (never a credential) and since when; a registry leaves the list at its next answer that gets through. Independent of /readyz.",
        responses: {
          "200": {
            description: "Registries with failing credentials, sorted by host",
            content: { "application/json": { schema: { $ref: "#/components/schemas/Registries" } } },
          },
          ...errors,
        },
      },
    },
    "/api/v1/registry-events": {
      post: {
        summary: "A registry's push notification: known tags it names are asked of their registry now",
        description:
          "Accepts the distribution notification envelope (application/vnd.docker.distribution.events.v1+json, as docker-registry sends it), Harbor's webhook and Docker Hub's. A push or delete of a tag some node holds or a pod wants resolves that tag at once (the payload's digest is only a hint); other events cost no registry request. Takes the main token or the --registry-events-token-file token.",
        security: [{ bearer: [] }],
        requestBody: {
          required: true,
          content: {
            "application/json": { schema: { type: "object" } },
            "application/vnd.docker.distribution.events.v1+json": { schema: { type: "object" } },
          },
        },
        responses: {
          "202": {
            description: "Accepted: the tags now being resolved",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["source", "events", "resolving"],
                  properties: {
                    source: { type: "string", enum: REGISTRY_EVENT_SOURCES },
                    events: { type: "integer" },
                    resolving: { type: "array", items: str },
                  },
                },
              },
            },
          },
          "413": errorResponse,
          ...errors,
        },
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
