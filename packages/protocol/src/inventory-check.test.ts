import { ImagedriftError } from "@imagedrift/core";
import { describe, expect, it } from "vitest";
import { InventoryChecker } from "./inventory-check.js";
import { fromWireInventory } from "./inventory-wire.js";
import type { WireImage, WireInventory } from "./messages.js";

const hex = (n: number) => n.toString(16).padStart(64, "0");
const ID = `sha256:${hex(2)}`;
const DIGEST = `reg.example/app@sha256:${hex(3)}`;

function wire(): WireInventory {
  return {
    hash: `sha256:${hex(1)}`,
    scannedAt: "2025-01-01T00:00:00Z",
    runtime: { name: "containerd", version: "1.7.0", apiVersion: "v1" },
    images: [
      {
        id: ID,
        repoTags: ["reg.example/app:1"],
        repoDigests: [DIGEST],
        size: "1000",
        pinned: false,
        sandbox: false,
        inUse: true,
        containers: [
          {
            id: "c1",
            pod: "web-0",
            namespace: "default",
            container: "app",
            state: "running",
            podUid: "u1",
            image: "reg.example/app:1",
          },
        ],
      },
    ],
    pods: [{ id: "p1", name: "web-0", namespace: "default", uid: "u1", state: "ready" }],
    imageFs: { mountpoint: "/var/lib/containerd", usedBytes: "3000", inodesUsed: "12" },
  };
}

/** A wire inventory with one edit; fields typed loosely, since the validator is for what the wire may hold. */
type Edit = (w: WireInventory & Record<string, unknown>, image: WireImage & Record<string, unknown>) => void;
const edited = (edit: Edit): WireInventory => {
  const w = wire() as WireInventory & Record<string, unknown>;
  edit(w, w.images[0] as WireImage & Record<string, unknown>);
  return w;
};
const set = (target: object, key: string, value: unknown) => Object.assign(target, { [key]: value });
const long = (n: number) => "x".repeat(n);

function rejection(w: WireInventory, node = "n1"): ImagedriftError {
  try {
    fromWireInventory(node, w);
  } catch (thrown) {
    expect(thrown).toBeInstanceOf(ImagedriftError);
    return thrown as ImagedriftError;
  }
  throw new Error("accepted");
}

describe("fromWireInventory", () => {
  it("returns a copy of the known fields with uint64 strings as numbers", () => {
    const w = wire();
    const inventory = fromWireInventory("n1", { ...w, extra: 1 } as WireInventory);
    expect(inventory).toEqual({
      node: "n1",
      scannedAt: w.scannedAt,
      runtime: w.runtime,
      images: [{ ...w.images[0], size: 1000 }],
      pods: w.pods,
      imageFs: { mountpoint: "/var/lib/containerd", usedBytes: 3000, inodesUsed: 12 },
    });
    expect(Object.keys(inventory)).toEqual(["node", "scannedAt", "runtime", "images", "pods", "imageFs"]);
    expect(inventory.images[0]).not.toBe(w.images[0]);
    expect(inventory.images[0]?.repoTags).not.toBe(w.images[0]?.repoTags);
  });

  const accepted: [string, Edit, (inventory: ReturnType<typeof fromWireInventory>) => unknown, unknown][] = [
    ["absent inodesUsed is null", (w) => w.imageFs && delete w.imageFs.inodesUsed, (i) => i.imageFs.inodesUsed, null],
    ["null inodesUsed", (w) => set(w.imageFs ?? {}, "inodesUsed", null), (i) => i.imageFs.inodesUsed, null],
    ["a uint64 as a number", (_, img) => set(img, "size", 7), (i) => i.images[0]?.size, 7],
    ["16 digits within 2^53", (_, img) => set(img, "size", "0000000000000012"), (i) => i.images[0]?.size, 12],
    ["the largest safe integer", (_, img) => set(img, "size", 2 ** 53 - 1), (i) => i.images[0]?.size, 2 ** 53 - 1],
    ["an offset time", (w) => set(w, "scannedAt", "2024-02-29T23:59:59.5+05:30"), (i) => i.scannedAt, true],
    ["a 128-character runtime name", (w) => set(w.runtime ?? {}, "name", long(128)), (i) => i.runtime.name, true],
    [
      "128 astral characters (zod counts code points)",
      (w) => set(w.runtime ?? {}, "name", "😀".repeat(128)),
      (i) => i.runtime.name.length,
      256,
    ],
    ["1000 tags", (_, img) => set(img, "repoTags", Array(1000).fill("a")), (i) => i.images[0]?.repoTags.length, 1000],
    ["no images and no pods", (w) => Object.assign(w, { images: [], pods: [] }), (i) => i.images.length, 0],
    ["a digest reference as a tag", (_, img) => set(img, "repoTags", [DIGEST]), (i) => i.images[0]?.repoTags, [DIGEST]],
  ];
  it.each(accepted)("accepts %s", (_, edit, pick, expected) => {
    const value = pick(fromWireInventory("n1", edited(edit)));
    if (expected === true) expect(value).toBeTruthy();
    else expect(value).toEqual(expected);
  });

  const rejected: [Edit, string][] = [
    [(w) => set(w, "scannedAt", "2025-01-01"), "scannedAt: Invalid ISO datetime"],
    [(w) => set(w, "scannedAt", "2023-02-29T00:00:00Z"), "scannedAt: Invalid ISO datetime"],
    [(w) => set(w, "scannedAt", 5), "scannedAt: Invalid input: expected string, received number"],
    [(w) => set(w, "runtime", null), "runtime: Invalid input: expected object, received null"],
    [(w) => set(w, "runtime", []), "runtime: Invalid input: expected object, received array"],
    [(w) => set(w.runtime ?? {}, "name", long(129)), "runtime.name: Too big: expected string to have <=128 characters"],
    [(w) => set(w.runtime ?? {}, "apiVersion", long(33)), "runtime.apiVersion: Too big: expected string to have <=32"],
    [(w) => set(w, "images", {}), "images: Invalid input: expected array, received object"],
    [(w) => set(w, "images", Array(50_001).fill(null)), "images: Too big: expected array to have <=50000 items"],
    [(w) => set(w, "images", [null]), "images[0]: Invalid input: expected object, received null"],
    [(_, img) => set(img, "id", `sha256:${"A".repeat(64)}`), "images[0].id: must be sha256:<64 hex>"],
    [(_, img) => set(img, "id", hex(2)), "images[0].id: must be sha256:<64 hex>"],
    [(_, img) => set(img, "id", `${ID}\n`), "images[0].id: must be sha256:<64 hex>"],
    [(_, img) => set(img, "id", 5), "images[0].id: Invalid input: expected string, received number"],
    [
      (_, img) => set(img, "repoTags", ["ok.example/a:1", "A/b:1"]),
      'images[0].repoTags[1]: invalid reference "A/b:1": repository name must be lowercase',
    ],
    [
      (_, img) => set(img, "repoTags", [""]),
      'images[0].repoTags[0]: invalid reference "": reference must not be empty',
    ],
    [(_, img) => set(img, "repoTags", [5]), "images[0].repoTags[0]: Invalid input: expected string, received number"],
    [
      (_, img) => set(img, "repoTags", Array(1001).fill("a")),
      "images[0].repoTags: Too big: expected array to have <=1000",
    ],
    [
      (_, img) => set(img, "repoDigests", ["reg.example/app:1"]),
      'images[0].repoDigests[0]: invalid repo digest "reg.example/app:1" (expected host/repository@sha256:<64 hex>)',
    ],
    [(_, img) => set(img, "repoDigests", "x"), "images[0].repoDigests: Invalid input: expected array, received string"],
    [(_, img) => set(img, "size", "-1"), "images[0].size: must be a non-negative integer"],
    [(_, img) => set(img, "size", "1e3"), "images[0].size: must be a non-negative integer"],
    [(_, img) => set(img, "size", "99999999999999999"), "images[0].size: must be a non-negative integer"],
    [(_, img) => set(img, "size", "9999999999999999"), "images[0].size: is too large"],
    [(_, img) => set(img, "size", -1), "images[0].size: Too small: expected number to be >=0"],
    [(_, img) => set(img, "size", 1.5), "images[0].size: Invalid input"],
    [(_, img) => set(img, "size", Number.NaN), "images[0].size: Invalid input"],
    [(_, img) => set(img, "size", null), "images[0].size: Invalid input"],
    [(_, img) => set(img, "size", 2 ** 53), "images[0].size: Too big: expected int to be <=9007199254740991"],
    [(_, img) => set(img, "pinned", "false"), "images[0].pinned: Invalid input: expected boolean, received string"],
    [
      (_, img) => set(img, "sandbox", undefined),
      "images[0].sandbox: Invalid input: expected boolean, received undefined",
    ],
    [(_, img) => set(img, "inUse", 1), "images[0].inUse: Invalid input: expected boolean, received number"],
    [(_, img) => set(img, "containers", null), "images[0].containers: Invalid input: expected array, received null"],
    [
      (_, img) => set(img.containers[0] ?? {}, "id", ""),
      "images[0].containers[0].id: Too small: expected string to have >=1",
    ],
    [(_, img) => set(img.containers[0] ?? {}, "pod", long(254)), "images[0].containers[0].pod: Too big"],
    [(_, img) => set(img.containers[0] ?? {}, "image", long(1025)), "images[0].containers[0].image: Too big"],
    [
      (_, img) => set(img.containers[0] ?? {}, "state", "RUNNING"),
      'images[0].containers[0].state: Invalid option: expected one of "created"|"running"|"exited"|"unknown"',
    ],
    [(w) => set(w.pods[0] ?? {}, "id", ""), "pods[0].id: Too small: expected string to have >=1 characters"],
    [(w) => set(w.pods[0] ?? {}, "uid", long(129)), "pods[0].uid: Too big: expected string to have <=128 characters"],
    [
      (w) => set(w.pods[0] ?? {}, "state", "Ready"),
      'pods[0].state: Invalid option: expected one of "ready"|"notready"',
    ],
    [(w) => set(w, "imageFs", null), "imageFs: Invalid input: expected object, received null"],
    [(w) => set(w.imageFs ?? {}, "mountpoint", long(4097)), "imageFs.mountpoint: Too big"],
    [(w) => set(w.imageFs ?? {}, "usedBytes", "x"), "imageFs.usedBytes: must be a non-negative integer"],
    [(w) => set(w.imageFs ?? {}, "inodesUsed", -3), "imageFs.inodesUsed: Too small: expected number to be >=0"],
    // zod's length checks run on anything with a length, after the type problem.
    [(w) => set(w.pods[0] ?? {}, "id", []), "pods[0].id: Too small: expected array to have >=1 items"],
  ];
  it.each(rejected.map(([edit, message]) => [message, edit] as const))("rejects: %s", (message, edit) => {
    const error = rejection(edited(edit));
    expect(error.code).toBe("invalid-argument");
    expect(error.message).toMatch(/^inventory from node "n1" rejected:\n {2}/);
    expect(error.message).toContain(`\n  ${message}`);
  });

  it("lists every problem in order, the first 20 of them, and counts the rest", () => {
    const w = edited((inv, img) => {
      set(inv, "scannedAt", "yesterday");
      set(
        img,
        "repoTags",
        Array.from({ length: 30 }, (_, k) => `Bad${k}`),
      );
      set(inv.pods[0] ?? {}, "state", "gone");
    });
    const lines = rejection(w, "node-7").message.split("\n");
    expect(lines[0]).toBe('inventory from node "node-7" rejected:');
    expect(lines[1]).toBe("  scannedAt: Invalid ISO datetime");
    expect(lines[2]).toBe('  images[0].repoTags[0]: invalid reference "Bad0": repository name must be lowercase');
    expect(lines).toHaveLength(22);
    expect(lines[21]).toBe("  … and 12 more");
  });

  it("rejects a missing inventory as invalid-argument", () => {
    const error = rejection(null as unknown as WireInventory);
    expect(error.message).toBe(
      'inventory from node "n1" rejected:\n  (root): Invalid input: expected object, received null',
    );
  });

  it("gives the same answer for a string it has already seen", () => {
    const bad = edited((_, img) => set(img, "repoTags", ["Bad:1"]));
    expect(rejection(bad).message).toBe(rejection(bad).message);
    for (let k = 0; k < 3; k++)
      expect(fromWireInventory("n1", wire()).images[0]?.repoTags).toEqual(["reg.example/app:1"]);
  });
});

describe("frozen images (the decoder's shared ones)", () => {
  const frozenImage = (id: string): WireImage =>
    Object.freeze({
      id,
      repoTags: Object.freeze(["reg.example/app:2"]),
      repoDigests: Object.freeze([DIGEST]),
      size: "7",
      pinned: false,
      sandbox: false,
      inUse: false,
      containers: Object.freeze([]),
    }) as unknown as WireImage;

  it("are checked once per checker: the same frozen image gives the same frozen result in every inventory", () => {
    const image = frozenImage(`sha256:${hex(9)}`);
    const checker = new InventoryChecker();
    const a = fromWireInventory("n1", { ...wire(), images: [image] }, checker);
    const b = fromWireInventory("n2", { ...wire(), images: [wire().images[0] as WireImage, image] }, checker);
    expect(b.images[1]).toBe(a.images[0]);
    // Another checker (another gateway, another test) keeps its own memory.
    const other = fromWireInventory("n3", { ...wire(), images: [image] }, new InventoryChecker());
    expect(other.images[0]).not.toBe(a.images[0]);
    expect(other.images[0]).toEqual(a.images[0]);
    expect(Object.isFrozen(a.images[0])).toBe(true);
    expect(a.images[0]).toEqual({ ...image, size: 7, repoTags: ["reg.example/app:2"], repoDigests: [DIGEST] });
  });

  it("are refused each time when invalid, named by their place in each inventory", () => {
    const bad = frozenImage("sha256:nothex");
    expect(() => fromWireInventory("n1", { ...wire(), images: [bad] })).toThrow(/images\[0\]\.id/);
    expect(() => fromWireInventory("n1", { ...wire(), images: [wire().images[0] as WireImage, bad] })).toThrow(
      /images\[1\]\.id/,
    );
  });
});
