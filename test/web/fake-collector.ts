/**
 * A FAKE collector, for the page's scale test only: a loopback HTTP server
 * that serves canned JSON for a synthetic cluster (N nodes × M tags) in the
 * shapes of docs/ARCHITECTURE.md#rest-api, and the built page from packages/web/dist. It claims
 * nothing about the real collector; the lab test (page.test.ts) drives that.
 */
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { extname } from "node:path";
import type { NodeItem, TagView } from "@imagedrift/core";

export const WEB_DIST = new URL("../../packages/web/dist/", import.meta.url);

export interface SyntheticCluster {
  nodes: NodeItem[];
  tags: TagView[];
}

const hex = (n: number) => (n >>> 0).toString(16).padStart(8, "0");
const digestOf = (seed: number) => `sha256:${hex(seed * 2654435761)}${"0".repeat(48)}${hex(seed)}`;

/** Deterministic: most nodes hold most tags; a tag has 1–3 digests; some nodes are stale. */
export function syntheticCluster(nodeCount: number, tagCount: number): SyntheticCluster {
  const now = new Date().toISOString();
  const nodes: NodeItem[] = Array.from({ length: nodeCount }, (_, i) => ({
    name: `node-${String(i + 1).padStart(3, "0")}`,
    runtime: { name: "containerd", version: "2.0.0" },
    lastReportAt: now,
    state: i % 97 === 96 ? "missing" : "reporting",
    imageCount: tagCount,
    imageBytes: tagCount * 50_000_000,
    imageFs: { usedBytes: tagCount * 40_000_000 },
  }));
  const tags: TagView[] = Array.from({ length: tagCount }, (_, t) => {
    const registryDigest = digestOf(t * 10 + 1);
    const variants = 1 + (t % 3);
    const holders = nodes
      .filter((_, n) => (n * 7 + t * 13) % 10 !== 0)
      .map((node, n) => {
        const variant = (n + t) % variants;
        const digest = digestOf(t * 10 + 1 + variant);
        return {
          node: node.name,
          digest,
          imageId: digestOf(t * 10 + 5 + variant),
          status: digest === registryDigest ? ("current" as const) : ("stale" as const),
        };
      });
    return {
      reference: `registry.example:5000/team-${String(t % 20).padStart(2, "0")}/app-${String(t).padStart(3, "0")}:v${t % 7}`,
      registryDigest,
      resolvedAt: now,
      resolveError: null,
      resolvedBy: null,
      status: variants > 1 ? "inconsistent" : "current",
      nodes: holders,
    };
  });
  return { nodes, tags };
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

export interface FakeCollector {
  url: string;
  /** Paths requested so far, in order. */
  requests: string[];
  close(): Promise<void>;
}

export async function startFakeCollector(cluster: SyntheticCluster): Promise<FakeCollector> {
  const bodies = new Map<string, string>([
    ["/api/v1/nodes", JSON.stringify({ items: cluster.nodes })],
    ["/api/v1/tags", JSON.stringify({ items: cluster.tags })],
    ["/api/v1/findings", JSON.stringify({ items: [] })],
    ["/api/v1/jobs", JSON.stringify({ items: [] })],
    ["/api/v1/registries", JSON.stringify({ authProblems: [] })],
  ]);
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://fake").pathname;
    requests.push(path);
    const body = bodies.get(path);
    if (body !== undefined) {
      response.writeHead(200, { "content-type": "application/json" }).end(body);
      return;
    }
    const file = path === "/" ? "index.html" : path.slice(1);
    if (!/^(index\.html|assets\/[\w-][\w.-]*)$/.test(file)) {
      response.writeHead(404, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: { code: "not-found", message: `fake: no ${path}` } }));
      return;
    }
    readFile(new URL(file, WEB_DIST)).then(
      (data) =>
        response
          .writeHead(200, { "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream" })
          .end(data),
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("fake collector: no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
