import { type ErrorCode, ImagedriftError } from "@imagedrift/core";
import { afterEach, describe, expect, it } from "vitest";
import { cannedRoutes, NODES, TAGS } from "./api-fixtures.fake.js";
import { CollectorClient } from "./client.js";
import { type CannedResponse, closedPort, errorBody, FakeCollector } from "./collector.fake.js";

let fake: FakeCollector | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function clientFor(routes: Record<string, CannedResponse>, token: string | null = null, timeoutMs = 5000) {
  fake = await FakeCollector.start({ routes });
  return new CollectorClient({ server: new URL(fake.url), token, timeoutMs });
}

async function codeOf(promise: Promise<unknown>): Promise<[ErrorCode, string]> {
  const error = await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof ImagedriftError)) throw new Error(`expected an ImagedriftError, got ${String(error)}`);
  return [error.code, error.message];
}

describe("CollectorClient", () => {
  it("reads the items of a list, with the filter as query and the token as bearer", async () => {
    const client = await clientFor(cannedRoutes(), "s3cret");
    expect(await client.listNodes()).toEqual(NODES);
    expect(await client.listTags({ status: "stale" })).toEqual(TAGS.filter((t) => t.status === "stale"));
    expect(fake?.requests).toEqual([
      { method: "GET", url: "/api/v1/nodes", authorization: "Bearer s3cret" },
      { method: "GET", url: "/api/v1/tags?status=stale", authorization: "Bearer s3cret" },
    ]);
  });

  it("escapes the node name and keeps a path prefix", async () => {
    fake = await FakeCollector.start({ routes: { "/prefix/api/v1/nodes/a%2Fb/images": { body: { items: [] } } } });
    const client = new CollectorClient({ server: new URL(`${fake.url}/prefix/`), token: null, timeoutMs: 5000 });
    expect(await client.listNodeImages("a/b")).toEqual([]);
  });

  it.each([
    [400, "invalid-argument", /rejected the request: bad status/],
    [404, "not-found", /bad status/],
    [429, "resource-exhausted", /busy/],
    [500, "internal", /failed \(HTTP 500\): bad status/],
    [503, "internal", /failed \(HTTP 503\)/],
    [
      403,
      "permission-denied",
      /refused the token from --token or IMAGEDRIFT_TOKEN \(HTTP 403: bad status\): it must match the collector's --token-file/,
    ],
    [401, "unauthenticated", /refused the token from --token or IMAGEDRIFT_TOKEN \(HTTP 401/],
  ] as const)("maps HTTP %i to %s", async (status, code, message) => {
    const client = await clientFor({ "/api/v1/tags": { status, body: errorBody("x", "bad status") } }, "Zq9-secret");
    const [actual, text] = await codeOf(client.listTags());
    expect(actual).toBe(code);
    expect(text).toMatch(message);
    expect(text).not.toContain("Zq9-secret");
  });

  it("asks for a token when it has none and the collector wants one", async () => {
    const client = await clientFor({ "/api/v1/nodes": { status: 401, body: errorBody("unauthenticated", "no") } });
    expect(await codeOf(client.listNodes())).toEqual([
      "unauthenticated",
      "the collector needs a token: set --token or IMAGEDRIFT_TOKEN to the one in the collector's --token-file",
    ]);
  });

  it("rejects an answer that is not the API's", async () => {
    const client = await clientFor({ "/api/v1/nodes": { body: null, raw: "<html>" }, "/api/v1/tags": { body: [] } });
    expect((await codeOf(client.listNodes()))[1]).toMatch(/something other than JSON/);
    expect((await codeOf(client.listTags()))[1]).toMatch(/without an \{"items": \[\.\.\.\]\} list/);
  });

  it("POSTs a job as JSON, reads it back, lists and cancels jobs", async () => {
    const job = { id: "j1", type: "prepull", state: "running", createdAt: "", finishedAt: null, nodes: [] };
    const client = await clientFor(
      {
        "POST /api/v1/jobs": { status: 202, body: { id: "j1", state: "pending" } },
        "/api/v1/jobs/j1": { body: job },
        "/api/v1/jobs?state=running": { body: { items: [job] } },
        "DELETE /api/v1/jobs/j1": { status: 204, body: null, raw: "" },
      },
      "s3cret",
    );
    expect(await client.createJob({ type: "prepull", images: ["docker.io/library/nginx:1.27"] })).toEqual({
      id: "j1",
      state: "pending",
    });
    expect(await client.getJob("j1")).toEqual(job);
    expect(await client.listJobs({ state: "running" })).toEqual([job]);
    expect(await client.cancelJob("j1")).toBeNull();
    expect(fake?.requests.map((r) => [r.method, r.url, r.authorization, r.body])).toEqual([
      ["POST", "/api/v1/jobs", "Bearer s3cret", { type: "prepull", images: ["docker.io/library/nginx:1.27"] }],
      ["GET", "/api/v1/jobs/j1", "Bearer s3cret", undefined],
      ["GET", "/api/v1/jobs?state=running", "Bearer s3cret", undefined],
      ["DELETE", "/api/v1/jobs/j1", "Bearer s3cret", undefined],
    ]);
  });

  it("rejects job answers that are not the API's", async () => {
    const client = await clientFor({
      "POST /api/v1/jobs": { status: 202, body: {} },
      "/api/v1/jobs/x": { body: { id: "x" } },
    });
    expect((await codeOf(client.createJob({ type: "prune" })))[1]).toMatch(
      /answered POST \/api\/v1\/jobs without the \{"id"/,
    );
    expect((await codeOf(client.getJob("x")))[1]).toMatch(/answered GET \/api\/v1\/jobs\/x without a job/);
  });

  it("stops a request when its signal is aborted", async () => {
    const client = await clientFor({ "/api/v1/jobs/x": { body: {}, delayMs: 2000 } });
    const controller = new AbortController();
    const pending = codeOf(client.getJob("x", { signal: controller.signal }));
    controller.abort();
    expect((await pending)[0]).toBe("unavailable");
  });

  it("reports an unreachable collector as unavailable", async () => {
    const port = await closedPort();
    const client = new CollectorClient({ server: new URL(`http://127.0.0.1:${port}`), token: null, timeoutMs: 5000 });
    const [code, message] = await codeOf(client.listNodes());
    expect(code).toBe("unavailable");
    expect(message).toBe(
      `cannot reach the collector at http://127.0.0.1:${port}: connection refused (ECONNREFUSED) (set --server or IMAGEDRIFT_SERVER)`,
    );
  });

  it("reports a slow collector as deadline-exceeded", async () => {
    const client = await clientFor({ "/api/v1/nodes": { body: { items: [] }, delayMs: 2000 } }, null, 100);
    const [code, message] = await codeOf(client.listNodes());
    expect(code).toBe("deadline-exceeded");
    expect(message).toMatch(/did not answer within 100ms \(raise --timeout\)/);
  });
});
