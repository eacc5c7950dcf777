import type { CriContainer, CriImage, CriPodSandbox } from "@imagedrift/cri";
import { describe, expect, it } from "vitest";
import { assembleInventory, type RuntimeSnapshot, toSafeNumber } from "./inventory.js";

const hex = (c: string) => c.repeat(64);
const image = (over: Partial<CriImage> & { id: string }): CriImage => ({
  repoTags: [],
  repoDigests: [],
  size: "1000",
  pinned: false,
  ...over,
});
const sandbox = (id: string, name: string): CriPodSandbox => ({
  id,
  metadata: { name, namespace: "shop", uid: `uid-${name}`, attempt: 0 },
  state: "SANDBOX_READY",
  createdAt: "0",
  labels: {},
  annotations: {},
});
const container = (over: Partial<CriContainer> & { id: string }): CriContainer => ({
  podSandboxId: "pod-1",
  metadata: { name: "meta-name", attempt: 0 },
  image: { image: "" },
  imageRef: "",
  state: "CONTAINER_RUNNING",
  createdAt: "0",
  labels: {},
  annotations: {},
  ...over,
});

const app = image({
  id: `sha256:${hex("a")}`,
  repoTags: ["127.0.0.1:5000/demo/app:latest"],
  repoDigests: [`127.0.0.1:5000/demo/app@sha256:${hex("1")}`],
  size: "4096",
});
const pause = image({ id: `sha256:${hex("p")}`, repoTags: ["127.0.0.1:5000/pause:3.9"] });
const orphan = image({ id: `sha256:${hex("0")}`, repoDigests: [`127.0.0.1:5000/demo/app@sha256:${hex("2")}`] });
const nginx = image({ id: `sha256:${hex("n")}`, repoTags: ["docker.io/library/nginx:1.25"] });

function snapshot(over: Partial<RuntimeSnapshot>): RuntimeSnapshot {
  return {
    runtime: { name: "containerd", version: "1.6.20", apiVersion: "v1" },
    images: [app, pause, orphan, nginx],
    containers: [],
    sandboxes: [],
    imageFilesystems: [
      { timestamp: "0", fsId: { mountpoint: "/var/lib/containerd" }, usedBytes: { value: "123456" }, inodesUsed: null },
    ],
    sandboxImages: ["127.0.0.1:5000/pause:3.9"],
    ...over,
  };
}

const byId = (inventory: ReturnType<typeof assembleInventory>, id: string) => {
  const found = inventory.images.find((i) => i.id === id);
  if (!found) throw new Error(`no image ${id}`);
  return found;
};

describe("assembleInventory", () => {
  it("reports an idle node: nothing in use, sizes as numbers, image filesystem usage", () => {
    const inv = assembleInventory("n1", snapshot({}), new Date("2026-01-01T00:00:00Z"));
    expect(inv.node).toBe("n1");
    expect(inv.scannedAt).toBe("2026-01-01T00:00:00.000Z");
    expect(inv.images.every((i) => !i.inUse && i.containers.length === 0)).toBe(true);
    expect(byId(inv, app.id).size).toBe(4096);
    expect(byId(inv, pause.id).sandbox).toBe(true);
    expect(inv.imageFs).toEqual({ mountpoint: "/var/lib/containerd", usedBytes: 123456, inodesUsed: null });
  });

  it.each([
    ["the image id it runs (imageRef)", { imageRef: app.id }],
    ["the tag it was created from", { image: { image: "127.0.0.1:5000/demo/app:latest" } }],
    ["the repo digest it was created from", { image: { image: `127.0.0.1:5000/demo/app@sha256:${hex("1")}` } }],
    ["its image id without the sha256: prefix", { image: { image: hex("a") } }],
  ])("finds a container's image by %s", (_why, over) => {
    const inv = assembleInventory("n1", snapshot({ containers: [container({ id: "c1", ...over })] }), new Date());
    expect(byId(inv, app.id).inUse).toBe(true);
    expect(byId(inv, app.id).containers.map((c) => c.id)).toEqual(["c1"]);
  });

  it("matches a familiar name the way the runtime normalises it", () => {
    const inv = assembleInventory(
      "n1",
      snapshot({ containers: [container({ id: "c1", image: { image: "nginx:1.25" } })] }),
      new Date(),
    );
    expect(byId(inv, nginx.id).inUse).toBe(true);
  });

  it.each([
    ["CONTAINER_CREATED", "created"],
    ["CONTAINER_RUNNING", "running"],
    ["CONTAINER_EXITED", "exited"],
    ["CONTAINER_UNKNOWN", "unknown"],
  ] as const)("counts a %s container as use (%s)", (state, expected) => {
    const inv = assembleInventory(
      "n1",
      snapshot({ containers: [container({ id: "c1", imageRef: app.id, state })] }),
      new Date(),
    );
    expect(byId(inv, app.id).inUse).toBe(true);
    expect(byId(inv, app.id).containers[0]?.state).toBe(expected);
  });

  it("names containers from sandbox metadata, falling back to kubelet labels", () => {
    const labels = {
      "io.kubernetes.pod.name": "web-7d9",
      "io.kubernetes.pod.namespace": "prod",
      "io.kubernetes.pod.uid": "u-1",
      "io.kubernetes.container.name": "web",
    };
    const inv = assembleInventory(
      "n1",
      snapshot({
        sandboxes: [sandbox("pod-1", "api-5f6")],
        containers: [
          container({ id: "c1", imageRef: app.id, labels: { "io.kubernetes.container.name": "api" } }),
          container({ id: "c2", imageRef: app.id, podSandboxId: "gone", labels }),
        ],
      }),
      new Date(),
    );
    expect(byId(inv, app.id).containers).toEqual([
      {
        id: "c1",
        pod: "api-5f6",
        namespace: "shop",
        podUid: "uid-api-5f6",
        container: "api",
        state: "running",
        image: "",
      },
      { id: "c2", pod: "web-7d9", namespace: "prod", podUid: "u-1", container: "web", state: "running", image: "" },
    ]);
  });

  it("counts the sandbox image as in use while any sandbox exists, and only then", () => {
    const withPods = assembleInventory("n1", snapshot({ sandboxes: [sandbox("pod-1", "x")] }), new Date());
    expect(byId(withPods, pause.id).inUse).toBe(true);
    expect(withPods.pods).toEqual([{ id: "pod-1", name: "x", namespace: "shop", uid: "uid-x", state: "ready" }]);
    const noSandboxImage = assembleInventory(
      "n1",
      snapshot({ sandboxes: [sandbox("pod-1", "x")], sandboxImages: [] }),
      new Date(),
    );
    expect(byId(noSandboxImage, pause.id).inUse).toBe(false);
  });

  it("marks every image a sandbox image source names, by reference (normalised) or by image id", () => {
    const inv = assembleInventory(
      "n1",
      snapshot({ sandboxImages: ["nginx:1.25", pause.id], sandboxes: [sandbox("pod-1", "x")] }),
      new Date(),
    );
    expect(new Set(inv.images.filter((i) => i.sandbox).map((i) => i.id))).toEqual(new Set([pause.id, nginx.id]));
    expect(byId(inv, nginx.id).inUse).toBe(true);
    expect(byId(inv, app.id).sandbox).toBe(false);
  });

  it("keeps the digest-only image a moved tag left behind", () => {
    const inv = assembleInventory("n1", snapshot({}), new Date());
    expect(byId(inv, orphan.id)).toMatchObject({
      repoTags: [],
      repoDigests: [`127.0.0.1:5000/demo/app@sha256:${hex("2")}`],
    });
  });

  it("lists images, containers and pods in code-unit order, whatever the locale", () => {
    const tagged = (c: string, tag: string) => image({ id: `sha256:${hex(c)}`, repoTags: [tag] });
    // localeCompare puts "app-1:v1" first (':' before digits) and "Zed" after "app"; code units do neither.
    const images = [tagged("1", "r.io/app-1:v1"), tagged("2", "r.io/app-10:v1"), tagged("3", "r.io/Zed:v1")];
    const containers = ["c-b", "C-a", "c-a"].map((id) => container({ id, imageRef: `sha256:${hex("1")}` }));
    const sandboxes = [sandbox("pod-b", "b"), sandbox("Pod-c", "c"), sandbox("pod-a", "a")];
    const inv = assembleInventory("n1", snapshot({ images, containers, sandboxes }), new Date());
    expect(inv.images.map((i) => i.repoTags[0])).toEqual(["r.io/Zed:v1", "r.io/app-10:v1", "r.io/app-1:v1"]);
    expect(byId(inv, `sha256:${hex("1")}`).containers.map((c) => c.id)).toEqual(["C-a", "c-a", "c-b"]);
    expect(inv.pods.map((p) => p.id)).toEqual(["Pod-c", "pod-a", "pod-b"]);
  });

  it("matches an image whose id is not a digest by that id, and by the name it normalises to", () => {
    const odd = image({ id: "legacy", repoTags: [] });
    const inv = assembleInventory(
      "n1",
      snapshot({
        images: [odd],
        containers: [
          container({ id: "c1", imageRef: "legacy" }),
          container({ id: "c2", image: { image: "docker.io/library/legacy:latest" } }),
        ],
      }),
      new Date(),
    );
    expect(byId(inv, "legacy").containers.map((c) => c.id)).toEqual(["c1", "c2"]);
  });

  it("ignores containers of images the runtime no longer lists", () => {
    const inv = assembleInventory(
      "n1",
      snapshot({ containers: [container({ id: "c1", imageRef: `sha256:${hex("f")}` })] }),
      new Date(),
    );
    expect(inv.images.some((i) => i.inUse)).toBe(false);
  });
});

describe("toSafeNumber", () => {
  it("converts uint64 strings exactly", () => {
    expect(toSafeNumber("9007199254740991", "size")).toBe(Number.MAX_SAFE_INTEGER);
    expect(toSafeNumber("", "size")).toBe(0);
    expect(toSafeNumber(undefined, "size")).toBe(0);
  });
  it("refuses values that would lose precision, naming the field", () => {
    expect(() => toSafeNumber("18446744073709551615", "size of image x")).toThrow(/size of image x/);
  });
});
