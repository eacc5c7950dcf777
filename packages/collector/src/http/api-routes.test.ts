import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { type Finding, type NodeImage, summaryOfTag, type TagSummary, type TagView } from "@imagedrift/core";
import { afterEach, describe, expect, it } from "vitest";
import { driftOnStores, httpServer } from "./collector.fake.js";
import { PAGE_NAMES } from "./pages.js";

const hex = (n: number) => n.toString(16).padStart(64, "0");

/** `nodes` nodes, each holding `tags` tags; one tag in three at another digest on odd nodes. */
function collector(nodeCount: number, tagCount: number) {
  const stores = driftOnStores((nodes) => {
    const now = new Date();
    for (let n = 0; n < nodeCount; n++) {
      const name = `node-${String(n).padStart(4, "0")}`;
      nodes.hello(name, { agentVersion: "0.1.0", intervalMs: 60_000, labels: {} }, now);
      const images = Array.from({ length: tagCount }, (_, t): NodeImage => {
        const drifted = t % 3 === 0 && n % 2 === 1;
        return {
          id: `sha256:${hex(t * 2 + Number(drifted))}`,
          repoTags: [`reg.example/app-${String(t).padStart(3, "0")}:1`],
          repoDigests: [`reg.example/app-${String(t).padStart(3, "0")}@sha256:${hex(1000 + t * 2 + Number(drifted))}`],
          size: 1,
          pinned: false,
          sandbox: false,
          inUse: false,
          containers: [],
        };
      });
      const inventory = {
        node: name,
        runtime: { name: "containerd", version: "2", apiVersion: "v1" },
        scannedAt: now.toISOString(),
        images,
        pods: [],
        imageFs: { mountpoint: "/", usedBytes: 1, inodesUsed: null },
      };
      nodes.save(inventory, "h", now);
    }
  });
  const { drift } = stores;
  const app = httpServer(stores);
  cleanups.push(() => app.close());
  return { app, drift };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

interface Page {
  items: TagView[];
  nextCursor: string | null;
}

/**
 * Every item of a paginated list, following nextCursor from the first page;
 * checks that each page holds at most `limit` items and ends once its items
 * name PAGE_NAMES nodes and pods (`names` of each).
 */
async function everyPage<T>(
  app: ReturnType<typeof httpServer>,
  path: string,
  limit: number,
  names: (item: T) => number,
) {
  const items: T[] = [];
  let cursor: string | null = "";
  let pages = 0;
  while (cursor !== null) {
    const response = await app.inject({ url: `${path}&cursor=${encodeURIComponent(cursor)}` });
    expect(response.statusCode).toBe(200);
    const page = response.json() as { items: T[]; nextCursor: string | null };
    expect(page.items.length).toBeLessThanOrEqual(limit);
    const named = page.items.slice(0, -1).reduce((sum, item) => sum + names(item), 0);
    expect(named).toBeLessThan(PAGE_NAMES);
    items.push(...page.items);
    cursor = page.nextCursor;
    pages += 1;
  }
  return { items, pages };
}

describe("GET /api/v1/tags", () => {
  it("pages through every tag by nextCursor, each page within its limit and holdings", async () => {
    const { app, drift } = collector(60, 200);
    const { items: seen, pages } = await everyPage<TagView>(
      app,
      "/api/v1/tags?limit=70",
      70,
      (tag) => tag.nodes.length,
    );
    // 200 tags × 60 nodes = 12,000 holdings: the holdings bound ends pages before the limit does.
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(seen).toEqual(drift.tagViews);
  });

  it("filters by status across pages, and names a bad limit", async () => {
    const { app, drift } = collector(4, 30);
    const inconsistent = drift.tagViews.filter((t) => t.status === "inconsistent");
    expect(inconsistent).toHaveLength(10);
    const first = (await app.inject({ url: "/api/v1/tags?status=inconsistent&limit=6" })).json() as Page;
    expect(first.items).toEqual(inconsistent.slice(0, 6));
    const rest = (
      await app.inject({ url: `/api/v1/tags?status=inconsistent&limit=6&cursor=${first.nextCursor}` })
    ).json() as Page;
    expect(rest).toEqual({ items: inconsistent.slice(6), nextCursor: null });
    const bad = await app.inject({ url: "/api/v1/tags?limit=0" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/limit="0" is not an integer from 1 to/);
  });

  it("summarises each tag with view=summary: node count and nodes per digest, in pages that names do not cut", async () => {
    const { app, drift } = collector(60, 200);
    const page = (await app.inject({ url: "/api/v1/tags?view=summary" })).json() as {
      items: TagSummary[];
      nextCursor: string | null;
    };
    // 200 tags × 60 nodes would take three pages of views; as summaries they are one.
    expect(page.nextCursor).toBeNull();
    expect(page.items).toEqual(drift.tagViews.map(summaryOfTag));
    const drifted = page.items.find((t) => t.reference === "reg.example/app-000:1");
    expect(drifted?.nodeCount).toBe(60);
    expect(drifted?.digests.map((d) => d.nodes)).toEqual([30, 30]);
    expect(drifted && "nodes" in drifted).toBe(false);
    const bad = await app.inject({ url: "/api/v1/tags?view=all" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/view="all" is not one of nodes, summary/);
  });

  it("compresses a large answer with br or gzip as the client accepts, and not for one that accepts neither", async () => {
    const { app } = collector(60, 50);
    const plain = await app.inject({ url: "/api/v1/tags" });
    expect(plain.headers["content-encoding"]).toBeUndefined();
    const brotli = await app.inject({ url: "/api/v1/tags", headers: { "accept-encoding": "gzip, deflate, br" } });
    expect(brotli.headers["content-encoding"]).toBe("br");
    expect(JSON.parse(brotliDecompressSync(brotli.rawPayload).toString())).toEqual(plain.json());
    const gzipped = await app.inject({ url: "/api/v1/tags", headers: { "accept-encoding": "gzip, deflate" } });
    expect(gzipped.headers["content-encoding"]).toBe("gzip");
    expect(gzipped.rawPayload.length).toBeLessThan(plain.rawPayload.length / 5);
    expect(brotli.rawPayload.length).toBeLessThan(gzipped.rawPayload.length);
    expect(JSON.parse(gunzipSync(gzipped.rawPayload).toString())).toEqual(plain.json());
    const notBr = await app.inject({ url: "/api/v1/tags", headers: { "accept-encoding": "br;q=0, gzip" } });
    expect(notBr.headers["content-encoding"]).toBe("gzip");
    const refused = await app.inject({ url: "/api/v1/tags", headers: { "accept-encoding": "gzip;q=0" } });
    expect(refused.headers["content-encoding"]).toBeUndefined();
    // The same answer again comes from the cache, compressed once.
    const again = await app.inject({ url: "/api/v1/tags", headers: { "accept-encoding": "br" } });
    expect(again.rawPayload.equals(brotli.rawPayload)).toBe(true);
  });
});

interface FindingsPage {
  items: (Omit<Finding, "key"> & { id: string })[];
  nextCursor: string | null;
}

describe("GET /api/v1/findings", () => {
  it("pages through every finding by nextCursor, each page within its limit and the nodes it names", async () => {
    const { app, drift } = collector(120, 150);
    const all = drift.findings().map(({ key, ...f }) => ({ id: key, ...f }));
    // 50 inconsistent tags × 120 nodes: the names bound ends pages before the limit does.
    expect(all.length).toBe(50);
    const { items: seen, pages } = await everyPage<FindingsPage["items"][number]>(
      app,
      "/api/v1/findings?limit=30",
      30,
      (f) => f.nodes.length + f.pods.length,
    );
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(seen).toEqual(all);
  });

  it("goes on after a cursor's place even when that finding has closed, filters across pages, and names a bad cursor", async () => {
    const { app, drift } = collector(4, 30);
    const all = drift.findings().map(({ key, ...f }) => ({ id: key, ...f }));
    expect(all.length).toBe(10);
    const first = (await app.inject({ url: "/api/v1/findings?severity=warning&limit=4" })).json() as FindingsPage;
    expect(first.items).toEqual(all.slice(0, 4));
    const rest = (
      await app.inject({ url: `/api/v1/findings?severity=warning&limit=10&cursor=${first.nextCursor}` })
    ).json() as FindingsPage;
    expect(rest).toEqual({ items: all.slice(4), nextCursor: null });
    // A finding between the 5th and 6th, as if it had been there and closed since.
    const [fifth] = all.slice(4, 5);
    const gone = [fifth?.severity, fifth?.kind, `${fifth?.reference}~`, "gone"];
    const cursor = Buffer.from(JSON.stringify(gone)).toString("base64url");
    const after = (await app.inject({ url: `/api/v1/findings?cursor=${cursor}` })).json() as FindingsPage;
    expect(after.items).toEqual(all.slice(5));
    const bad = await app.inject({ url: "/api/v1/findings?cursor=not-a-cursor" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/cursor="not-a-cursor" is not a cursor of GET \/api\/v1\/findings/);
  });
});
