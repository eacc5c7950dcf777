/**
 * imagedrift.v1.AgentMessage from bytes, by hand, in the shape
 * @grpc/proto-loader gives (messages.ts; agent-message-decoder.test.ts holds
 * them equal on generated and mutated messages). The collector decodes one
 * inventory per agent; proto-loader built protobufjs's message objects and
 * then copied each into a plain one, and made a new string of every image
 * id, tag and digest that 5,000 nodes send alike. Here strings that repeat
 * are shared (ByteStrings), and an image without containers that arrives as
 * the same bytes as before is the same shared object (ImageMemo). The
 * caches belong to an AgentMessageDecoder instance, not to the module.
 *
 * Stricter than protobufjs on malformed input: a field of the wrong wire type
 * or a length past its own message is refused, not read as something else.
 */

import { ImageMemo } from "./image-memo.js";
import type { AgentMessage, CommandUpdate, Hello, WireContainer, WireImage, WireInventory } from "./messages.js";
import { ByteStrings, LENGTH, signedText, unsignedText, VARINT, WireError, WireReader } from "./wire-reader.js";

export { WireError };

/** A reader of one message, with the caches of the decoder that reads it. */
class CachingReader extends WireReader {
  constructor(
    buf: Buffer,
    readonly strings: ByteStrings,
    readonly images: ImageMemo,
  ) {
    super(buf);
  }
}

type Wire = typeof VARINT | typeof LENGTH;

/** Reads the next tag inside `end`: its field number (0 at the end), after checking its wire type against `types`. */
function nextField(r: CachingReader, end: number, types: readonly Wire[], message: string): number {
  for (;;) {
    if (r.pos >= end) return 0;
    const tag = r.varint32(end);
    const field = tag >>> 3;
    const wireType = tag & 7;
    const expected = types[field];
    if (expected === undefined || field === 0) {
      r.skip(wireType, end);
      continue;
    }
    if (wireType !== expected) {
      throw new WireError(`${message} field ${field} has wire type ${wireType}, expected ${expected}`);
    }
    return field;
  }
}

/** A length-delimited string field. `shared`: one of the values that repeat across nodes. */
function text(r: CachingReader, end: number, shared: boolean): string {
  const stop = r.lengthEnd(end);
  const start = r.pos;
  r.pos = stop;
  return shared ? r.strings.read(r.buf, start, stop) : r.buf.toString("utf8", start, stop);
}

/** Field types by number: s = string, v = varint, and the message fields are length-delimited too. */
const S = LENGTH;
const V = VARINT;
const CONTAINER: Wire[] = [V, S, S, S, S, S, S, S];
const IMAGE: Wire[] = [V, S, S, S, V, V, V, V, S];
const POD: Wire[] = [V, S, S, S, S, S];
const RUNTIME: Wire[] = [V, S, S, S];
const IMAGE_FS: Wire[] = [V, S, V, V];
const INVENTORY: Wire[] = [V, S, S, S, S, S, S];
const HELLO: Wire[] = [V, S, S, V, S, S, S];
const LABEL: Wire[] = [V, S, S];
const HEARTBEAT: Wire[] = [V, S, S];
const COMMAND_UPDATE: Wire[] = [V, S, S, S, S];
const AGENT_MESSAGE: Wire[] = [V, S, S, S, S];

/**
 * Each message's table by its name in agent.proto (a map's entry as
 * proto-loader names it), for agent-message-decoder.test.ts, which derives them from the
 * .proto: a field added there and not here fails it, instead of being
 * skipped as unknown.
 */
export const FIELD_TYPES: Readonly<Record<string, readonly Wire[]>> = {
  AgentMessage: AGENT_MESSAGE,
  Hello: HELLO,
  "Hello.Labels": LABEL,
  Inventory: INVENTORY,
  RuntimeInfo: RUNTIME,
  Image: IMAGE,
  Container: CONTAINER,
  PodSandbox: POD,
  ImageFs: IMAGE_FS,
  Heartbeat: HEARTBEAT,
  CommandUpdate: COMMAND_UPDATE,
};

function container(r: CachingReader, end: number): WireContainer {
  const c: WireContainer = { id: "", pod: "", namespace: "", container: "", state: "", podUid: "", image: "" };
  for (let field = nextField(r, end, CONTAINER, "Container"); field !== 0; ) {
    if (field === 1) c.id = text(r, end, false);
    else if (field === 2) c.pod = text(r, end, false);
    else if (field === 3) c.namespace = text(r, end, true);
    else if (field === 4) c.container = text(r, end, true);
    else if (field === 5) c.state = text(r, end, true);
    else if (field === 6) c.podUid = text(r, end, false);
    else c.image = text(r, end, true);
    field = nextField(r, end, CONTAINER, "Container");
  }
  return c;
}

function image(r: CachingReader, end: number): WireImage {
  const known = r.images.find(r.buf, r.pos, end);
  if (known !== undefined) {
    r.pos = end;
    return known;
  }
  const start = r.pos;
  const repoTags: string[] = [];
  const repoDigests: string[] = [];
  const containers: WireContainer[] = [];
  let id = "";
  let size = "0";
  let pinned = false;
  let sandbox = false;
  let inUse = false;
  for (let field = nextField(r, end, IMAGE, "Image"); field !== 0; ) {
    if (field === 1) id = text(r, end, true);
    else if (field === 2) repoTags.push(text(r, end, true));
    else if (field === 3) repoDigests.push(text(r, end, true));
    else if (field === 4) {
      r.varint64(end);
      size = unsignedText(r);
    } else if (field === 5) pinned = r.varint32(end) !== 0;
    else if (field === 6) sandbox = r.varint32(end) !== 0;
    else if (field === 7) inUse = r.varint32(end) !== 0;
    else containers.push(container(r, r.lengthEnd(end)));
    field = nextField(r, end, IMAGE, "Image");
  }
  const decoded: WireImage = { repoTags, repoDigests, containers, id, size, pinned, sandbox, inUse };
  if (containers.length === 0) r.images.remember(r.buf, start, end, decoded);
  return decoded;
}

type WirePod = WireInventory["pods"][number];

function pod(r: CachingReader, end: number): WirePod {
  const p: WirePod = { id: "", name: "", namespace: "", uid: "", state: "" };
  for (let field = nextField(r, end, POD, "PodSandbox"); field !== 0; ) {
    if (field === 1) p.id = text(r, end, false);
    else if (field === 2) p.name = text(r, end, false);
    else if (field === 3) p.namespace = text(r, end, true);
    else if (field === 4) p.uid = text(r, end, false);
    else p.state = text(r, end, true);
    field = nextField(r, end, POD, "PodSandbox");
  }
  return p;
}

function runtime(r: CachingReader, end: number): NonNullable<WireInventory["runtime"]> {
  const info = { name: "", version: "", apiVersion: "" };
  for (let field = nextField(r, end, RUNTIME, "RuntimeInfo"); field !== 0; ) {
    if (field === 1) info.name = text(r, end, true);
    else if (field === 2) info.version = text(r, end, true);
    else info.apiVersion = text(r, end, true);
    field = nextField(r, end, RUNTIME, "RuntimeInfo");
  }
  return info;
}

function imageFs(r: CachingReader, end: number): NonNullable<WireInventory["imageFs"]> {
  const fs: NonNullable<WireInventory["imageFs"]> & { _inodesUsed?: "inodesUsed" } = {
    mountpoint: "",
    usedBytes: "0",
  };
  for (let field = nextField(r, end, IMAGE_FS, "ImageFs"); field !== 0; ) {
    if (field === 1) fs.mountpoint = text(r, end, true);
    else {
      r.varint64(end);
      if (field === 2) fs.usedBytes = unsignedText(r);
      else fs.inodesUsed = unsignedText(r);
    }
    field = nextField(r, end, IMAGE_FS, "ImageFs");
  }
  // proto3 `optional` is a oneof of one: proto-loader names the member that is set.
  if (fs.inodesUsed !== undefined) fs._inodesUsed = "inodesUsed";
  return fs;
}

function inventory(r: CachingReader, end: number): WireInventory {
  const inv: WireInventory = { images: [], pods: [], hash: "", scannedAt: "", runtime: null, imageFs: null };
  for (let field = nextField(r, end, INVENTORY, "Inventory"); field !== 0; ) {
    if (field === 1) inv.hash = text(r, end, false);
    else if (field === 2) inv.scannedAt = text(r, end, false);
    else {
      const stop = r.lengthEnd(end);
      if (field === 3) inv.runtime = runtime(r, stop);
      else if (field === 4) inv.images.push(image(r, stop));
      else if (field === 5) inv.pods.push(pod(r, stop));
      else inv.imageFs = imageFs(r, stop);
    }
    field = nextField(r, end, INVENTORY, "Inventory");
  }
  return inv;
}

function setLabel(labels: Record<string, string>, r: CachingReader, end: number): void {
  let key = "";
  let value = "";
  for (let field = nextField(r, end, LABEL, "Hello.labels"); field !== 0; ) {
    if (field === 1) key = text(r, end, true);
    else value = text(r, end, true);
    field = nextField(r, end, LABEL, "Hello.labels");
  }
  Object.defineProperty(labels, key, { value, enumerable: true, writable: true, configurable: true });
}

function hello(r: CachingReader, end: number): Hello {
  const h: Hello = { labels: {}, node: "", agentVersion: "", intervalMs: "0", inventoryHash: "", scanMode: "" };
  for (let field = nextField(r, end, HELLO, "Hello"); field !== 0; ) {
    if (field === 1) h.node = text(r, end, false);
    else if (field === 2) h.agentVersion = text(r, end, true);
    else if (field === 3) {
      r.varint64(end);
      h.intervalMs = signedText(r);
    } else if (field === 4) h.inventoryHash = text(r, end, false);
    else if (field === 6) h.scanMode = text(r, end, true);
    else setLabel(h.labels, r, r.lengthEnd(end));
    field = nextField(r, end, HELLO, "Hello");
  }
  return h;
}

function heartbeat(r: CachingReader, end: number): Extract<AgentMessage, { body: "heartbeat" }>["heartbeat"] {
  const beat: ReturnType<typeof heartbeat> = { inventoryHash: "", scanMode: "" };
  for (let field = nextField(r, end, HEARTBEAT, "Heartbeat"); field !== 0; ) {
    if (field === 1) beat.inventoryHash = text(r, end, false);
    else beat.scanMode = text(r, end, true);
    field = nextField(r, end, HEARTBEAT, "Heartbeat");
  }
  return beat;
}

function commandUpdate(r: CachingReader, end: number): CommandUpdate {
  const u = { id: "", state: "", message: "", resultJson: "" };
  for (let field = nextField(r, end, COMMAND_UPDATE, "CommandUpdate"); field !== 0; ) {
    const value = text(r, end, false);
    if (field === 1) u.id = value;
    else if (field === 2) u.state = value;
    else if (field === 3) u.message = value;
    else u.resultJson = value;
    field = nextField(r, end, COMMAND_UPDATE, "CommandUpdate");
  }
  return u as CommandUpdate;
}

/** The `body` names of AgentMessage's oneof, by field number. */
const BODIES = ["", "hello", "inventory", "heartbeat", "commandUpdate"] as const;

/**
 * Decodes AgentMessages, remembering across them the strings (ByteStrings)
 * and images (ImageMemo) that nodes send alike: one decoder serves every
 * agent of a collector (the gateway makes it), and its caches go with it.
 */
export class AgentMessageDecoder {
  readonly #strings = new ByteStrings();
  readonly #images = new ImageMemo();

  /**
   * Decodes an AgentMessage. As proto-loader does, a member of the oneof that
   * arrives twice is the last one, every member sent is kept, and `body` names
   * the one declared last; no member at all gives `{}`.
   */
  decode(bytes: Buffer): AgentMessage {
    return agentMessage(new CachingReader(bytes, this.#strings, this.#images));
  }
}

function agentMessage(r: CachingReader): AgentMessage {
  const end = r.buf.length;
  const members: (object | undefined)[] = [];
  for (let field = nextField(r, end, AGENT_MESSAGE, "AgentMessage"); field !== 0; ) {
    const stop = r.lengthEnd(end);
    if (field === 1) members[1] = hello(r, stop);
    else if (field === 2) members[2] = inventory(r, stop);
    else if (field === 3) members[3] = heartbeat(r, stop);
    else members[4] = commandUpdate(r, stop);
    field = nextField(r, end, AGENT_MESSAGE, "AgentMessage");
  }
  const message: Record<string, unknown> = {};
  for (let field = 1; field < BODIES.length; field++) {
    if (members[field] === undefined) continue;
    message[BODIES[field] as string] = members[field];
    message.body = BODIES[field];
  }
  return message as AgentMessage;
}
