/**
 * The agent's HTTP port, on the real binary beside a real containerd node,
 * serves /metrics, /healthz and /readyz to GET and HEAD, and nothing else:
 * every other method is 405, every other path 404, whatever the encoding,
 * and no request, with any body, makes the node pull or remove an image.
 * Only the collector, over the stream the agent dials, can make it act.
 */

import { mkdtemp } from "node:fs/promises";
import { request } from "node:http";
import { CriClient } from "@imagedrift/cri";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Lab, startLab } from "../lab/index.js";
import { type Agent, startAgent } from "../scenario/processes.js";

let lab: Lab;
let agent: Agent;
let port: number;
let ref: string;

beforeAll(async () => {
  lab = await startLab({ nodes: ["n1"] });
  ref = lab.ref("hardening/never-pulled:1");
  await lab.buildAndPush(ref, { salt: "agent http" });
  agent = await startAgent({ dir: await mkdtemp("/tmp/idl-ahttp-"), node: "n1", endpoint: lab.node("n1").endpoint });
  port = Number(new URL(agent.url).port);
});

afterAll(async () => {
  await agent?.stop();
  await lab?.stop();
});

/** One raw HTTP request (any method token, any request target); the status, or how the connection ended. */
function send(method: string, path: string, body?: string): Promise<number | string> {
  // Node's client frames no body for GET unless told its length.
  const length = body === undefined ? {} : { "content-length": String(Buffer.byteLength(body)) };
  const headers = { "content-type": "application/json", ...length };
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.setTimeout(5_000, () => req.destroy(new Error("timeout")));
    req.end(body);
  });
}

async function nodeImages(): Promise<string[]> {
  const cri = CriClient.connect({ endpoint: lab.node("n1").endpoint });
  try {
    return (await cri.listImages()).flatMap((i) => [i.id, ...i.repoTags]).sort();
  } finally {
    cri.close();
  }
}

const SERVED = new Set(["/metrics", "/healthz", "/readyz"]);
/** What the agent must answer: 200 for GET/HEAD of what it serves, 405 for any other method, 404 for any other path. */
function expected(method: string, path: string): number {
  if (method !== "GET" && method !== "HEAD") return 405;
  return SERVED.has(path.split("?")[0] ?? "") ? 200 : 404;
}

it("serves metrics and health to GET and HEAD only: every other method 405, every other path 404", async () => {
  const before = await nodeImages();
  const methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND", "PULL"];
  const paths = [
    ...["/metrics", "/healthz", "/readyz", "/healthz?verbose=1", "/", "/pull", "/prune", "/remove", "/inventory"],
    ...["/api/v1/jobs", "/commands", "/debug/pprof", "/metrics/", "//metrics", "/metrics/../pull", "/%6detrics"],
    ...["/healthz/../prune", "*", `/pull?ref=${encodeURIComponent(ref)}`, `/prune?policy=unused`],
  ];
  const body = JSON.stringify({ type: "pull", images: [{ ref }], ref, policy: { mode: "unused" } });
  const answers: string[] = [];
  for (const method of methods) {
    for (const path of paths) {
      const status = await send(method, path, method === "GET" || method === "HEAD" ? undefined : body);
      answers.push(`${method} ${path} → ${status}`);
      expect(status, `${method} ${path}`).toBe(expected(method, path));
    }
  }
  expect(answers.filter((a) => a.endsWith("→ 200")).length).toBe(8); // 2 methods × 4 served URLs
  expect(await nodeImages()).toEqual(before);
});

it("random methods, paths and bodies (fast-check, fixed seed): never anything but 200 for GET/HEAD of what it serves", async () => {
  const before = await nodeImages();
  const method = fc.oneof(
    fc.constantFrom("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"),
    fc.stringMatching(/^[A-Z]{1,10}$/).filter((m) => m !== "CONNECT"),
  );
  const path = fc.oneof(
    fc.constantFrom("/metrics", "/healthz", "/readyz", "/pull", "/prune"),
    fc.stringMatching(/^\/[!-~]{0,40}$/),
    fc
      .array(fc.constantFrom("metrics", "healthz", "pull", "prune", "..", ".", "%2e%2e", ""), { maxLength: 4 })
      .map((p) => `/${p.join("/")}`),
  );
  const body = fc.oneof(fc.constant(undefined), fc.string({ maxLength: 200 }), fc.constant(JSON.stringify({ ref })));
  let cases = 0;
  await fc.assert(
    fc.asyncProperty(method, path, body, async (m, p, b) => {
      cases++;
      const status = await send(m, p, b);
      expect(status, `${m} ${p}`).toBe(expected(m, p));
    }),
    { numRuns: 600, seed: 0xa9e47, endOnFailure: true },
  );
  console.log(`agent HTTP fuzz: ${cases} requests`);
  expect(await nodeImages()).toEqual(before);
  expect(before.some((name) => name === ref)).toBe(false);
});
