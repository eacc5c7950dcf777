/**
 * Property-based tests of the agents' gRPC side (fast-check, fixed seeds):
 * the real AgentGateway on 127.0.0.1:0, wired to the real DriftService,
 * stores and job runner on an in-memory SQLite database as main.ts wires
 * them, driven by a real client of `@imagedrift/protocol`. Bad inventories
 * are rejected naming their path and leave the stored one intact; bad
 * bytes, hellos and metadata end the stream with a 4xx-like status
 * (INVALID_ARGUMENT, FAILED_PRECONDITION, UNAUTHENTICATED), never INTERNAL;
 * the server stays up and no row changes.
 */
import * as grpc from "@grpc/grpc-js";
import { createLogger, type NodeInventory, parseRepoDigest, tryParseImageRef } from "@imagedrift/core";
import {
  type AgentMessage,
  AUTHORIZATION_METADATA_KEY,
  agentGateway,
  type CollectorMessage,
  channelOptions,
  inventoryHash,
  NODE_METADATA_KEY,
  toWireInventory,
  type WireInventory,
} from "@imagedrift/protocol";
import type { Database } from "better-sqlite3";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DriftService } from "../drift/index.js";
import { FuzzRuns, tableRows } from "../fuzz-runs.fake.js";
import { clusterFacts, commandPreparer, JobRunner, JobStore } from "../jobs/index.js";
import { CollectorMetrics } from "../metrics.js";
import { emptyRegistriesConfig } from "../registry/registry-host.js";
import { FindingStore, NodeStore, openDatabase, TagStore } from "../store/index.js";
import { AgentGateway, type AgentHandlers } from "./agent-gateway.js";

const TOKEN = "agent-token-5d2e";
const SLOW = { timeout: 60_000 };
const hex = (n: number) => n.toString(16).padStart(64, "0");
const CONNECT = "/imagedrift.v1.AgentGateway/Connect";
type AgentStream = grpc.ClientDuplexStream<AgentMessage, CollectorMessage>;

/** Log lines as the collector writes them, with a way to wait for the next one that matches. */
class LogTap {
  readonly lines: Record<string, unknown>[] = [];
  #waiters: { match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }[] =
    [];

  write = (text: string) => {
    const line = JSON.parse(text) as Record<string, unknown>;
    this.lines.push(line);
    const matched = this.#waiters.filter((w) => w.match(line));
    this.#waiters = this.#waiters.filter((w) => !matched.includes(w));
    for (const w of matched) w.resolve(line);
  };

  next(msg: string, what: string, timeoutMs = 5_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${msg}" log line for ${what}`)), timeoutMs);
      this.#waiters.push({
        match: (line) => line.msg === msg,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  }
}

function inventory(images: number): NodeInventory {
  return {
    node: "n1",
    runtime: { name: "containerd", version: "1.6.20", apiVersion: "v1" },
    scannedAt: "2025-01-01T00:00:00Z",
    images: Array.from({ length: images }, (_, i) => ({
      id: `sha256:${hex(i + 1)}`,
      repoTags: [`reg.example/app:${i}`],
      repoDigests: [`reg.example/app@sha256:${hex(1000 + i)}`],
      size: 1000 + i,
      pinned: false,
      sandbox: false,
      inUse: i === 0,
      containers:
        i === 0
          ? [
              {
                id: "c1",
                pod: "web-0",
                namespace: "default",
                container: "app",
                state: "running",
                podUid: "u1",
                image: "reg.example/app:0",
              },
            ]
          : [],
    })),
    pods: [{ id: "p1", name: "web-0", namespace: "default", uid: "u1", state: "ready" }],
    imageFs: { mountpoint: "/var/lib/containerd", usedBytes: 3000, inodesUsed: 12 },
  };
}

let db: Database;
let gateway: AgentGateway;
let address: string;
let client: grpc.Client & { Connect: (metadata: grpc.Metadata) => AgentStream };
let n1: AgentStream;
const received: CollectorMessage[] = [];
const tap = new LogTap();
const runs = new FuzzRuns();
let changes: () => number;
let before: Record<string, string[]>;
let runner: JobRunner;

function metadata(node: string, token: string | null = TOKEN): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set(NODE_METADATA_KEY, node);
  if (token !== null) md.set(AUTHORIZATION_METADATA_KEY, `Bearer ${token}`);
  return md;
}

beforeAll(async () => {
  db = openDatabase(":memory:");
  const nodes = new NodeStore(db);
  const tags = new TagStore(db);
  const metrics = new CollectorMetrics({ processMetrics: false });
  const log = createLogger({ write: tap.write, level: "debug", fields: { component: "collector" } });
  const drift = new DriftService({
    nodes,
    tags,
    findings: new FindingStore(db),
    resolver: { resolve: async () => new Map() },
    metrics,
    log,
    resolveIntervalMs: 60_000,
  });
  // As main.ts wires them.
  gateway = new AgentGateway({ token: TOKEN, log });
  const store = new JobStore(db);
  const cluster = clusterFacts({ drift, nodes, tags });
  runner = new JobRunner({
    store,
    cluster,
    sessions: gateway,
    prepare: commandPreparer({ cluster, registries: emptyRegistriesConfig, recentJobs: () => store.active() }),
    jobsCounter: metrics.jobs,
    log,
  });
  const handlers: AgentHandlers = {
    hello: (node, hello) => {
      runner.agentConnected(node);
      return drift.hello(node, hello);
    },
    inventory: (_node, inv, hash) => drift.inventory(inv, hash),
    heartbeat: (node, hash) => drift.heartbeat(node, hash),
    commandUpdate: (node, update) => runner.commandUpdate(node, update),
    disconnected: (node) => runner.agentDisconnected(node),
  };
  address = `127.0.0.1:${await gateway.listen("127.0.0.1:0", handlers)}`;
  const Client = agentGateway();
  client = new Client(address, grpc.credentials.createInsecure(), channelOptions) as unknown as typeof client;

  // n1 says hello and reports its inventory: what every bad message must leave intact.
  n1 = client.Connect(metadata("n1"));
  n1.on("data", (m: CollectorMessage) => received.push(m));
  n1.on("error", () => {});
  const good = inventory(3);
  const stored = tap.next("inventory stored", "n1's first inventory");
  n1.write({
    body: "hello",
    hello: { node: "n1", agentVersion: "0.1.0", intervalMs: 60_000, inventoryHash: "", labels: { zone: "a" } },
  });
  n1.write({ body: "inventory", inventory: toWireInventory(good) });
  await stored;
  const total = db.prepare("SELECT total_changes()").pluck();
  changes = () => total.get() as number;
  for (let last = -1; last !== changes(); ) {
    last = changes();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  before = tableRows(db);
});

afterAll(async () => {
  console.log(runs.summary("gRPC fuzz"));
  n1?.end();
  client?.close();
  await runner?.stop();
  await gateway?.close();
});

type Defect = { wire: WireInventory; expect: string };
const base = fc.integer({ min: 1, max: 4 }).map((n) => toWireInventory(inventory(n), `sha256:${hex(99)}`));
const pick = (wire: WireInventory, at: number) => at % wire.images.length;
/** Edits a copy of the wire inventory's image `i`. */
const withImage = (wire: WireInventory, i: number, edit: (image: WireInventory["images"][number]) => void) => {
  const copy = structuredClone(wire);
  const image = copy.images[i];
  if (image) edit(image);
  return copy;
};
const badRef = fc.oneof(
  fc.string({ maxLength: 40 }).filter((s) => tryParseImageRef(s) === null),
  fc.stringMatching(/^reg\.example\/[A-Z][a-z]{0,6}:1$/),
  fc.constantFrom("", "a//b", "nginx:", `x:${"t".repeat(129)}`),
);
const text = (min: number) => fc.string({ minLength: min, maxLength: min + 50 });

/** A valid wire inventory with one defect, and the path the rejection must name. */
const defective: fc.Arbitrary<Defect> = fc.oneof(
  fc
    .tuple(
      base,
      fc.nat(),
      fc.string({ maxLength: 80 }).filter((s) => !/^sha256:[a-f0-9]{64}$/.test(s)),
    )
    .map(([wire, at, id]) => {
      const i = pick(wire, at);
      return { wire: withImage(wire, i, (img) => (img.id = id)), expect: `images[${i}].id: must be sha256:<64 hex>` };
    }),
  fc.tuple(base, fc.nat(), badRef).map(([wire, at, ref]) => {
    const i = pick(wire, at);
    return {
      wire: withImage(wire, i, (img) => (img.repoTags = [...img.repoTags, ref])),
      expect: `images[${i}].repoTags[1]: invalid reference ${JSON.stringify(ref)}`,
    };
  }),
  fc
    .tuple(
      base,
      fc.nat(),
      fc.string({ maxLength: 60 }).filter((s) => parseRepoDigest(s) === null),
    )
    .map(([wire, at, digest]) => {
      const i = pick(wire, at);
      return {
        wire: withImage(wire, i, (img) => (img.repoDigests = [digest])),
        expect: `images[${i}].repoDigests[0]: invalid repo digest ${JSON.stringify(digest)}`,
      };
    }),
  fc.tuple(base, fc.nat(), fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n })).map(([wire, at, size]) => {
    const i = pick(wire, at);
    return { wire: withImage(wire, i, (img) => (img.size = size.toString())), expect: `images[${i}].size` };
  }),
  fc
    .tuple(
      base,
      fc.string({ maxLength: 20 }).filter((s) => !["created", "running", "exited", "unknown"].includes(s)),
    )
    .map(([wire, state]) => ({
      wire: withImage(wire, 0, (img) => {
        const c = img.containers[0];
        if (c) c.state = state;
      }),
      expect: "images[0].containers[0].state",
    })),
  fc
    .tuple(
      base,
      fc.string({ maxLength: 20 }).filter((s) => !["ready", "notready"].includes(s)),
    )
    .map(([wire, state]) => {
      const copy = structuredClone(wire);
      const pod = copy.pods[0];
      if (pod) pod.state = state;
      return { wire: copy, expect: "pods[0].state" };
    }),
  fc
    .tuple(
      base,
      fc.string({ maxLength: 40 }).filter((s) => Number.isNaN(Date.parse(s)) || !/^\d{4}-/.test(s)),
    )
    .map(([wire, scannedAt]) => ({ wire: { ...wire, scannedAt }, expect: "scannedAt" })),
  base.map((wire) => ({ wire: { ...wire, runtime: null }, expect: "runtime" })),
  base.map((wire) => ({ wire: { ...wire, imageFs: null }, expect: "imageFs" })),
  fc.tuple(base, text(129)).map(([wire, name]) => ({
    wire: { ...wire, runtime: { name, version: "1", apiVersion: "v1" } },
    expect: "runtime.name",
  })),
  fc.tuple(base, text(4097)).map(([wire, mountpoint]) => ({
    wire: { ...wire, imageFs: { mountpoint, usedBytes: "1", inodesUsed: null } },
    expect: "imageFs.mountpoint",
  })),
  fc.tuple(base, text(254)).map(([wire, name]) => {
    const copy = structuredClone(wire);
    const pod = copy.pods[0];
    if (pod) pod.name = name;
    return { wire: copy, expect: "pods[0].name" };
  }),
  base.map((wire) => {
    const copy = structuredClone(wire);
    const pod = copy.pods[0];
    if (pod) pod.id = "";
    return { wire: copy, expect: "pods[0].id" };
  }),
  base
    .filter((wire) => wire.images.length > 1)
    .map((wire) => {
      const copy = structuredClone(wire);
      const [first, second] = copy.images;
      if (first && second) second.id = first.id;
      return { wire: copy, expect: `image "${first?.id}" is listed twice` };
    }),
  base.map((wire) => {
    const copy = structuredClone(wire);
    copy.pods.push({ ...(copy.pods[0] ?? { id: "p", name: "", namespace: "", uid: "", state: "ready" }) });
    return { wire: copy, expect: 'pod "p1" is listed twice' };
  }),
  fc
    .tuple(
      base,
      fc.string({ maxLength: 80 }).filter((s) => !/^sha256:[a-f0-9]{64}$/.test(s)),
    )
    .map(([wire, hash]) => ({ wire: { ...wire, hash }, expect: `hash: ${JSON.stringify(hash.slice(0, 100))}` })),
  base.map((wire) => ({
    wire: withImage(wire, 0, (img) => (img.repoTags = Array.from({ length: 1001 }, (_, k) => `reg.example/x:${k}`))),
    expect: "images[0].repoTags",
  })),
);

describe("inventories from the wire", () => {
  it("a bad inventory is rejected naming its path; the stored one stays; the stream stays up", SLOW, async () => {
    await runs.check("inventories", defective, 2000, 0x9e7a01, async ({ wire, expect: path }) => {
      const n = changes();
      const rejected = tap.next("agent message rejected", path);
      n1.write({ body: "inventory", inventory: wire });
      const line = (await rejected) as { node: string; error: { code: string; message: string } };
      expect(line.node).toBe("n1");
      expect(line.error.code).toBe("invalid-argument");
      expect(line.error.message).toMatch(/^inventory from node "n1" rejected:\n/);
      expect(line.error.message).toContain(path);
      expect(changes(), "a rejected inventory changed a row").toBe(n);
    });
    expect(tableRows(db)).toEqual(before);
    // Still the same stream, still served: an unknown hash gets a resend request.
    const count = received.length;
    n1.write({ body: "heartbeat", heartbeat: { inventoryHash: `sha256:${hex(7)}` } });
    await expect.poll(() => received.slice(count).map((m) => m.body)).toEqual(["resendInventory"]);
    before = tableRows(db); // a heartbeat's report time reaches SQLite only with the next batch of them
  });
});

/** Opens a raw stream (bytes in, bytes out), writes `frames`, half-closes, and resolves with the final status. */
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

const OK_STATUSES = [grpc.status.OK, grpc.status.INVALID_ARGUMENT, grpc.status.FAILED_PRECONDITION];
const serialize = (message: AgentMessage) =>
  (agentGateway().service.Connect as grpc.MethodDefinition<AgentMessage, CollectorMessage>).requestSerialize(message);

describe("bytes that are not (quite) an AgentMessage", () => {
  it("→ INVALID_ARGUMENT or FAILED_PRECONDITION, never INTERNAL; nothing stored", SLOW, async () => {
    const valid = fc.constantFrom<AgentMessage>(
      { body: "hello", hello: { node: "other", agentVersion: "x", intervalMs: 5000, inventoryHash: "", labels: {} } },
      { body: "inventory", inventory: toWireInventory(inventory(2)) },
      { body: "heartbeat", heartbeat: { inventoryHash: `sha256:${hex(1)}` } },
      { body: "commandUpdate", commandUpdate: { id: "x", state: "failed", message: "m", resultJson: "{" } },
    );
    const mutated = fc
      .tuple(valid, fc.nat(), fc.nat({ max: 255 }), fc.uint8Array({ maxLength: 8 }))
      .map(([message, at, byte, tail]) => {
        const bytes = Buffer.from(serialize(message));
        const i = at % Math.max(1, bytes.length);
        const kind = at % 3;
        if (kind === 0) return bytes.subarray(0, i);
        if (kind === 1) bytes[i] = byte;
        return Buffer.concat([bytes, tail]);
      });
    const frames = fc.array(
      fc.oneof(
        fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
        mutated,
      ),
      {
        minLength: 1,
        maxLength: 3,
      },
    );
    await runs.check("raw-bytes", frames, 1500, 0x9e7a02, async (bytes) => {
      const n = changes();
      const status = await rawStream("raw", bytes);
      expect(OK_STATUSES, `${status.code} ${status.details}`).toContain(status.code);
      if (status.code === grpc.status.INVALID_ARGUMENT) expect(status.details.length).toBeGreaterThan(0);
      expect(changes(), "undecodable bytes changed a row").toBe(n);
    });
    expect(gateway.connectedNodes()).toEqual(["n1"]);
  });
});

describe("who may connect", () => {
  it("missing or wrong token → UNAUTHENTICATED; a bad node name → INVALID_ARGUMENT; nothing stored", SLOW, async () => {
    const who = fc.oneof(
      fc.record({ node: fc.constant("n9"), token: fc.constant<string | null>(null), code: fc.constant(16) }),
      fc.record({
        node: fc.stringMatching(/^[a-z0-9]{1,10}$/),
        token: fc.stringMatching(/^[!-~]{0,40}$/).filter((t) => t !== TOKEN),
        code: fc.constant(grpc.status.UNAUTHENTICATED),
      }),
      fc.record({
        node: fc.stringMatching(/^[ -~]{0,300}$/).filter((n) => !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(n)),
        token: fc.constant(TOKEN),
        code: fc.constant(grpc.status.INVALID_ARGUMENT),
      }),
    );
    await runs.check("metadata", who, 500, 0x9e7a03, async ({ node, token, code }) => {
      const n = changes();
      const status = await rawStream(node.trim() === node ? node : node.trim(), [], token);
      expect(status.code, status.details).toBe(code);
      expect(status.details).toBe(
        code === grpc.status.UNAUTHENTICATED
          ? "missing or wrong token"
          : `${NODE_METADATA_KEY} must be a Kubernetes node name`,
      );
      expect(changes()).toBe(n);
    });
  });

  it("a bad hello → INVALID_ARGUMENT naming the field; the node is not stored", SLOW, async () => {
    const good = { node: "h1", agentVersion: "0.1.0", intervalMs: "60000", inventoryHash: "", labels: {} };
    const hello = fc.oneof(
      fc
        .oneof(
          fc.bigInt({ min: -(2n ** 63n), max: 999n }),
          fc.bigInt({ min: 365n * 24n * 3600n * 1000n + 1n, max: 2n ** 63n - 1n }),
        )
        .map((ms) => ({ hello: { ...good, intervalMs: ms.toString() }, says: "hello.intervalMs" })),
      text(129).map((agentVersion) => ({ hello: { ...good, agentVersion }, says: "hello.agentVersion" })),
      fc
        .string({ minLength: 1, maxLength: 80 })
        .filter((h) => !/^sha256:[a-f0-9]{64}$/.test(h))
        .map((inventoryHash) => ({ hello: { ...good, inventoryHash }, says: "hello.inventoryHash" })),
      fc
        .string({ maxLength: 20 })
        .filter((k) => !/^[A-Za-z0-9][-A-Za-z0-9_./]{0,252}$/.test(k))
        .map((key) => ({ hello: { ...good, labels: { [key]: "v" } }, says: "is not a label key" })),
      fc
        .string({ minLength: 1, maxLength: 80 })
        .filter((v) => !/^[-A-Za-z0-9_.]{0,63}$/.test(v))
        .map((value) => ({ hello: { ...good, labels: { zone: value } }, says: "is not a label value" })),
    );
    await runs.check("hellos", hello, 500, 0x9e7a04, async ({ hello: h, says }) => {
      const n = changes();
      const status = await rawStream("h1", [serialize({ body: "hello", hello: h })]);
      expect(status.code, status.details).toBe(grpc.status.INVALID_ARGUMENT);
      expect(status.details).toContain(says);
      expect(changes()).toBe(n);
    });
    expect(tableRows(db)).toEqual(before);
  });
});

describe("after all that", () => {
  it("the gateway still takes a good inventory from n1", async () => {
    const stored = tap.next("inventory stored", "n1's new inventory");
    const next = inventory(1);
    n1.write({ body: "inventory", inventory: toWireInventory(next) });
    await stored;
    const row = db.prepare("SELECT inventory_hash FROM nodes WHERE name = 'n1'").pluck().get();
    expect(row).toBe(inventoryHash(next));
  });
});
