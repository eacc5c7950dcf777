/**
 * The validation of an inventory from the wire, by hand: the collector runs
 * it for every inventory of every agent, where a zod schema cost six times
 * the protobuf decode. Plain loops, no closure per field, and a path array
 * only when something is wrong (or once per container and pod, which are
 * few). It keeps the rules and messages of the zod schema it replaced
 * (inventory-wire.equivalence.test.ts holds that schema and compares):
 * `z.object` reads the known keys in order and copies only them; an array
 * over its cap gets one problem and its items are not looked at; lengths
 * are measured as zod measures them (see `Problems.lengths`).
 */
import type {
  ImageContainer,
  ImageFsUsage,
  NodeImage,
  NodeInventory,
  PodSandboxSummary,
  RuntimeInfo,
} from "@imagedrift/core";
import { isSharedImage, shareImage } from "@imagedrift/core";
import { StringChecks } from "./string-cache.js";
import {
  invalidType,
  isObject,
  type Path,
  type Problems,
  problemsOfUint,
  type TextRule,
  tooMany,
  uintOf,
} from "./wire-values.js";

export const MAX_IMAGES = 50_000;
export const MAX_CONTAINERS = 50_000;
const MAX_REFERENCES = 1000;

/** zod's `z.iso.datetime({ offset: true })`: RFC 3339 with seconds and `Z` or `±hh:mm`, real calendar dates. */
const DATETIME =
  /^(?:(?:\d\d[2468][048]|\d\d[13579][26]|\d\d0[48]|[02468][048]00|[13579][26]00)-02-29|\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)|(?:02)-(?:0[1-9]|1\d|2[0-8])))T(?:(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|([+-](?:[01]\d|2[0-3]):[0-5]\d)))$/;
const CONTAINER_STATES = 'Invalid option: expected one of "created"|"running"|"exited"|"unknown"';
const POD_STATES = 'Invalid option: expected one of "ready"|"notready"';

const RUNTIME: Path = ["runtime"];
const IMAGE_FS: Path = ["imageFs"];
const ID: TextRule = { key: "id", max: 128, min: 1 };
const NAME: TextRule = { key: "name", max: 253 };
const NAMESPACE: TextRule = { key: "namespace", max: 253 };
const UID: TextRule = { key: "uid", max: 128 };
const POD: TextRule = { key: "pod", max: 253 };
const CONTAINER: TextRule = { key: "container", max: 253 };
const POD_UID: TextRule = { key: "podUid", max: 128 };
const IMAGE: TextRule = { key: "image", max: 1024 };
const RUNTIME_NAME: TextRule = { key: "name", max: 128 };
const RUNTIME_VERSION: TextRule = { key: "version", max: 128 };
const RUNTIME_API_VERSION: TextRule = { key: "apiVersion", max: 32 };
const MOUNTPOINT: TextRule = { key: "mountpoint", max: 4096 };

type Fields = Record<string, unknown>;

/** Whether `value` is an array of at most `max` items; if not, the problem is added under `path`. */
function isList(value: unknown, max: number, problems: Problems, path: Path): value is readonly unknown[] {
  if (!Array.isArray(value)) {
    problems.add(path, invalidType("array", value));
    problems.lengths(value, { max }, path);
  } else if (value.length > max) problems.add(path, tooMany(max));
  else return true;
  return false;
}

function checkContainer(value: unknown, at: Path, problems: Problems): ImageContainer {
  if (!isObject(value)) {
    problems.add(at, invalidType("object", value));
    return value as unknown as ImageContainer;
  }
  const id = problems.text(value.id, ID, at);
  const pod = problems.text(value.pod, POD, at);
  const namespace = problems.text(value.namespace, NAMESPACE, at);
  const container = problems.text(value.container, CONTAINER, at);
  const state = value.state;
  if (state !== "created" && state !== "running" && state !== "exited" && state !== "unknown") {
    problems.add([...at, "state"], CONTAINER_STATES);
  }
  const podUid = problems.text(value.podUid, POD_UID, at);
  const image = problems.text(value.image, IMAGE, at);
  return { id, pod, namespace, container, state: state as ImageContainer["state"], podUid, image };
}

function checkPod(value: unknown, at: Path, problems: Problems): PodSandboxSummary {
  if (!isObject(value)) {
    problems.add(at, invalidType("object", value));
    return value as unknown as PodSandboxSummary;
  }
  const id = problems.text(value.id, ID, at);
  const name = problems.text(value.name, NAME, at);
  const namespace = problems.text(value.namespace, NAMESPACE, at);
  const uid = problems.text(value.uid, UID, at);
  const state = value.state;
  if (state !== "ready" && state !== "notready") problems.add([...at, "state"], POD_STATES);
  return { id, name, namespace, uid, state: state as PodSandboxSummary["state"] };
}

function checkRuntime(value: unknown, problems: Problems): RuntimeInfo {
  if (!isObject(value)) {
    problems.add(RUNTIME, invalidType("object", value));
    return value as unknown as RuntimeInfo;
  }
  return {
    name: problems.text(value.name, RUNTIME_NAME, RUNTIME),
    version: problems.text(value.version, RUNTIME_VERSION, RUNTIME),
    apiVersion: problems.text(value.apiVersion, RUNTIME_API_VERSION, RUNTIME),
  };
}

function checkImageFs(value: unknown, problems: Problems): ImageFsUsage {
  if (!isObject(value)) {
    problems.add(IMAGE_FS, invalidType("object", value));
    return value as unknown as ImageFsUsage;
  }
  const mountpoint = problems.text(value.mountpoint, MOUNTPOINT, IMAGE_FS);
  const usedBytes = problems.uint(value.usedBytes, IMAGE_FS, "usedBytes");
  const inodesUsed = value.inodesUsed === null ? null : problems.uint(value.inodesUsed, IMAGE_FS, "inodesUsed");
  return { mountpoint, usedBytes, inodesUsed };
}

/**
 * The inventory check with its memories: strings found valid (string-cache.ts)
 * and checked images by the shared wire image they came from (the decoder
 * gives the same object for an image every node sends alike, and a shared
 * image found valid stays valid; the result is shared too, shared-image.ts).
 * The collector's gateway holds one for its lifetime.
 */
export class InventoryChecker {
  readonly #strings = new StringChecks();
  readonly #images = new WeakMap<object, NodeImage>();

  /**
   * Checks an inventory (with `imageFs.inodesUsed` absent made null) and
   * returns a fresh copy of its known fields, in the order of NodeInventory.
   * When `problems` holds any afterwards, the copy is garbage: drop it.
   */
  check(input: Fields, problems: Problems): Omit<NodeInventory, "node"> {
    const scannedAt = input.scannedAt;
    if (typeof scannedAt !== "string") problems.add(["scannedAt"], invalidType("string", scannedAt));
    else if (!DATETIME.test(scannedAt)) problems.add(["scannedAt"], "Invalid ISO datetime");
    const runtime = checkRuntime(input.runtime, problems);
    let images: NodeImage[] = [];
    const imageList = input.images;
    if (isList(imageList, MAX_IMAGES, problems, ["images"])) {
      images = new Array<NodeImage>(imageList.length);
      for (let i = 0; i < imageList.length; i++) images[i] = this.#image(imageList[i], i, problems);
    }
    let pods: PodSandboxSummary[] = [];
    const podList = input.pods;
    if (isList(podList, MAX_CONTAINERS, problems, ["pods"])) {
      pods = new Array<PodSandboxSummary>(podList.length);
      for (let k = 0; k < podList.length; k++) pods[k] = checkPod(podList[k], ["pods", k], problems);
    }
    const imageFs = checkImageFs(input.imageFs, problems);
    return { scannedAt: scannedAt as string, runtime, images, pods, imageFs };
  }

  #image(value: unknown, i: number, problems: Problems): NodeImage {
    const shared = typeof value === "object" && value !== null && isSharedImage(value);
    if (shared) {
      const known = this.#images.get(value);
      if (known !== undefined) return known;
    }
    const before = problems.count;
    const image = this.#fields(value, i, problems);
    if (shared && problems.count === before) this.#images.set(value, shareImage(image));
    return image;
  }

  #fields(value: unknown, i: number, problems: Problems): NodeImage {
    if (!isObject(value)) {
      problems.add(["images", i], invalidType("object", value));
      return value as unknown as NodeImage;
    }
    const id = value.id;
    if (typeof id !== "string") problems.add(["images", i, "id"], invalidType("string", id));
    else if (!this.#strings.isImageId(id)) problems.add(["images", i, "id"], "must be sha256:<64 hex>");
    const repoTags = this.#references(value, { i, key: "repoTags" }, problems);
    const repoDigests = this.#references(value, { i, key: "repoDigests" }, problems);
    const size = uintOf(value.size);
    if (size < 0) for (const problem of problemsOfUint(value.size)) problems.add(["images", i, "size"], problem);
    const pinned = value.pinned;
    if (typeof pinned !== "boolean") problems.add(["images", i, "pinned"], invalidType("boolean", pinned));
    const sandbox = value.sandbox;
    if (typeof sandbox !== "boolean") problems.add(["images", i, "sandbox"], invalidType("boolean", sandbox));
    const inUse = value.inUse;
    if (typeof inUse !== "boolean") problems.add(["images", i, "inUse"], invalidType("boolean", inUse));
    const list = value.containers;
    let containers: ImageContainer[] = [];
    if (!Array.isArray(list) || list.length > MAX_CONTAINERS) {
      isList(list, MAX_CONTAINERS, problems, ["images", i, "containers"]);
    } else if (list.length > 0) {
      containers = new Array<ImageContainer>(list.length);
      for (let j = 0; j < list.length; j++) {
        containers[j] = checkContainer(list[j], ["images", i, "containers", j], problems);
      }
    }
    return {
      id: id as string,
      repoTags,
      repoDigests,
      size,
      pinned: pinned as boolean,
      sandbox: sandbox as boolean,
      inUse: inUse as boolean,
      containers,
    };
  }

  /** `repoTags` (image references) or `repoDigests` (`host/repository@digest`) of image `i`. */
  #references(image: Fields, at: { i: number; key: "repoTags" | "repoDigests" }, problems: Problems): string[] {
    const { i, key } = at;
    const value = image[key];
    if (!Array.isArray(value) || value.length > MAX_REFERENCES) {
      isList(value, MAX_REFERENCES, problems, ["images", i, key]);
      return [];
    }
    const strings = this.#strings;
    const out = new Array<string>(value.length);
    for (let j = 0; j < value.length; j++) {
      const ref: unknown = value[j];
      const problem =
        typeof ref !== "string"
          ? invalidType("string", ref)
          : key === "repoTags"
            ? strings.referenceProblem(ref)
            : strings.repoDigestProblem(ref);
      if (problem !== null) problems.add(["images", i, key, j], problem);
      out[j] = ref as string;
    }
    return out;
  }
}
