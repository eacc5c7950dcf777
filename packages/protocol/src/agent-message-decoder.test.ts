/**
 * The hand-written AgentMessage decoder against @grpc/proto-loader's (the
 * oracle, which encodes every message here): on generated messages both
 * give the same value with keys in the same order; on bytes cut, flipped or
 * spliced, whatever the hand decoder accepts proto-loader accepts with the
 * same value, and whatever proto-loader refuses the hand decoder refuses.
 */

import { fileURLToPath } from "node:url";
import * as protoLoader from "@grpc/proto-loader";
import { isSharedImage } from "@imagedrift/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AgentMessageDecoder, FIELD_TYPES, WireError } from "./agent-message-decoder.js";
import { agentGateway } from "./definition.js";
import type { AgentMessage } from "./messages.js";
import { LENGTH, VARINT } from "./wire-reader.js";

const connect = agentGateway().service.Connect as NonNullable<ReturnType<typeof agentGateway>["service"]["Connect"]>;
const encode = (message: unknown): Buffer => connect.requestSerialize(message);
const oracle = (bytes: Buffer): AgentMessage => connect.requestDeserialize(bytes);
const decoder = new AgentMessageDecoder();
const decodeAgentMessage = (bytes: Buffer): AgentMessage => decoder.decode(bytes);

type Outcome = { value: string } | { error: true };
function run(decode: (bytes: Buffer) => AgentMessage, bytes: Buffer): Outcome {
  try {
    return { value: JSON.stringify(decode(bytes)) };
  } catch {
    return { error: true };
  }
}

const hex = fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 64, maxLength: 64 });
// A small pool, so that the same strings and images come back (the decoder's memories are hit).
const shared = fc.constantFrom("", "running", "kube-system", "reg.example/app:1", "é", "😀", "\uFFFD", "a".repeat(300));
const str = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ maxLength: 8, unit: "binary" }), shared);
const uint64 = fc.oneof(
  fc.constantFrom("0", "1", "127", "128", "4294967295", "4294967296", "9007199254740993", "18446744073709551615"),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
);
const int64 = fc.oneof(
  fc.constantFrom("0", "-1", "30000", "-9223372036854775808", "9223372036854775807"),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
);
const container = fc.record(
  { id: str, pod: str, namespace: str, container: str, state: str, podUid: str, image: str },
  { requiredKeys: [] },
);
const image = fc.record(
  {
    id: fc.oneof(
      hex.map((h) => `sha256:${h}`),
      str,
    ),
    repoTags: fc.array(str, { maxLength: 3 }),
    repoDigests: fc.array(str, { maxLength: 2 }),
    size: uint64,
    pinned: fc.boolean(),
    sandbox: fc.boolean(),
    inUse: fc.boolean(),
    containers: fc.array(container, { maxLength: 2 }),
  },
  { requiredKeys: [] },
);
const inventory = fc.record(
  {
    hash: str,
    scannedAt: str,
    runtime: fc.record({ name: str, version: str, apiVersion: str }, { requiredKeys: [] }),
    images: fc.array(fc.oneof(image, fc.constantFrom({ id: "a", size: "1" }, { id: "a", repoTags: ["x"] })), {
      maxLength: 6,
    }),
    pods: fc.array(fc.record({ id: str, name: str, namespace: str, uid: str, state: str }, { requiredKeys: [] }), {
      maxLength: 3,
    }),
    imageFs: fc.record({ mountpoint: str, usedBytes: uint64, inodesUsed: uint64 }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);
const hello = fc.record(
  {
    node: str,
    agentVersion: str,
    intervalMs: int64,
    inventoryHash: str,
    labels: fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), str, { maxKeys: 4 }),
    scanMode: fc.constantFrom("events", "polling", ""),
  },
  { requiredKeys: [] },
);
const message = fc.oneof(
  hello.map((h) => ({ body: "hello", hello: h })),
  inventory.map((i) => ({ body: "inventory", inventory: i })),
  fc
    .record({ inventoryHash: str, scanMode: fc.constantFrom("events", "polling", "") }, { requiredKeys: [] })
    .map((h) => ({ body: "heartbeat", heartbeat: h })),
  fc
    .record({ id: str, state: str, message: str, resultJson: str }, { requiredKeys: [] })
    .map((u) => ({ body: "commandUpdate", commandUpdate: u })),
);

describe("decodeAgentMessage", () => {
  it("gives proto-loader's value, key for key, for generated messages (and again from its memories)", () => {
    fc.assert(
      fc.property(message, (m) => {
        const bytes = encode(m);
        const expected = JSON.stringify(oracle(bytes));
        expect(JSON.stringify(decodeAgentMessage(bytes))).toBe(expected);
        expect(JSON.stringify(decodeAgentMessage(Buffer.from(bytes)))).toBe(expected);
      }),
      { numRuns: 3000, seed: 0x5eed },
    );
  });

  it("keeps every oneof member sent and names the last declared, as proto-loader does", () => {
    const bytes = Buffer.concat([
      encode({ body: "inventory", inventory: { hash: "h" } }),
      encode({ body: "hello", hello: { node: "n1" } }),
      encode({ body: "hello", hello: { node: "n2" } }),
    ]);
    expect(decodeAgentMessage(bytes)).toEqual(oracle(bytes));
    expect(decodeAgentMessage(bytes).body).toBe("inventory");
    expect(decodeAgentMessage(Buffer.alloc(0))).toEqual({});
  });

  it("accepts only what proto-loader accepts, with its value, on cut, flipped and spliced bytes", () => {
    let refusedOnlyHere = 0;
    fc.assert(
      fc.property(
        message,
        fc.array(fc.tuple(fc.constantFrom("cut", "flip", "splice"), fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 3,
        }),
        (m, edits) => {
          let bytes = encode(m);
          for (const [kind, at, byte] of edits) {
            const k = bytes.length === 0 ? 0 : at % bytes.length;
            if (kind === "cut") bytes = bytes.subarray(0, k);
            else if (kind === "flip" && bytes.length > 0) bytes[k] = byte;
            else bytes = Buffer.concat([bytes.subarray(0, k), Buffer.from([byte]), bytes.subarray(k)]);
          }
          const mine = run(decodeAgentMessage, bytes);
          const theirs = run(oracle, bytes);
          if ("value" in mine) expect(theirs).toEqual(mine);
          else if ("value" in theirs) refusedOnlyHere++;
        },
      ),
      { numRuns: 4000, seed: 0xbad },
    );
    // Refused here, read by protobufjs as something: a field of the wrong wire type, a length past its message
    // (74 of the 4,000 with this seed).
    expect(refusedOnlyHere).toBeLessThan(4000 / 20);
  });

  it("names what is wrong with bytes it refuses", () => {
    expect(() => decodeAgentMessage(Buffer.from([0x12, 0x05, 0x01]))).toThrow(
      new WireError("length 5 at offset 1 runs past its message"),
    );
    expect(() => decodeAgentMessage(Buffer.from([0x10, 0x01]))).toThrow(
      new WireError("AgentMessage field 2 has wire type 0, expected 2"),
    );
    expect(() => decodeAgentMessage(Buffer.from([0x12, 0x02, 0x22, 0x05]))).toThrow(
      new WireError("length 5 at offset 3 runs past its message"),
    );
    expect(() => decodeAgentMessage(Buffer.from([0x57]))).toThrow(new WireError("invalid wire type 7 at offset 1"));
    expect(() => decodeAgentMessage(Buffer.from([0x0f]))).toThrow(
      new WireError("AgentMessage field 1 has wire type 7, expected 2"),
    );
    expect(() => decodeAgentMessage(Buffer.from([0x50, 0xff]))).toThrow(new WireError("truncated varint at offset 1"));
    expect(() => decodeAgentMessage(Buffer.from([0x50, ...new Array(11).fill(0xff)]))).toThrow(
      new WireError("varint longer than 10 bytes at offset 1"),
    );
  });

  it("shares a repeated image (frozen) and repeated strings between messages", () => {
    const img = { id: `sha256:${"a".repeat(64)}`, repoTags: ["reg.example/app:1"], size: "5" };
    const a = decodeAgentMessage(encode({ body: "inventory", inventory: { images: [img] } }));
    const b = decodeAgentMessage(encode({ body: "inventory", inventory: { hash: "x", images: [img] } }));
    if (a.body !== "inventory" || b.body !== "inventory") throw new Error("not inventories");
    expect(b.inventory.images[0]).toBe(a.inventory.images[0]);
    expect(isSharedImage(a.inventory.images[0] ?? {})).toBe(true);
    const withContainer = { ...img, containers: [{ id: "c1", namespace: "kube-system" }] };
    const c = decodeAgentMessage(encode({ body: "inventory", inventory: { images: [withContainer] } }));
    if (c.body !== "inventory") throw new Error("not an inventory");
    expect(isSharedImage(c.inventory.images[0] ?? {})).toBe(false);
  });

  it("keeps its memories in the instance: another decoder shares nothing with this one", () => {
    const img = { id: `sha256:${"c".repeat(64)}`, repoTags: ["reg.example/other:1"], size: "7" };
    const bytes = encode({ body: "inventory", inventory: { images: [img] } });
    const first = new AgentMessageDecoder().decode(bytes);
    const second = new AgentMessageDecoder().decode(bytes);
    if (first.body !== "inventory" || second.body !== "inventory") throw new Error("not inventories");
    expect(second.inventory.images[0]).toEqual(first.inventory.images[0]);
    expect(second.inventory.images[0]).not.toBe(first.inventory.images[0]);
  });
});

describe("the decoder's field tables against agent.proto", () => {
  interface Field {
    name: string;
    number: number;
    type: string;
    typeName: string;
  }
  interface Descriptor {
    name: string;
    field: Field[];
    nestedType: Descriptor[];
  }
  const definition = protoLoader.loadSync(
    fileURLToPath(new URL("../../../proto/imagedrift/v1/agent.proto", import.meta.url)),
  );
  const messages = new Map<string, Descriptor>();
  for (const [name, entry] of Object.entries(definition)) {
    if (!name.startsWith("imagedrift.v1.") || !("type" in entry)) continue;
    const type = entry.type as Descriptor;
    messages.set(name.slice("imagedrift.v1.".length), type);
    for (const nested of type.nestedType) messages.set(`${type.name}.${nested.name}`, nested);
  }
  /** VARINT for numbers and bools, LENGTH for strings, bytes and messages (packed repeats are not used). */
  const wireOf = (field: Field) =>
    ["TYPE_STRING", "TYPE_BYTES", "TYPE_MESSAGE"].includes(field.type) ? LENGTH : VARINT;
  /** AgentMessage and every message it holds, as the decoder reads them. */
  const reachable = (name: string, seen: Set<string>): Set<string> => {
    const message = messages.get(name);
    if (message === undefined || seen.has(name)) return seen;
    seen.add(name);
    for (const field of message.field) {
      if (field.type !== "TYPE_MESSAGE") continue;
      // proto-loader names a map's entry type relative to its message.
      const nested = `${name}.${field.typeName}`;
      const target = messages.has(nested) ? nested : field.typeName.replace(/^\.?imagedrift\.v1\./, "");
      reachable(target, seen);
    }
    return seen;
  };
  const sent = [...reachable("AgentMessage", new Set())];

  it("has a table for every message an agent sends, and only for those", () => {
    expect(sent.length).toBeGreaterThan(5);
    expect(Object.keys(FIELD_TYPES).sort()).toEqual([...sent].sort());
  });

  it.each(sent)("%s: every field of the .proto, by number, with its wire type", (name) => {
    const fields = messages.get(name)?.field ?? [];
    const expected: (number | undefined)[] = [];
    for (const field of fields) expected[field.number] = wireOf(field);
    expect(FIELD_TYPES[name]?.slice(1)).toEqual(expected.slice(1));
  });
});
