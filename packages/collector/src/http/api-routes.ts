import { promisify } from "node:util";
import { brotliCompress, gzip, constants as zlib } from "node:zlib";
import {
  FINDING_KINDS,
  ImagedriftError,
  type ItemList,
  type NodeImage,
  type NodeImageItem,
  type NodeItem,
  SEVERITIES,
  TAG_STATUSES,
  TAG_VIEWS,
} from "@imagedrift/core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { DriftService } from "../drift/index.js";
import type { NodeStore } from "../store/index.js";
import { findingsPage, pageLimit, tagsPage } from "./pages.js";

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

function imageItem(image: NodeImage): NodeImageItem {
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

/** An answer as sent: the JSON once encoded, and compressed once per coding a client asks for. */
interface CachedBody {
  json: Buffer;
  encoded: Partial<Record<Coding, Promise<Buffer>>>;
}

/** Answers smaller than this go out as they are: compressing them costs more than it saves. */
const COMPRESS_MIN_BYTES = 8 * 1024;

type Coding = "br" | "gzip";

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/**
 * Compresses off the event loop (zlib runs on libuv's thread pool). Brotli at
 * quality 5 makes a large findings answer about a third of gzip's size in
 * about the time gzip takes (bench/README.md, the findings p99 with `br`).
 */
function compress(coding: Coding, json: Buffer): Promise<Buffer> {
  if (coding === "gzip") return gzipAsync(json, { level: 6 });
  return brotliAsync(json, {
    params: {
      [zlib.BROTLI_PARAM_QUALITY]: 5,
      [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
      [zlib.BROTLI_PARAM_SIZE_HINT]: json.length,
    },
  });
}

/**
 * Serialised answers of the read endpoints, until what they show changes. At
 * 5,000 nodes a findings answer is megabytes of node names: a client that
 * accepts br or gzip (browsers, the CLI's fetch, curl --compressed) gets a
 * fifth to a fourteenth of that, compressed once per change instead of once
 * per request.
 */
class ResponseCache {
  #version = "";
  readonly #bodies = new Map<string, CachedBody>();
  #bytes = 0;

  get(version: string, key: string, make: () => string): CachedBody {
    if (version !== this.#version) this.#clear(version);
    let body = this.#bodies.get(key);
    if (body === undefined) {
      body = { json: Buffer.from(make()), encoded: {} };
      if (this.#bytes + body.json.length > 64 * 1024 * 1024) this.#clear(version);
      this.#bodies.set(key, body);
      this.#bytes += body.json.length;
    }
    return body;
  }

  #clear(version: string): void {
    this.#version = version;
    this.#bodies.clear();
    this.#bytes = 0;
  }
}

/** A coding the client accepts, unless it says `;q=0`. */
const ACCEPTS: Record<Coding, RegExp> = {
  br: /\bbr\b(?!;q=0(\.0*)?\b)/i,
  gzip: /\bgzip\b(?!;q=0(\.0*)?\b)/i,
};

/** br when the client accepts it (browsers, curl --compressed, Node's fetch), else gzip, else none. */
function codingFor(request: FastifyRequest): Coding | null {
  const accepted = request.headers["accept-encoding"];
  if (typeof accepted !== "string") return null;
  if (ACCEPTS.br.test(accepted)) return "br";
  return ACCEPTS.gzip.test(accepted) ? "gzip" : null;
}

/** Sends a cached answer, compressed when the client accepts it and it is worth it. */
async function sendCached(request: FastifyRequest, reply: FastifyReply, body: CachedBody): Promise<FastifyReply> {
  reply.type("application/json; charset=utf-8").header("vary", "accept-encoding");
  const coding = body.json.length < COMPRESS_MIN_BYTES ? null : codingFor(request);
  if (coding === null) return reply.send(body.json);
  const compressed = body.encoded[coding] ?? compress(coding, body.json);
  body.encoded[coding] = compressed;
  let encoded: Buffer;
  try {
    encoded = await compressed;
  } catch {
    // zlib failing is not the client's problem: it gets the answer as it is, and the next one tries again.
    if (body.encoded[coding] === compressed) delete body.encoded[coding];
    return reply.send(body.json);
  }
  return reply.header("content-encoding", coding).send(encoded);
}

/** The read endpoints of docs/ARCHITECTURE.md#rest-api. */
export function registerApiRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const tagsCache = new ResponseCache();
  const findingsCache = new ResponseCache();

  app.get("/api/v1/nodes", async (): Promise<ItemList<NodeItem>> => {
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
        scanMode: deps.drift.scanMode(n.name) ?? null,
      })),
    };
  });

  app.get<{ Params: { name: string } }>(
    "/api/v1/nodes/:name/images",
    async (request): Promise<ItemList<NodeImageItem>> => {
      const inventory = deps.drift.nodeInventory(request.params.name);
      if (!inventory) {
        throw new ImagedriftError("not-found", `node "${request.params.name}" is not known to the collector`);
      }
      return { items: inventory.images.map(imageItem) };
    },
  );

  app.get<{ Querystring: { status?: string; view?: string; limit?: string; cursor?: string } }>(
    "/api/v1/tags",
    async (request, reply) => {
      const status = oneOf("status", request.query.status, TAG_STATUSES);
      const summary = oneOf("view", request.query.view, TAG_VIEWS) === "summary";
      const limit = pageLimit(request.query.limit);
      const cursor = request.query.cursor || undefined;
      const version = `tags ${deps.drift.tagsVersion}`;
      const body = tagsCache.get(version, `${status}\n${summary}\n${limit}\n${cursor}`, () =>
        JSON.stringify(tagsPage(deps.drift, { status, summary, limit, cursor })),
      );
      return sendCached(request, reply, body);
    },
  );

  app.get<{ Querystring: { kind?: string; severity?: string; limit?: string; cursor?: string } }>(
    "/api/v1/findings",
    async (request, reply) => {
      const kind = oneOf("kind", request.query.kind, FINDING_KINDS);
      const severity = oneOf("severity", request.query.severity, SEVERITIES);
      const limit = pageLimit(request.query.limit);
      const cursor = request.query.cursor || undefined;
      const version = `findings ${deps.drift.findingsVersion}`;
      const body = findingsCache.get(version, `${kind}\n${severity}\n${limit}\n${cursor}`, () =>
        JSON.stringify(findingsPage(deps.drift.findings({ kind, severity }), limit, cursor)),
      );
      return sendCached(request, reply, body);
    },
  );
}
