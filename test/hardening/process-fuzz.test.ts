/**
 * The real collector process under bad input (fast-check, fixed seeds):
 * random requests over real HTTP connections (bad JSON, wrong types, bodies
 * past the 1 MiB limit with and without Content-Length, bytes that are not
 * HTTP at all) and random gRPC streams (bytes that are no AgentMessage, bad
 * metadata, bad inventories on a reporting node's own stream). Afterwards
 * the process is still up and ready, no answer was a 5xx or INTERNAL, and
 * the SQLite file holds exactly the rows it held before.
 */

import { mkdtemp } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import * as grpc from "@grpc/grpc-js";
import {
  type AgentMessage,
  AUTHORIZATION_METADATA_KEY,
  agentGateway,
  type CollectorMessage,
  channelOptions,
  NODE_METADATA_KEY,
  type WireInventory,
} from "@imagedrift/protocol";
import BetterSqlite3 from "better-sqlite3";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../lab/wait.js";
import { type Collector, startCollector } from "../scenario/processes.js";

const TOKEN = "fuzz-token-2c8e";
const hex = (n: number) => n.toString(16).padStart(64, "0");
const CONNECT = "/imagedrift.v1.AgentGateway/Connect";
let collector: Collector;
let client: grpc.Client & { Connect: (md: grpc.Metadata) => grpc.ClientDuplexStream<AgentMessage, CollectorMessage> };
let sim: grpc.ClientDuplexStream<AgentMessage, CollectorMessage>;
let jobId: string;
let before: Record<string, string[]>;
const ran: Record<string, number> = {};
const started = performance.now();

const wire: WireInventory = {
  hash: `sha256:${hex(5)}`,
  scannedAt: "2025-01-01T00:00:00Z",
  runtime: { name: "containerd", version: "1.6.20", apiVersion: "v1" },
  images: [
    {
      id: `sha256:${hex(1)}`,
      repoTags: ["reg.invalid/app:1"],
      repoDigests: [`reg.invalid/app@sha256:${hex(2)}`],
      size: "1000",
      pinned: false,
      sandbox: false,
      inUse: false,
      containers: [],
    },
  ],
  pods: [],
  imageFs: { mountpoint: "/var/lib/containerd", usedBytes: "1000", inodesUsed: null },
};

function metadata(node: string, token: string | null = TOKEN): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set(NODE_METADATA_KEY, node);
  if (token !== null) md.set(AUTHORIZATION_METADATA_KEY, `Bearer ${token}`);
  return md;
}

/** Every table's rows, read from the file beside the running collector (read-only: never a second writer). */
function snapshot(): Record<string, string[]> {
  const db = new BetterSqlite3(collector.db, { readonly: true, fileMustExist: true });
  try {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all() as string[];
    return Object.fromEntries(
      tables.map((t) => [
        t,
        (db.prepare(`SELECT * FROM "${t}"`).all() as unknown[]).map((r) => JSON.stringify(r)).sort(),
      ]),
    );
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  collector = await startCollector({
    dir: await mkdtemp("/tmp/idl-pfz-"),
    token: TOKEN,
    resolveInterval: "1h",
    extraArgs: ["--rate-limit", "off"],
  });
  const Client = agentGateway();
  client = new Client(
    collector.grpcAddress,
    grpc.credentials.createInsecure(),
    channelOptions,
  ) as unknown as typeof client;
  // A simulated agent: reports one inventory and fails every command at once.
  sim = client.Connect(metadata("sim1"));
  sim.on("error", () => {});
  sim.on("data", (message: CollectorMessage) => {
    if (message.body !== "command") return;
    sim.write({
      body: "commandUpdate",
      commandUpdate: { id: message.command.id, state: "failed", message: "simulated failure", resultJson: "{}" },
    });
  });
  sim.write({
    body: "hello",
    hello: { node: "sim1", agentVersion: "0.1.0", intervalMs: 3_600_000, inventoryHash: "", labels: {} },
  });
  sim.write({ body: "inventory", inventory: wire });
  await waitFor(async () => (await (await fetch(`${collector.url}/api/v1/nodes`)).text()).includes('"imageCount":1'), {
    what: "sim1's inventory stored",
  });
  const created = await fetch(`${collector.url}/api/v1/jobs`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ type: "prepull", images: [`reg.invalid/app@sha256:${hex(2)}`], retries: 0 }),
  });
  jobId = ((await created.json()) as { id: string }).id;
  await waitFor(
    async () =>
      ((await (await fetch(`${collector.url}/api/v1/jobs/${jobId}`)).json()) as { state: string }).state === "failed",
    { what: "the seeded job to finish" },
  );
  // The first resolution of sim1's tag fails (no such registry) after its retries: wait for it.
  await waitFor(
    async () => {
      const tags = (await (await fetch(`${collector.url}/api/v1/tags`)).json()) as { items: { resolvedAt: unknown }[] };
      return tags.items[0]?.resolvedAt ?? undefined; // null is an answer to waitFor
    },
    { what: "sim1's tag to be resolved (or to fail)", timeoutMs: 30_000 },
  );
  // Quiet: two snapshots a moment apart agree.
  await waitFor(
    async () => {
      const a = JSON.stringify(snapshot());
      await new Promise((resolve) => setTimeout(resolve, 300));
      return a === JSON.stringify(snapshot());
    },
    { what: "the database to settle" },
  );
  before = snapshot();
});

afterAll(async () => {
  const total = Object.values(ran).reduce((a, b) => a + b, 0);
  console.log(
    `collector process fuzz: ${total} cases in ${((performance.now() - started) / 1000).toFixed(1)}s ${JSON.stringify(ran)}`,
  );
  sim?.end();
  client?.close();
  await collector?.stop();
});

async function check<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  numRuns: number,
  seed: number,
  run: (v: T) => Promise<void>,
) {
  let count = 0;
  await fc.assert(
    fc.asyncProperty(arbitrary, async (value) => {
      count++;
      await run(value);
    }),
    { numRuns, seed, endOnFailure: true },
  );
  ran[name] = count;
}

describe("HTTP", () => {
  it("random requests get 2xx reads or 4xx errors naming the problem, never 5xx", async () => {
    const path = fc.oneof(
      fc.constantFrom(
        "/api/v1/jobs",
        "/api/v1/nodes",
        "/api/v1/tags?status=x",
        "/api/v1/findings?kind=",
        "/",
        "/metrics",
      ),
      fc.constantFrom("/api/v1/nodes/sim1/images", `/api/v1/jobs/${"x".repeat(2000)}`, "/api/v1/nodes/%E0%A4%A/images"),
      fc.stringMatching(/^\/[-a-zA-Z0-9._~%/?=&]{0,60}$/),
    );
    const body = fc.oneof(
      fc.constant(undefined),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify({ type: "prepull", images: ["nginx"], fuzz: v })),
      fc.string({ maxLength: 100 }),
      fc.constantFrom("{", '{"type":"prune","policy":{"mode":"x"}}', '{"__proto__":{"a":1}}'),
    );
    const request = fc.record({
      method: fc.constantFrom("GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"),
      path,
      body,
      token: fc.constantFrom(TOKEN, "wrong", null),
      type: fc.constantFrom("application/json", "text/plain", "application/xml", null),
    });
    await check("http", request, 1500, 0x7ac701, async (r) => {
      const hasBody = r.body !== undefined && r.method !== "GET" && r.method !== "HEAD";
      const res = await fetch(`${collector.url}${r.path}`, {
        method: r.method,
        headers: {
          ...(r.token ? { authorization: `Bearer ${r.token}` } : {}),
          ...(r.type && hasBody ? { "content-type": r.type } : {}),
        },
        body: hasBody ? r.body : undefined,
      });
      const text = await res.text();
      expect(res.status, `${r.method} ${r.path} → ${text.slice(0, 200)}`).toBeLessThan(500);
      if (res.status === 202) throw new Error(`a job was created by ${r.method} ${r.path} ${r.body}`);
      if (res.status >= 400 && r.method !== "HEAD") {
        const error = (JSON.parse(text) as { error: { code: string; message: string } }).error;
        expect(error.message.length).toBeGreaterThan(0);
      }
    });
  });

  /**
   * POSTs `size` bytes, with a Content-Length (sent only once the headers are answered, as a client
   * using `Expect: 100-continue` would: the collector refuses on the header alone) or chunked. The
   * collector answers 413 and closes: a chunked client still writing may see its connection reset
   * before it reads the answer (no lingering close), so that case is tried up to 3 times.
   */
  function postBig(size: number, chunked: boolean): Promise<{ status: number; body: string }> {
    const { port } = new URL(collector.url);
    return new Promise((resolve, reject) => {
      let answered = false;
      const req = httpRequest(
        {
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/api/v1/jobs",
          headers: {
            authorization: `Bearer ${TOKEN}`,
            "content-type": "application/json",
            ...(chunked ? { "transfer-encoding": "chunked" } : { "content-length": String(size) }),
          },
        },
        (res) => {
          answered = true;
          let body = "";
          res.on("data", (chunk) => {
            body += chunk;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
          res.on("error", () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on("error", (error) => {
        if (!answered) reject(error);
      });
      if (!chunked) {
        req.flushHeaders();
        return;
      }
      const chunk = Buffer.alloc(64 * 1024, "x");
      for (let sent = 0; sent < size; sent += chunk.length)
        req.write(chunk.subarray(0, Math.min(chunk.length, size - sent)));
      req.end();
    });
  }

  async function tryPostBig(size: number, chunked: boolean): Promise<{ status: number; body: string }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await postBig(size, chunked);
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
  }

  it("bodies past 1 MiB → 413 naming the limit, with a Content-Length or chunked", async () => {
    const sizes = [1024 * 1024 + 1, 1024 * 1024 + 64 * 1024, 8 * 1024 * 1024];
    for (const size of sizes) {
      for (const chunked of [false, true]) {
        const { status, body } = await tryPostBig(size, chunked);
        expect(status, `${size} bytes, chunked: ${chunked}`).toBe(413);
        expect((JSON.parse(body) as { error: { message: string } }).error.message).toBe(
          "the request body is larger than the limit of 1048576 bytes",
        );
      }
    }
    ran.oversize = sizes.length * 2;
  });

  it("bytes that are not HTTP: answered 4xx in the API's error shape, or the connection closed", async () => {
    const port = Number(new URL(collector.url).port);
    const junk = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b)),
      fc
        .constantFrom(
          "GET / HTTP/9.9\r\n\r\n",
          "GET /\r\n\r\n",
          `GET / HTTP/1.1\r\nHost: x\r\nX: ${"a".repeat(20_000)}\r\n\r\n`,
          "POST /api/v1/jobs HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
          "POST /api/v1/jobs HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        )
        .map((s) => Buffer.from(s)),
    );
    await check("not-http", junk, 300, 0x7ac702, async (bytes) => {
      const reply = await new Promise<string>((resolve) => {
        const socket = connect(port, "127.0.0.1");
        let text = "";
        socket.setTimeout(2_000, () => socket.destroy());
        socket.on("data", (chunk) => {
          text += chunk.toString("latin1");
        });
        socket.on("close", () => resolve(text));
        socket.on("error", () => resolve(text));
        socket.end(bytes);
      });
      const status = /^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1];
      if (status === undefined) return; // closed without an answer (e.g. bytes after a half-close)
      expect(Number(status), reply.slice(0, 200)).toBeLessThan(500);
      if (Number(status) >= 400) expect(reply).toMatch(/"error":\{"code":"[a-z-]+","message":"[^"]+"/);
    });
  });
});

describe("gRPC", () => {
  function rawStream(node: string, frames: Buffer[], token: string | null = TOKEN): Promise<grpc.StatusObject> {
    return new Promise((resolve) => {
      const call = client.makeBidiStreamRequest(
        CONNECT,
        (b: Buffer) => b,
        (b: Buffer) => b,
        metadata(node, token),
      );
      call.on("data", () => {});
      call.on("error", () => {});
      call.on("status", resolve);
      for (const frame of frames) call.write(frame);
      call.end();
    });
  }

  it("bytes that are no AgentMessage, and bad metadata, end the stream with a named 4xx-like status", async () => {
    const stream = fc.record({
      node: fc.oneof(fc.constant("fuzz"), fc.stringMatching(/^[ -~]{0,20}$/)),
      token: fc.constantFrom(TOKEN, "wrong", null),
      frames: fc.array(
        fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b)),
        { minLength: 1, maxLength: 3 },
      ),
    });
    const allowed = [
      grpc.status.OK,
      grpc.status.INVALID_ARGUMENT,
      grpc.status.FAILED_PRECONDITION,
      grpc.status.UNAUTHENTICATED,
    ];
    await check("grpc-bytes", stream, 300, 0x7ac703, async ({ node, token, frames }) => {
      const status = await rawStream(node, frames, token);
      expect(allowed, `${status.code} ${status.details}`).toContain(status.code);
    });
  });

  it("bad inventories on sim1's own stream are rejected; the stored one stays", async () => {
    const bad = fc.oneof(
      fc.string({ maxLength: 30 }).map((id) => ({ ...wire, images: [{ ...wire.images[0], id }] })),
      fc
        .string({ maxLength: 30 })
        .map((tag) => ({ ...wire, images: [{ ...wire.images[0], repoTags: [`Bad/${tag}`] }] })),
      fc.string({ maxLength: 30 }).map((scannedAt) => ({ ...wire, scannedAt })),
      fc.constant({ ...wire, runtime: null }),
    );
    await check("grpc-inventories", bad, 300, 0x7ac704, async (inventory) => {
      sim.write({ body: "inventory", inventory: inventory as WireInventory });
    });
    // A heartbeat with an unknown hash gets a resend request: sim1's stream is still served, after every bad message.
    const resent = new Promise<void>((resolve) =>
      sim.on("data", (m: CollectorMessage) => m.body === "resendInventory" && resolve()),
    );
    sim.write({ body: "heartbeat", heartbeat: { inventoryHash: `sha256:${hex(9)}` } });
    await resent;
  });
});

describe("afterwards", () => {
  it("the process is up and ready, and no row of any table changed (but sim1's heartbeat time)", async () => {
    expect(collector.daemon.exit).toBeUndefined();
    expect((await fetch(`${collector.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${collector.url}/readyz`)).status).toBe(200);
    const after = snapshot();
    const withoutReportTime = (rows: Record<string, string[]>) => ({
      ...rows,
      nodes: (rows.nodes ?? []).map((r) => r.replace(/"last_report_at":"[^"]+"/, "")),
    });
    expect(withoutReportTime(after)).toEqual(withoutReportTime(before));
    const nodes = (await (await fetch(`${collector.url}/api/v1/nodes`)).json()) as { items: { name: string }[] };
    expect(nodes.items.map((n) => n.name)).toEqual(["sim1"]);
  });
});
