import type { NodeImage } from "@imagedrift/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { driftOnStores, httpServer } from "./collector.fake.js";
import { DISTRIBUTION_EVENTS_TYPE } from "./registry-event-routes.js";

const TOKEN = "main-t0ken";
const EVENTS_TOKEN = "events-t0ken";
const image: NodeImage = {
  id: `sha256:${"a".repeat(64)}`,
  repoTags: ["reg.example/team/app:latest"],
  repoDigests: [],
  size: 1,
  pinned: false,
  sandbox: false,
  inUse: false,
  containers: [],
};

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A collector HTTP server whose node n1 holds reg.example/team/app:latest. */
function collector(registryEventsToken: string | null = EVENTS_TOKEN) {
  const now = new Date();
  const stores = driftOnStores((nodes) => {
    nodes.hello("n1", { agentVersion: "0.1.0", intervalMs: 60_000, labels: {} }, now);
    nodes.save(
      {
        node: "n1",
        runtime: { name: "containerd", version: "2", apiVersion: "v1" },
        scannedAt: now.toISOString(),
        images: [image],
        pods: [],
        imageFs: { mountpoint: "/", usedBytes: 1, inodesUsed: null },
      },
      "h",
      now,
    );
  });
  const resolveChanged = vi.spyOn(stores.drift, "resolveChanged");
  const app = httpServer(stores, { token: TOKEN, registryEventsToken });
  cleanups.push(() => app.close());
  return { app, resolveChanged };
}

const envelope = (tag: string) => ({
  events: [
    {
      action: "push",
      target: { repository: "team/app", tag, digest: `sha256:${"c".repeat(64)}`, url: "https://reg.example/v2/x" },
      request: { host: "reg.example" },
    },
  ],
});

function post(app: ReturnType<typeof collector>["app"], body: unknown, token: string | null = EVENTS_TOKEN) {
  return app.inject({
    method: "POST",
    url: "/api/v1/registry-events",
    headers: {
      "content-type": DISTRIBUTION_EVENTS_TYPE,
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    },
    payload: JSON.stringify(body),
  });
}

describe("POST /api/v1/registry-events", () => {
  it("a push of a held tag (docker-registry's media type) has that tag resolved now: 202", async () => {
    const { app, resolveChanged } = collector();
    const response = await post(app, envelope("latest"));
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ source: "distribution", events: 1, resolving: ["reg.example/team/app:latest"] });
    // The push's digest goes along as a hint (the registry may not answer it yet): see push-recheck.ts.
    expect(resolveChanged).toHaveBeenCalledWith(
      ["reg.example/team/app:latest"],
      new Map([["reg.example/team/app:latest", `sha256:${"c".repeat(64)}`]]),
    );
  });

  it("a push of a tag nobody holds asks nothing", async () => {
    const { app, resolveChanged } = collector();
    const response = await post(app, envelope("other"));
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ resolving: [] });
    expect(resolveChanged).not.toHaveBeenCalled();
  });

  it("takes the main token as well as the registry-events token", async () => {
    const { app } = collector();
    expect((await post(app, envelope("latest"), TOKEN)).statusCode).toBe(202);
  });

  it("refuses a request without a token, or with a wrong one: 401", async () => {
    const { app, resolveChanged } = collector();
    const missing = await post(app, envelope("latest"), null);
    expect(missing.statusCode).toBe(401);
    expect(missing.json().error.message).toContain("needs a token");
    expect((await post(app, envelope("latest"), "wrong")).statusCode).toBe(401);
    expect(resolveChanged).not.toHaveBeenCalled();
  });

  it("without a registry-events token, it is a mutation like the others: the main token", async () => {
    const { app } = collector(null);
    expect((await post(app, envelope("latest"), null)).statusCode).toBe(401);
    expect((await post(app, envelope("latest"), TOKEN)).statusCode).toBe(202);
  });

  it("answers a malformed payload 400 naming the problem", async () => {
    const { app, resolveChanged } = collector();
    const response = await post(app, { events: [{ action: "push", target: { tag: "1" } }] });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: { code: "invalid-argument", message: "events[0].target.repository is missing" },
    });
    const notJson = await app.inject({
      method: "POST",
      url: "/api/v1/registry-events",
      headers: { "content-type": DISTRIBUTION_EVENTS_TYPE, authorization: `Bearer ${EVENTS_TOKEN}` },
      payload: "{",
    });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error.message).toContain("not valid JSON");
    expect(resolveChanged).not.toHaveBeenCalled();
  });
});
