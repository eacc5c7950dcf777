import type { NodeImage } from "@imagedrift/core";
import { afterEach, describe, expect, it } from "vitest";
import { driftOnStores, httpServer, jobsOnStores } from "./collector.fake.js";

const TOKEN = "t0ken";
const image: NodeImage = {
  id: `sha256:${"a".repeat(64)}`,
  repoTags: ["reg.example/app:1"],
  repoDigests: [],
  size: 1,
  pinned: false,
  sandbox: false,
  inUse: false,
  containers: [],
};

/** A collector HTTP server on a real in-memory store, with fake agents (a test double) answering commands. */
function collector(options: { token?: string | null; labels?: Record<string, string> } = {}) {
  const now = new Date();
  const stores = driftOnStores((nodes) => {
    for (const name of ["n1", "n2"]) {
      nodes.hello(name, { agentVersion: "0.1.0", intervalMs: 60_000, labels: options.labels ?? {} }, now);
      nodes.save(
        {
          node: name,
          runtime: { name: "containerd", version: "2", apiVersion: "v1" },
          scannedAt: now.toISOString(),
          images: [image],
          pods: [],
          imageFs: { mountpoint: "/", usedBytes: 1, inodesUsed: null },
        },
        "h",
        now,
      );
    }
  });
  const { store, agents, runner } = jobsOnStores(stores);
  const app = httpServer(stores, {
    token: options.token === undefined ? TOKEN : options.token,
    jobs: runner,
  });
  cleanups.push(
    () => runner.stop(),
    () => app.close(),
  );
  return { app, agents, runner, store };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const auth = { authorization: `Bearer ${TOKEN}` };

describe("job routes", () => {
  it("POST starts a job: 202 {id, state}, audited as the token", async () => {
    const { app, agents, runner, store } = collector();
    agents.connect("n1");
    agents.connect("n2");
    const res = await app.inject({
      method: "POST",
      url: "/api/v1/jobs",
      headers: auth,
      payload: { type: "prepull", images: ["reg.example/app:1"] },
    });
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(body).toMatchObject({ id: expect.any(String), state: "running", type: "prepull", finishedAt: null });
    expect(res.headers.location).toBe(`/api/v1/jobs/${body.id}`);
    await runner.settled(body.id);
    const got = await app.inject({ method: "GET", url: `/api/v1/jobs/${body.id}` });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({
      id: body.id,
      type: "prepull",
      state: "succeeded",
      createdAt: expect.any(String),
      finishedAt: expect.any(String),
      createdBy: "token",
      nodes: [
        { node: "n1", state: "succeeded", message: "pulled reg.example/app:1", pulled: [{ ref: "reg.example/app:1" }] },
        { node: "n2", state: "succeeded", message: "pulled reg.example/app:1" },
      ],
    });
    expect(store.auditLog()[0]).toMatchObject({ actor: "token", action: "job.create", detail: { job: body.id } });
  });

  it.each([
    [{ type: "prepull", images: ["nginx"], imagez: 1 }, 'unknown field "imagez"'],
    [{ type: "wipe" }, "type: must be one of prepull, refresh, prune"],
    [{ type: "prepull", images: ["nginx", "Bad/Ref"] }, 'images[1]: invalid reference "Bad/Ref"'],
    [
      { type: "prune", policy: { mode: "unused", targetUsagePercent: 0 } },
      "policy.targetUsagePercent: must be between 1 and 99",
    ],
    [{ type: "prepull", images: ["nginx"], nodes: ["ghost"] }, 'nodes: unknown node "ghost"'],
    [
      { type: "prepull", images: ["nginx"], nodeSelector: { zone: "a" } },
      "no label source: start agents with --node-labels or enable the Kubernetes API",
    ],
  ])("POST %j → 400 naming the problem", async (payload, message) => {
    const { app } = collector();
    const res = await app.inject({ method: "POST", url: "/api/v1/jobs", headers: auth, payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain(message);
  });

  it("POST without a JSON body → 400", async () => {
    const { app } = collector();
    const res = await app.inject({ method: "POST", url: "/api/v1/jobs", headers: auth });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain("the body must be a JSON object");
  });

  it("mutations need the token when one is configured; reads do not", async () => {
    const { app, agents } = collector();
    agents.connect("n1", () => "hold");
    const payload = { type: "prepull", images: ["nginx"], nodes: ["n1"] };
    expect((await app.inject({ method: "POST", url: "/api/v1/jobs", payload })).statusCode).toBe(401);
    const wrong = { authorization: "Bearer nope" };
    expect((await app.inject({ method: "POST", url: "/api/v1/jobs", headers: wrong, payload })).statusCode).toBe(401);
    const created = await app.inject({ method: "POST", url: "/api/v1/jobs", headers: auth, payload });
    const { id } = created.json();
    expect((await app.inject({ method: "DELETE", url: `/api/v1/jobs/${id}` })).statusCode).toBe(401);
    expect((await app.inject({ method: "GET", url: `/api/v1/jobs/${id}` })).statusCode).toBe(200);
  });

  it("records an anonymous actor when no token is configured", async () => {
    const { app, store } = collector({ token: null });
    const res = await app.inject({
      method: "POST",
      url: "/api/v1/jobs",
      payload: { type: "prepull", images: ["nginx"] },
    });
    expect(res.statusCode).toBe(202);
    expect(res.json().createdBy).toBe("anonymous");
    expect(store.auditLog()[0]?.actor).toBe("anonymous");
  });

  it("GET and DELETE of an unknown job → 404", async () => {
    const { app } = collector();
    const get = await app.inject({ method: "GET", url: "/api/v1/jobs/nope" });
    expect(get.statusCode).toBe(404);
    expect(get.json().error).toEqual({ code: "not-found", message: 'job "nope" does not exist' });
    expect((await app.inject({ method: "DELETE", url: "/api/v1/jobs/nope", headers: auth })).statusCode).toBe(404);
  });

  it("DELETE cancels a running job (200 with the job), then 409: already finished", async () => {
    const { app, agents, runner } = collector();
    agents.connect("n1", () => "hold");
    agents.connect("n2", () => "hold");
    const payload = { type: "prepull", images: ["nginx"], concurrency: 1 };
    const { id } = (await app.inject({ method: "POST", url: "/api/v1/jobs", headers: auth, payload })).json();
    const first = await agents.nextCommand();
    const res = await app.inject({ method: "DELETE", url: `/api/v1/jobs/${id}`, headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id,
      state: "cancelled",
      nodes: [
        { node: "n1", state: "cancelled" },
        { node: "n2", state: "cancelled" },
      ],
    });
    expect(agents.cancels).toEqual([first.id]);
    await runner.settled(id);
    const again = await app.inject({ method: "DELETE", url: `/api/v1/jobs/${id}`, headers: auth });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.message).toContain("already finished (cancelled)");
  });

  it("GET /api/v1/jobs lists newest first and filters by state", async () => {
    const { app, agents, runner } = collector();
    agents.connect("n1");
    agents.connect("n2");
    const ids: string[] = [];
    for (const images of [["a"], ["b"]]) {
      const { id } = (
        await app.inject({ method: "POST", url: "/api/v1/jobs", headers: auth, payload: { type: "prepull", images } })
      ).json();
      ids.push(id);
      await runner.settled(id);
    }
    const all = await app.inject({ method: "GET", url: "/api/v1/jobs" });
    expect(all.json().items.map((j: { id: string }) => j.id)).toEqual([...ids].reverse());
    const none = await app.inject({ method: "GET", url: "/api/v1/jobs?state=failed" });
    expect(none.json()).toEqual({ items: [] });
    const bad = await app.inject({ method: "GET", url: "/api/v1/jobs?state=done" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('state="done" is not one of pending, running');
  });

  it("the OpenAPI document describes the job routes", async () => {
    const { app } = collector();
    const doc = (await app.inject({ method: "GET", url: "/openapi.json" })).json();
    expect(Object.keys(doc.paths["/api/v1/jobs"])).toEqual(["get", "post"]);
    expect(Object.keys(doc.paths["/api/v1/jobs/{id}"])).toEqual(["get", "delete"]);
    expect(doc.components.schemas.Job.properties.state.enum).toContain("partial");
  });
});
