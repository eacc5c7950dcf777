/**
 * Property-based tests of the REST API (fast-check, fixed seeds): the real
 * `createHttpServer` on a real in-memory SQLite store with the real node,
 * tag, finding and job stores, driven by random and boundary requests.
 * Whatever arrives, the answer is a 2xx read or a 4xx naming what was wrong,
 * never a 5xx, and no row changes (SQLite's `total_changes()` after every
 * case, every table's rows at the end).
 */
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { type NodeInventory, tryParseImageRef } from "@imagedrift/core";
import { inventoryHash } from "@imagedrift/protocol";
import type { Database } from "better-sqlite3";
import fc from "fast-check";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FuzzRuns, tableRows } from "../fuzz-runs.fake.js";
import { parseJobRequest } from "../jobs/job-request.js";
import { driftOnStores, httpServer, jobsOnStores } from "./collector.fake.js";

const TOKEN = "main-token-3f9a0c";
const READ_TOKEN = "read-token-77c1e2";
const BODY_LIMIT = 1024 * 1024;
/** Generous: CI machines are shared; a run takes seconds. */
const SLOW = { timeout: 60_000 };
const hex = (c: string) => c.repeat(64);

function inventoryOf(node: string): NodeInventory {
  return {
    node,
    runtime: { name: "containerd", version: "1.6.20", apiVersion: "v1" },
    scannedAt: "2025-01-01T00:00:00.000Z",
    images: [
      {
        id: `sha256:${hex("a")}`,
        repoTags: ["reg.example/app:1"],
        repoDigests: [`reg.example/app@sha256:${hex(node === "n1" ? "1" : "2")}`],
        size: 1000,
        pinned: false,
        sandbox: false,
        inUse: true,
        containers: [
          {
            id: `c-${node}`,
            pod: "web-0",
            namespace: "default",
            container: "app",
            state: "running",
            podUid: `uid-${node}`,
            image: "reg.example/app:1",
          },
        ],
      },
      {
        id: `sha256:${hex("b")}`,
        repoTags: ["local/only:dev"],
        repoDigests: [],
        size: 20,
        pinned: false,
        sandbox: false,
        inUse: false,
        containers: [],
      },
    ],
    pods: [{ id: `p-${node}`, name: "web-0", namespace: "default", uid: `uid-${node}`, state: "ready" }],
    imageFs: { mountpoint: "/var/lib/containerd", usedBytes: 1020, inodesUsed: null },
  };
}

interface World {
  app: FastifyInstance;
  db: Database;
  jobId: string;
  changes: () => number;
}

/** Two reporting nodes, their findings and one finished job, served with a main and a read token. */
async function world(): Promise<World> {
  const stores = driftOnStores((nodes) => {
    for (const name of ["n1", "n2"]) {
      nodes.hello(name, { agentVersion: "0.1.0", intervalMs: 60_000, labels: {} }, new Date());
      const inventory = inventoryOf(name);
      nodes.save(inventory, inventoryHash(inventory), new Date());
    }
  });
  const { db, drift } = stores;
  const { agents, runner } = jobsOnStores(stores);
  agents.connect("n1");
  agents.connect("n2");
  const app = httpServer(stores, {
    connectedNodes: () => ["n1"],
    token: TOKEN,
    readToken: READ_TOKEN,
    rateLimit: null,
    jobs: runner,
    resolveTags: (refs) => drift.resolveTags(refs),
  });
  const job = runner.submit({ type: "prepull", images: ["reg.example/app:1"] }, "token");
  await runner.settled(job.id);
  const total = db.prepare("SELECT total_changes()").pluck();
  // Let the job's tail and the coalesced recompute of findings land before anything is measured.
  for (let last = -1; last !== total.get(); ) {
    last = total.get() as number;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  cleanups.push(
    () => runner.stop(),
    () => app.close(),
  );
  return { app, db, jobId: job.id, changes: () => total.get() as number };
}

const cleanups: (() => Promise<unknown>)[] = [];
let w: World;
let before: Record<string, string[]>;
/** Cases run per property, printed at the end (CI logs show the count). */
const runs = new FuzzRuns();

beforeAll(async () => {
  w = await world();
  before = tableRows(w.db);
});

afterAll(async () => {
  expect(tableRows(w.db), "no table changed across every case").toEqual(before);
  console.log(runs.summary("REST fuzz"));
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A 4xx in the API's error shape, with a message; and not a row changed. */
function expectRefused(
  res: LightMyRequestResponse,
  changesBefore: number,
  method = "GET",
): { code: string; message: string } {
  expect(res.statusCode, res.body.slice(0, 300)).toBeGreaterThanOrEqual(400);
  expect(res.statusCode, res.body.slice(0, 300)).toBeLessThan(500);
  expect(w.changes(), "a refused request changed a row").toBe(changesBefore);
  if (method === "HEAD") return { code: "", message: "" };
  const body = res.json() as { error: { code: string; message: string } };
  expect(body.error.code).toMatch(/^[a-z-]+$/);
  expect(body.error.message.length).toBeGreaterThan(0);
  return body.error;
}

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const KNOWN_FIELDS = new Set([
  "type",
  "images",
  "nodes",
  "nodeSelector",
  "dryRun",
  "concurrency",
  "policy",
  "removeReplaced",
  "timeoutMs",
  "retries",
]);

const validRef = fc.constantFrom(
  "nginx",
  "reg.example/app:1",
  "library/busybox:1.36",
  `reg.example/app@sha256:${hex("c")}`,
  "localhost:5000/team/tool:v2.1",
);
/** Strings no reference parser accepts: random ones, and each rule broken on purpose. */
const badRef = fc.oneof(
  fc.string({ minLength: 1, maxLength: 40 }).filter((s) => tryParseImageRef(s) === null),
  fc.stringMatching(/^[a-z]{1,8}\/[A-Z][A-Za-z]{0,8}:1$/),
  fc.stringMatching(/^reg\.example\/app:[-.][a-z]{0,5}$/),
  fc.stringMatching(/^reg\.example\/app@sha256:[a-f0-9]{1,63}$/),
  fc.constantFrom(
    "nginx:",
    "a//b",
    ":tag",
    "reg.example:port/x",
    hex("d"),
    `sha256:${hex("e")}`,
    `x:${"t".repeat(129)}`,
  ),
);

type Case = { body: unknown; raw?: string; expect: string };

/** JSON without prototype keys (which are refused first, and tested on their own below). */
const plainJson = (depth = 3) =>
  fc.jsonValue({ maxDepth: depth }).filter((v) => !/"(__proto__|constructor|prototype)":/.test(JSON.stringify(v)));

/** A valid request with one defect, and what the error must name. */
const defective: fc.Arbitrary<Case> = fc.oneof(
  fc
    .tuple(
      fc
        .string({ minLength: 1, maxLength: 20 })
        .filter((k) => !KNOWN_FIELDS.has(k) && !["__proto__", "constructor"].includes(k)),
      plainJson(),
    )
    .map(([key, value]) => ({
      body: { type: "prepull", images: ["nginx"], [key]: value },
      expect: `unknown field ${JSON.stringify(key)}`,
    })),
  fc.tuple(fc.array(validRef, { maxLength: 3 }), badRef, fc.nat()).map(([refs, bad, at]) => {
    const i = at % (refs.length + 1);
    const images = [...refs.slice(0, i), bad, ...refs.slice(i)];
    return { body: { type: "prepull", images }, expect: `images[${i}]: invalid reference ${JSON.stringify(bad)}` };
  }),
  fc
    .constantFrom(
      ["dryRun", "yes"],
      ["dryRun", 1],
      ["concurrency", 0],
      ["concurrency", 1.5],
      ["concurrency", 1001],
      ["concurrency", "3"],
      ["retries", 11],
      ["retries", -1],
      ["timeoutMs", 999],
      ["timeoutMs", 86_400_001],
      ["nodes", "n1"],
      ["nodes", [""]],
      ["nodeSelector", ["a"]],
      ["nodeSelector", { zone: 1 }],
      ["images", "nginx"],
      ["images", [1]],
    )
    .map(([field, value]) => ({ body: { type: "prepull", images: ["nginx"], [field]: value }, expect: `${field}` })),
  fc
    .string({ maxLength: 20 })
    .filter((t) => !["prepull", "refresh", "prune"].includes(t))
    .map((type) => ({ body: { type }, expect: "type: must be one of prepull, refresh, prune" })),
  fc.constant({ body: { images: ["nginx"] }, expect: "type: required" }),
  fc
    .stringMatching(/^[a-z0-9][-a-z0-9.]{0,30}$/)
    .filter((n) => n !== "n1" && n !== "n2")
    // A digest: a tag would be resolved before the node check refuses the request (SECURITY.md).
    .map((node) => ({
      body: { type: "prepull", images: [`reg.example/app@sha256:${hex("c")}`], nodes: ["n1", node] },
      expect: `nodes: unknown node ${JSON.stringify(node)}`,
    })),
  fc.constant({ body: { type: "refresh", policy: { mode: "unused" } }, expect: "policy: only for prune, not refresh" }),
  fc.constant({ body: { type: "prepull", images: [] }, expect: "images: prepull needs at least one image" }),
  fc.constant({ body: { type: "prune" }, expect: "policy: prune needs a policy" }),
  fc
    .string({ maxLength: 12 })
    .filter((m) => !["dangling", "unused", "stale"].includes(m))
    .map((mode) => ({ body: { type: "prune", policy: { mode } }, expect: "policy.mode: must be one of" })),
  fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 100 })).map((pct) => ({
    body: { type: "prune", policy: { mode: "unused", targetUsagePercent: pct } },
    expect: "policy.targetUsagePercent: must be between 1 and 99",
  })),
  fc
    .dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[a-z]{0,8}$/), { minKeys: 1, maxKeys: 3 })
    .map((nodeSelector) => ({
      body: { type: "prepull", images: [`reg.example/app@sha256:${hex("c")}`], nodeSelector },
      expect: "nodeSelector: no label source",
    })),
  fc
    .oneof(fc.array(plainJson()), fc.integer(), fc.string(), fc.constant(null), fc.boolean())
    .map((body) => ({ body, expect: "the body must be a JSON object" })),
  fc
    .constantFrom('{"type":"prepull","__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"x":1}}}')
    .map((raw) => ({ body: null, raw, expect: 'forbidden "__proto__" or "constructor.prototype" key' })),
);

describe("POST /api/v1/jobs with bad bodies", () => {
  it("a request with one defect → 400 naming it; no row changes", SLOW, async () => {
    await runs.check("job-defects", defective, 3000, 0x5eed01, async (c) => {
      const n = w.changes();

      const res = await w.app.inject({
        method: "POST",
        url: "/api/v1/jobs",
        headers: { ...auth(TOKEN), "content-type": "application/json" },
        payload: c.raw ?? JSON.stringify(c.body),
      });
      expect(res.statusCode, res.body).toBe(400);
      expect(expectRefused(res, n, "POST").message).toContain(c.expect);
    });
  });

  it("any JSON value that is not a valid request → 400; never 5xx", SLOW, async () => {
    const notAValidRequest = fc.jsonValue({ maxDepth: 4 }).filter((v) => {
      try {
        parseJobRequest(v);
        return false;
      } catch {
        return true;
      }
    });
    await runs.check("job-json", notAValidRequest, 1500, 0x5eed02, async (body) => {
      const n = w.changes();
      const res = await w.app.inject({
        method: "POST",
        url: "/api/v1/jobs",
        headers: { ...auth(TOKEN), "content-type": "application/json" },
        payload: JSON.stringify(body),
      });
      expect(res.statusCode, res.body).toBe(400);
      expect(expectRefused(res, n, "POST").message).toMatch(/^invalid job request: /);
    });
  });

  it("any bytes under any content-type → 400 or 415 naming the problem", SLOW, async () => {
    const contentType = fc.oneof(
      fc.constantFrom(
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/octet-stream",
        "",
      ),
      fc.stringMatching(/^[ -~]{0,40}$/),
    );
    const body = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      fc.constantFrom("", "{", "[", "nul", '{"type":', "\u0000", "{}}", '{"a":1,}', "1e999999", '"\\ud800"'),
      fc.integer({ min: 1, max: 5000 }).map((depth) => `${"[".repeat(depth)}${"]".repeat(depth)}`),
      fc.integer({ min: 1, max: 5000 }).map((depth) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`),
    );
    await runs.check("job-bytes", fc.tuple(contentType, body), 1500, 0x5eed03, async ([type, payload]) => {
      const n = w.changes();
      const res = await w.app.inject({
        method: "POST",
        url: "/api/v1/jobs",
        headers: { ...auth(TOKEN), ...(type ? { "content-type": type } : {}) },
        payload,
      });
      const error = expectRefused(res, n, "POST");
      expect([400, 415]).toContain(res.statusCode);
      if (res.statusCode === 415) expect(error.message).toContain("unsupported content-type");
    });
  });
});

describe("any request line and token", () => {
  const segment = fc.oneof(
    fc.string({ maxLength: 30 }).map(encodeURIComponent),
    fc.stringMatching(/^[-a-zA-Z0-9._~!$&'()*+,;=:@%]{0,30}$/),
    fc.uint8Array({ maxLength: 12 }).map((b) => [...b].map((x) => `%${x.toString(16).padStart(2, "0")}`).join("")),
    fc.constantFrom("n1", "n2", "..", ".", "%", "%zz", "%E0%A4%A", "%00", "%2F", "a".repeat(253), "a".repeat(1100)),
  );
  const query = fc
    .tuple(fc.constantFrom("status", "kind", "severity", "state", "limit", "x"), fc.string({ maxLength: 20 }))
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
  const path = fc.oneof(
    segment.map((s) => `/api/v1/nodes/${s}/images`),
    segment.map((s) => `/api/v1/jobs/${s}`),
    fc
      .tuple(fc.constantFrom("tags", "findings", "jobs", "nodes"), fc.array(query, { maxLength: 3 }))
      .map(([r, q]) => `/api/v1/${r}?${q.join("&")}`),
    fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join("/")}`),
    fc.constantFrom(
      "/",
      "/openapi.json",
      "/metrics",
      "/healthz",
      "/readyz",
      "/api/v1/nodes",
      "/api/v1/tags",
      "/api/v1/findings",
      "/api/v1/jobs",
      "//api/v1/nodes",
      "/api/v1/nodes/",
      "/API/v1/nodes",
      "/%61pi/v1/nodes",
      "/api/v1/%6eodes",
      "/api%2Fv1/nodes",
      "/api/v1/nodes/n1/images",
      "/api/v1/nodes/n%31/images",
    ),
  );
  const method = fc.constantFrom("GET", "HEAD", "DELETE", "PUT", "PATCH", "OPTIONS", "POST");
  const token = fc.oneof(
    fc.constant(undefined),
    fc.constantFrom(`Bearer ${TOKEN}`, `Bearer ${READ_TOKEN}`, `bearer ${TOKEN}`, TOKEN, `Basic ${TOKEN}`, "Bearer "),
    fc.stringMatching(/^[!-~]{1,40}$/).map((t) => `Bearer ${t}`),
    fc.stringMatching(/^[ -~]{1,60}$/),
  );

  it("4xx or a 2xx read, never 5xx; no data without a token; no row changes", SLOW, async () => {
    await runs.check("requests", fc.tuple(method, path, token), 3500, 0x5eed04, async ([m, url, authorization]) => {
      const n = w.changes();
      const res = await w.app.inject({
        method: m as "GET",
        url,
        headers: authorization === undefined ? {} : { authorization },
        ...(m === "POST" || m === "PUT" || m === "PATCH" ? { payload: {} } : {}),
      });
      expect(res.statusCode, `${m} ${url} → ${res.body.slice(0, 200)}`).toBeLessThan(500);
      if (res.statusCode >= 400) {
        const error = expectRefused(res, n, m);
        // A wrong token is never echoed back.
        if (authorization && authorization.length > 12 && res.statusCode === 401) {
          expect(error.message).not.toContain(authorization.slice(7));
        }
        return;
      }
      expect(w.changes()).toBe(n);
      const valid =
        authorization === `Bearer ${TOKEN}` ||
        authorization === `Bearer ${READ_TOKEN}` ||
        authorization === `bearer ${TOKEN}`;
      if (!valid && m === "GET") {
        // Without a valid token, no encoding of a path reaches the data under /api/.
        const body = String(res.headers["content-type"]).startsWith("application/json") ? res.json() : {};
        expect(Object.keys(body), `${m} ${url} served data without a token`).not.toContain("items");
        expect(Object.keys(body), `${m} ${url} served a job without a token`).not.toContain("createdBy");
      }
      expect(["GET", "HEAD"], `${m} ${url} succeeded`).toContain(m);
    });
  });

  it("mutations: missing token → 401 naming what to send; wrong → 401; read token → 403", SLOW, async () => {
    const mutation = fc.constantFrom(
      { method: "POST" as const, url: "/api/v1/jobs", payload: { type: "refresh" } },
      { method: "DELETE" as const, url: "/api/v1/jobs/x" },
    );
    const presented = fc.oneof(
      fc.constant({ header: undefined, status: 401, says: "needs a token: send Authorization: Bearer <token>" }),
      fc.constant({ header: `Bearer ${READ_TOKEN}`, status: 403, says: "the read token cannot" }),
      fc
        .stringMatching(/^[!-~]{1,64}$/)
        .filter((t) => t !== TOKEN && t !== READ_TOKEN)
        .map((t) => ({ header: `Bearer ${t}`, status: 401, says: "the token is not valid" })),
      fc
        .stringMatching(/^[!-~]{1,64}$/)
        .filter((t) => !/^bearer /i.test(t))
        .map((t) => ({ header: t, status: 401, says: 'must be "Bearer <token>"' })),
    );
    await runs.check("access", fc.tuple(mutation, presented), 1000, 0x5eed05, async ([req, who]) => {
      const n = w.changes();
      const res = await w.app.inject({
        ...req,
        headers: who.header === undefined ? {} : { authorization: who.header },
      });
      expect(res.statusCode).toBe(who.status);
      expect(expectRefused(res, n, req.method).message).toContain(who.says);
    });
  });

  it("reads under /api/ need one of the two tokens; health, metrics and the page do not", async () => {
    for (const url of [
      "/api/v1/nodes",
      "/api/v1/tags",
      "/api/v1/findings",
      "/api/v1/jobs",
      `/api/v1/jobs/${w.jobId}`,
    ]) {
      const none = await w.app.inject({ url });
      expect(none.statusCode).toBe(401);
      expect(none.json().error.message).toContain("needs a token");
      expect((await w.app.inject({ url, headers: auth("nope") })).statusCode).toBe(401);
      expect((await w.app.inject({ url, headers: auth(READ_TOKEN) })).statusCode).toBe(200);
      expect((await w.app.inject({ url, headers: auth(TOKEN) })).statusCode).toBe(200);
    }
    for (const url of ["/healthz", "/readyz", "/metrics", "/", "/openapi.json"]) {
      expect((await w.app.inject({ url })).statusCode, url).toBe(200);
    }
  });

  it("a node name of 253 characters is a path parameter like any other (was 414 past 100)", async () => {
    const name = `${"a".repeat(251)}.b`;
    const res = await w.app.inject({ url: `/api/v1/nodes/${name}/images`, headers: auth(READ_TOKEN) });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.message).toBe(`node "${name}" is not known to the collector`);
    const bad = await w.app.inject({ url: "/api/v1/nodes/%E0%A4%A/images", headers: auth(READ_TOKEN) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toEqual({
      code: "invalid-argument",
      message: "the URL path '/api/v1/nodes/%E0%A4%A/images' is not valid (bad percent-encoding)",
    });
  });
});

describe("bodies over the limit", () => {
  it("→ 413 naming the limit, with a Content-Length or not; at the limit, not 413", SLOW, async () => {
    const sizes = fc.oneof(
      fc.integer({ min: BODY_LIMIT - 16, max: BODY_LIMIT + 16 }),
      fc.integer({ min: BODY_LIMIT + 1, max: 4 * BODY_LIMIT }),
    );
    await runs.check("body-limit", sizes, 40, 0x5eed06, async (size) => {
      const n = w.changes();
      const payload = `{"type":"prepull","images":["${"a".repeat(Math.max(0, size - 31))}"]}`;
      const res = await w.app.inject({
        method: "POST",
        url: "/api/v1/jobs",
        headers: { ...auth(TOKEN), "content-type": "application/json" },
        payload,
      });
      const error = expectRefused(res, n, "POST");
      if (Buffer.byteLength(payload) > BODY_LIMIT) {
        expect(res.statusCode).toBe(413);
        expect(error).toEqual({
          code: "resource-exhausted",
          message: `the request body is larger than the limit of ${BODY_LIMIT} bytes`,
        });
      } else {
        expect(res.statusCode).toBe(400);
      }
    });
  });

  it("a chunked body (no Content-Length) over the limit → 413, on a real socket", async () => {
    const address = await w.app
      .listen({ host: "127.0.0.1", port: 0 })
      .then(() => w.app.server.address() as AddressInfo);
    const n = w.changes();
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: "127.0.0.1",
          port: address.port,
          method: "POST",
          path: "/api/v1/jobs",
          headers: { ...auth(TOKEN), "content-type": "application/json", "transfer-encoding": "chunked" },
        },
        (res) => {
          let text = "";
          res.on("data", (chunk) => {
            text += chunk;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on("error", reject);
      const chunk = "x".repeat(64 * 1024);
      for (let i = 0; i < 20; i++) req.write(chunk);
      req.end();
    });
    expect(status).toBe(413);
    expect(JSON.parse(body).error.message).toContain(`larger than the limit of ${BODY_LIMIT} bytes`);
    expect(w.changes()).toBe(n);
  });
});
