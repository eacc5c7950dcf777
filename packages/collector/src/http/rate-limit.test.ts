import { silentLogger } from "@imagedrift/core";
import { afterEach, describe, expect, it } from "vitest";
import { DriftService } from "../drift/index.js";
import { CollectorMetrics } from "../metrics.js";
import { FindingStore, NodeStore, openDatabase, TagStore } from "../store/index.js";
import { RateLimiter } from "./rate-limit.js";
import { createHttpServer } from "./server.js";

describe("RateLimiter", () => {
  it("lets a burst through, then one request per 1/perSecond, naming the wait", () => {
    let now = 0;
    const limiter = new RateLimiter({ perSecond: 50, burst: 100 }, { now: () => now });
    for (let i = 0; i < 100; i++) expect(limiter.take("a")).toBe(0);
    expect(limiter.take("a")).toBe(20);
    now += 10;
    expect(limiter.take("a")).toBe(10);
    now += 10;
    expect(limiter.take("a")).toBe(0);
    // Another client has its own bucket.
    expect(limiter.take("b")).toBe(0);
  });

  it("refills up to the burst, never past it", () => {
    let now = 0;
    const limiter = new RateLimiter({ perSecond: 2, burst: 3 }, { now: () => now });
    for (let i = 0; i < 3; i++) limiter.take("a");
    now += 60_000;
    for (let i = 0; i < 3; i++) expect(limiter.take("a")).toBe(0);
    expect(limiter.take("a")).toBe(500);
  });

  it("keeps at most maxClients buckets, dropping the least recently used", () => {
    const limiter = new RateLimiter({ perSecond: 1, burst: 1 }, { now: () => 0, maxClients: 3 });
    for (const client of ["a", "b", "c", "d"]) limiter.take(client);
    expect(limiter.clients).toBe(3);
    expect(limiter.take("a")).toBe(0); // dropped: a full bucket again
    expect(limiter.take("d")).toBe(1000);
  });
});

describe("the REST API over its limit", () => {
  const apps: { close(): Promise<unknown> }[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  function server(rateLimit: { perSecond: number; burst: number } | null) {
    const db = openDatabase(":memory:");
    const nodes = new NodeStore(db);
    const metrics = new CollectorMetrics({ processMetrics: false });
    const app = createHttpServer({
      drift: new DriftService({
        nodes,
        tags: new TagStore(db),
        findings: new FindingStore(db),
        resolver: { resolve: async () => new Map() },
        metrics,
        log: silentLogger,
        resolveIntervalMs: 60_000,
      }),
      nodes,
      connectedNodes: () => [],
      token: "t",
      protectReads: false,
      rateLimit,
      registry: metrics.registry,
      ready: () => null,
      log: silentLogger,
    });
    apps.push(app);
    return app;
  }

  it("→ 429 with Retry-After and the error body, per client IP; probes are never limited", async () => {
    const app = server({ perSecond: 1, burst: 5 });
    const get = (remoteAddress = "10.0.0.1", url = "/api/v1/nodes") => app.inject({ url, remoteAddress });
    for (let i = 0; i < 5; i++) expect((await get()).statusCode).toBe(200);
    const limited = await get();
    expect(limited.statusCode).toBe(429);
    expect(limited.headers["retry-after"]).toBe("1");
    expect(limited.json().error).toEqual({
      code: "resource-exhausted",
      message: "too many requests from 10.0.0.1: the limit is 1 per second (burst 5); retry after 1s",
    });
    // Unauthenticated floods are limited before the token is checked.
    expect((await app.inject({ method: "POST", url: "/api/v1/jobs", remoteAddress: "10.0.0.1" })).statusCode).toBe(429);
    expect((await get("10.0.0.2")).statusCode).toBe(200);
    expect((await get("10.0.0.1", "/healthz")).statusCode).toBe(200);
    expect((await get("10.0.0.1", "/readyz")).statusCode).toBe(200);
  });

  it("a body over the limit while rate limited is still 429 (the 413 rule only applies to body size)", async () => {
    const app = server({ perSecond: 1, burst: 1 });
    await app.inject({ url: "/api/v1/nodes" });
    const res = await app.inject({ method: "POST", url: "/api/v1/jobs", payload: { type: "refresh" } });
    expect(res.statusCode).toBe(429);
  });

  it("--rate-limit off: no limit", async () => {
    const app = server(null);
    for (let i = 0; i < 300; i++) expect((await app.inject({ url: "/api/v1/nodes" })).statusCode).toBe(200);
  });
});
