import { FINDING_KINDS, ImagedriftError, type NodeImage, SEVERITIES, TAG_STATUSES } from "@imagedrift/core";
import type { FastifyInstance } from "fastify";
import type { DriftService } from "../drift-service.js";
import type { NodeStore } from "../store/index.js";

export interface ApiDeps {
  drift: DriftService;
  nodes: NodeStore;
  connectedNodes: () => string[];
}

/** Checks an optional query value against its allowed values, naming both in the error. */
function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T | undefined {
  if (value === undefined || value === "") return undefined;
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  throw new ImagedriftError("invalid-argument", `${name}=${JSON.stringify(value)} is not one of ${allowed.join(", ")}`);
}

function imageItem(image: NodeImage) {
  return {
    id: image.id,
    repoTags: image.repoTags,
    repoDigests: image.repoDigests,
    size: image.size,
    pinned: image.pinned,
    sandbox: image.sandbox,
    inUse: image.inUse,
    containers: image.containers.map(({ id, pod, namespace, container, state }) => ({
      id,
      pod,
      namespace,
      container,
      state,
    })),
  };
}

/** The read endpoints of SPEC §7. */
export function registerApiRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get("/api/v1/nodes", async () => {
    const missing = deps.drift.missingNodes;
    const connected = new Set(deps.connectedNodes());
    return {
      items: deps.nodes.list().map((n) => ({
        name: n.name,
        runtime: { name: n.runtime.name, version: n.runtime.version },
        lastReportAt: n.lastReportAt,
        state: missing.has(n.name) ? "missing" : "reporting",
        imageCount: n.imageCount,
        imageBytes: n.imageBytes,
        imageFs: { usedBytes: n.imageFs.usedBytes, mountpoint: n.imageFs.mountpoint },
        agentVersion: n.agentVersion,
        labels: n.labels,
        connected: connected.has(n.name),
        firstSeenAt: n.firstSeenAt,
        scannedAt: n.scannedAt,
      })),
    };
  });

  app.get<{ Params: { name: string } }>("/api/v1/nodes/:name/images", async (request) => {
    const inventory = deps.drift.nodeInventory(request.params.name);
    if (!inventory) {
      throw new ImagedriftError("not-found", `node "${request.params.name}" is not known to the collector`);
    }
    return { items: inventory.images.map(imageItem) };
  });

  app.get<{ Querystring: { status?: string } }>("/api/v1/tags", async (request) => {
    const status = oneOf("status", request.query.status, TAG_STATUSES);
    return { items: deps.drift.tagViews.filter((tag) => !status || tag.status === status) };
  });

  app.get<{ Querystring: { kind?: string; severity?: string } }>("/api/v1/findings", async (request) => {
    const kind = oneOf("kind", request.query.kind, FINDING_KINDS);
    const severity = oneOf("severity", request.query.severity, SEVERITIES);
    return { items: deps.drift.findings({ kind, severity }).map(({ key: id, ...finding }) => ({ id, ...finding })) };
  });
}
