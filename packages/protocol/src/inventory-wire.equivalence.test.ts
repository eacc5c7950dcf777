/**
 * The hand-written validator against the zod schema it replaced (kept here,
 * verbatim, as the oracle): on the benchmark's synthetic inventories and on
 * thousands of seeded mutations of them, both accept with the same value
 * (same fields, same order) or both reject with the same message.
 */
import { fileURLToPath } from "node:url";
import {
  describeIssues,
  ImagedriftError,
  type NodeInventory,
  parseImageRef,
  parseRepoDigest,
  tryCatch,
} from "@imagedrift/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agentGateway } from "./definition.js";
import { InventoryChecker } from "./inventory-check.js";
import { fromWireInventory, inventoryHash, toWireInventory } from "./inventory-wire.js";
import type { AgentMessage, WireInventory } from "./messages.js";

// ---- The zod schema as it was (packages/protocol/src/inventory-wire.ts before the hand-written validator).
const MAX_IMAGES = 50_000;
const MAX_CONTAINERS = 50_000;
const text = (max = 512) => z.string().max(max);
const uint = z
  .union([z.string().regex(/^\d{1,16}$/, "must be a non-negative integer"), z.number().int().nonnegative()])
  .transform(Number)
  .refine(Number.isSafeInteger, "is too large");
const reference = z.string().superRefine((value, ctx) => {
  const parsed = tryCatch(() => parseImageRef(value));
  if (parsed.error) ctx.addIssue({ code: "custom", message: parsed.error.message });
});
const repoDigest = z.string().refine((value) => parseRepoDigest(value) !== null, {
  error: (issue) => `invalid repo digest ${JSON.stringify(issue.input)} (expected host/repository@sha256:<64 hex>)`,
});
const containerSchema = z.object({
  id: text(128).min(1),
  pod: text(253),
  namespace: text(253),
  container: text(253),
  state: z.enum(["created", "running", "exited", "unknown"]),
  podUid: text(128),
  image: text(1024),
});
const imageSchema = z.object({
  id: z.string().regex(/^sha256:[a-f0-9]{64}$/, "must be sha256:<64 hex>"),
  repoTags: z.array(reference).max(1000),
  repoDigests: z.array(repoDigest).max(1000),
  size: uint,
  pinned: z.boolean(),
  sandbox: z.boolean(),
  inUse: z.boolean(),
  containers: z.array(containerSchema).max(MAX_CONTAINERS),
});
const inventorySchema = z.object({
  scannedAt: z.iso.datetime({ offset: true }),
  runtime: z.object({ name: text(128), version: text(128), apiVersion: text(32) }),
  images: z.array(imageSchema).max(MAX_IMAGES),
  pods: z
    .array(
      z.object({
        id: text(128).min(1),
        name: text(253),
        namespace: text(253),
        uid: text(128),
        state: z.enum(["ready", "notready"]),
      }),
    )
    .max(MAX_CONTAINERS),
  imageFs: z.object({ mountpoint: text(4096), usedBytes: uint, inodesUsed: uint.nullable() }),
});
function zodFromWireInventory(node: string, wire: WireInventory): NodeInventory {
  const result = inventorySchema.safeParse({
    ...wire,
    imageFs: wire.imageFs && { ...wire.imageFs, inodesUsed: wire.imageFs.inodesUsed ?? null },
  });
  if (!result.success) {
    throw new ImagedriftError(
      "invalid-argument",
      `inventory from node "${node}" rejected:\n${describeIssues(result.error.issues)}`,
    );
  }
  return { node, ...result.data };
}
// ---- end of the old schema.

type Outcome = { json: string; value: unknown } | { error: string; code: unknown; message: string };

function outcome(run: () => NodeInventory): Outcome {
  try {
    const value = run();
    return { json: JSON.stringify(value), value };
  } catch (thrown) {
    const error = thrown as ImagedriftError;
    return { error: error.name, code: error.code, message: error.message };
  }
}

/** One for the file, as the gateway keeps one: what it remembers must not change an answer. */
const checker = new InventoryChecker();

function expectSame(wire: WireInventory): Outcome {
  const now = outcome(() => fromWireInventory("n1", wire, checker));
  expect(now).toEqual(outcome(() => zodFromWireInventory("n1", wire)));
  return now;
}

interface Synthetic {
  nodeInventory(i: number, table: unknown, scannedAt?: string): NodeInventory;
  tagTable(host: string, count: number): unknown;
}
const synthetic: Synthetic = await import(
  /* @vite-ignore */ fileURLToPath(new URL("../../../bench/lib/synthetic.mjs", import.meta.url))
);

const connect = agentGateway().service.Connect as NonNullable<ReturnType<typeof agentGateway>["service"]["Connect"]>;
/** Through protobuf and back, as the collector gets it (uint64 as strings, absent fields defaulted). */
function overTheWire(inventory: NodeInventory): WireInventory {
  const message: AgentMessage = { body: "inventory", inventory: toWireInventory(inventory, inventoryHash(inventory)) };
  const decoded = connect.requestDeserialize(connect.requestSerialize(message)) as AgentMessage;
  if (decoded.body !== "inventory") throw new Error("not an inventory");
  return decoded.inventory;
}

describe("the hand-written validator and the zod schema", () => {
  it("accept the benchmark's synthetic inventories alike, decoded or as sent", () => {
    const table = synthetic.tagTable("registry.example:5000", 300);
    for (let i = 0; i < 40; i++) {
      const inventory = synthetic.nodeInventory(i, table, "2025-03-01T12:00:00.000Z");
      const decoded = expectSame(overTheWire(inventory));
      expect("value" in decoded && decoded.value).toEqual({ ...inventory, node: "n1" });
      expectSame(toWireInventory(inventory, "sha256:x"));
    }
  });

  const small = synthetic.tagTable("reg.example", 6);
  const bases = [0, 1, 2, 3].map((i) => synthetic.nodeInventory(i, small, "2025-03-01T12:00:00Z"));
  const wires = bases.flatMap((inventory) => [overTheWire(inventory), toWireInventory(inventory, "sha256:x")]);
  const junk = Array.from({ length: 1000 }, (_, k) => `Bad/${k}`);
  const tooMany = Array.from({ length: 1001 }, (_, k) => `reg.example/a:${k}`);
  const long = (n: number) => "a".repeat(n);
  const value: fc.Arbitrary<unknown> = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ maxLength: 20, unit: "binary" }),
    fc.constantFrom(
      "",
      "0",
      "12",
      "-1",
      " 1",
      "1e3",
      "9999999999999999",
      "99999999999999999",
      "0000000000000012",
      "ready",
      "Ready",
      "running",
      "exited",
      "created",
      "unknown",
      "notready",
      "nginx",
      "nginx:",
      "A/b:1",
      `reg.example/a@sha256:${"a".repeat(64)}`,
      `reg.example/a:1@sha256:${"b".repeat(64)}`,
      `sha256:${"c".repeat(64)}`,
      `sha256:${"C".repeat(64)}`,
      "c".repeat(64),
      "2025-01-01T00:00:00Z",
      "2024-02-29T23:59:59.5+05:30",
      "2023-02-29T00:00:00Z",
      "2025-01-01 00:00:00Z",
      long(32),
      long(33),
      long(128),
      long(129),
      long(253),
      long(254),
      long(1024),
      long(1025),
      long(4096),
      long(4097),
    ),
    fc.integer(),
    fc.double(),
    fc.constantFrom(0, -0, -1, 1.5, 2 ** 53 - 1, 2 ** 53, -(2 ** 53), 2 ** 64, Number.NaN, Number.POSITIVE_INFINITY),
    fc.constantFrom(null, undefined, true, false, 5n),
    fc.constantFrom([], {}, [null], [""], ["nginx"], junk, tooMany, new Date(0), new Map()),
    // zod measures strings in code points and checks the length of anything that has one.
    fc.constantFrom(
      "😀".repeat(32),
      "😀".repeat(33),
      "😀".repeat(128),
      "😀".repeat(129),
      "\uD800".repeat(129),
      `${"a".repeat(127)}😀`,
      { length: 5000 },
      { length: "x" },
      { length: 0 },
      () => 1,
      (a: unknown, b: unknown) => [a, b],
    ),
    fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 }),
  );

  /** Every path in the wire object (objects and arrays included), in a stable order. */
  function paths(node: unknown, at: (string | number)[] = []): (string | number)[][] {
    if (node === null || typeof node !== "object") return [at];
    const keys: (string | number)[] = Array.isArray(node) ? node.map((_, k) => k) : Object.keys(node);
    return [at, ...keys.flatMap((key) => paths((node as Record<string, unknown>)[key], [...at, key]))];
  }

  /** A deep copy of arrays and plain objects; anything else (functions, dates, maps) as it is. */
  function clone(node: unknown): unknown {
    if (Array.isArray(node)) return node.map(clone);
    if (node === null || typeof node !== "object" || Object.getPrototypeOf(node) !== Object.prototype) return node;
    return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, clone(item)]));
  }

  type Edit = { at: number; kind: "set" | "delete" | "move"; value: unknown };
  function edited(wire: WireInventory, edits: Edit[]): WireInventory {
    const copy = clone(wire) as Record<string, unknown>;
    for (const edit of edits) {
      const all = paths(copy).filter((p) => p.length > 0);
      const path = all[edit.at % all.length] ?? ["hash"];
      let parent = copy as Record<string | number, unknown>;
      for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
      const last = path[path.length - 1] as string | number;
      if (edit.kind === "delete") delete parent[last];
      else if (edit.kind === "move") parent[last] = clone(copy.images ?? null);
      else parent[last] = clone(edit.value);
    }
    return copy as unknown as WireInventory;
  }

  it("agree on thousands of seeded mutations: the same value or the same message", { timeout: 60_000 }, () => {
    const edit = fc.record({
      at: fc.nat(),
      kind: fc.constantFrom<Edit["kind"]>("set", "set", "set", "set", "delete", "move"),
      value,
    });
    fc.assert(
      fc.property(fc.nat(), fc.array(edit, { minLength: 1, maxLength: 3 }), (w, edits) => {
        expectSame(edited(wires[w % wires.length] as WireInventory, edits));
      }),
      { numRuns: 4000, seed: 0x1d7a5e },
    );
  });

  it("agree when an array is past its cap, and when problems are past the listed 20", () => {
    const wire = structuredClone(wires[0] as WireInventory);
    expectSame({ ...wire, images: new Array(MAX_IMAGES + 1).fill(null) });
    expectSame({ ...wire, pods: new Array(MAX_CONTAINERS + 1).fill(null) });
    const images = wire.images.map((image) => ({ ...image, containers: new Array(MAX_CONTAINERS + 1).fill(null) }));
    expectSame({ ...wire, images });
    const bad = expectSame({ ...wire, images: wire.images.map((image) => ({ ...image, repoTags: junk })) });
    expect("message" in bad && bad.message).toMatch(/\n {2}… and \d+ more$/);
  });
});
