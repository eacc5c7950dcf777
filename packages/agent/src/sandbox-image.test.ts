import type { CriClient, CriImage, CriPodSandbox, CriPodSandboxStatus } from "@imagedrift/cri";
import { describe, expect, it } from "vitest";
import {
  pinnedSandboxImages,
  readSandboxImages,
  sandboxImageFromSandboxInfo,
  sandboxImageFromStatus,
} from "./sandbox-image.js";

const hex = (c: string) => c.repeat(64);
const image = (id: string, tags: string[], pinned = false): CriImage => ({
  id: `sha256:${hex(id)}`,
  repoTags: tags,
  repoDigests: [],
  size: "1000",
  pinned,
});
const sandbox = (id: string): CriPodSandbox => ({
  id,
  metadata: { name: id, uid: `uid-${id}`, namespace: "default", attempt: 0 },
  state: "SANDBOX_READY",
  createdAt: "0",
  labels: {},
  annotations: {},
});

/** Answers PodSandboxStatus from a table and counts the calls; the only method readSandboxImages uses. */
function sandboxStatuses(infoById: Record<string, Record<string, string>>) {
  const asked: string[] = [];
  const cri = {
    podSandboxStatus: async (id: string): Promise<CriPodSandboxStatus> => {
      asked.push(id);
      const info = infoById[id];
      if (info === undefined) throw new Error(`sandbox ${id} not found`);
      return { status: null, info };
    },
  } as unknown as CriClient;
  return { cri, asked };
}

describe("sandboxImageFromStatus", () => {
  it("reads info.config.sandboxImage as containerd 1.x, CRI-O and cri-dockerd give it", () => {
    const containerd16 = { config: JSON.stringify({ containerd: { snapshotter: "overlayfs" }, sandboxImage: "p:1" }) };
    const crio = { config: JSON.stringify({ sandboxImage: "registry.k8s.io/pause:3.10", crio: { pinnedImages: [] } }) };
    const criDockerd = { config: JSON.stringify({ sandboxImage: "registry.k8s.io/pause:3.9" }) };
    expect(sandboxImageFromStatus(containerd16)).toBe("p:1");
    expect(sandboxImageFromStatus(crio)).toBe("registry.k8s.io/pause:3.10");
    expect(sandboxImageFromStatus(criDockerd)).toBe("registry.k8s.io/pause:3.9");
  });

  it("gives null for containerd 2.x's config (no sandboxImage), no info, an empty or a broken value", () => {
    expect(sandboxImageFromStatus({ config: JSON.stringify({ containerd: {}, cni: {} }), golang: '"go1.24"' })).toBe(
      null,
    );
    expect(sandboxImageFromStatus({})).toBe(null);
    expect(sandboxImageFromStatus({ config: JSON.stringify({ sandboxImage: "" }) })).toBe(null);
    expect(sandboxImageFromStatus({ config: "{not json" })).toBe(null);
    expect(sandboxImageFromStatus({ config: "null" })).toBe(null);
  });
});

describe("sandboxImageFromSandboxInfo", () => {
  it("reads info.info.image (containerd; CRI-O with an infra container)", () => {
    expect(sandboxImageFromSandboxInfo({ info: JSON.stringify({ pid: 1, image: "registry.k8s.io/pause:3.10" }) })).toBe(
      "registry.k8s.io/pause:3.10",
    );
  });

  it("gives null for a CRI-O sandbox without an infra container (runtime spec only) and cri-dockerd (no info)", () => {
    expect(sandboxImageFromSandboxInfo({ info: JSON.stringify({ runtimeSpec: { ociVersion: "1.0.2" } }) })).toBe(null);
    expect(sandboxImageFromSandboxInfo({})).toBe(null);
  });
});

describe("pinnedSandboxImages", () => {
  const pause = image("a", ["registry.k8s.io/pause:3.10"], true);
  const base = image("b", ["docker.io/library/ubuntu:24.04"], true);
  const app = image("c", ["docker.io/library/nginx:1.27"]);

  it("takes the one pinned image, whatever its name (containerd pins only the sandbox image by default)", () => {
    expect(pinnedSandboxImages([app, image("d", ["example.com/infra:1"], true)])).toEqual([`sha256:${hex("d")}`]);
  });

  it("among several pinned images takes those named pause, and all of them when none is", () => {
    expect(pinnedSandboxImages([pause, base, app])).toEqual([pause.id]);
    const other = image("e", ["example.com/infra:1"], true);
    expect(pinnedSandboxImages([other, base, app])).toEqual([other.id, base.id]);
  });

  it("gives nothing when nothing is pinned", () => {
    expect(pinnedSandboxImages([app])).toEqual([]);
  });
});

describe("readSandboxImages", () => {
  const pinnedPause = image("a", ["registry.k8s.io/pause:3.10"], true);

  it("takes the flag, the status and every sandbox's image together, each once", async () => {
    const { cri } = sandboxStatuses({
      s1: { info: JSON.stringify({ image: "registry.k8s.io/pause:3.9" }) },
      s2: { info: JSON.stringify({ image: "registry.k8s.io/pause:3.10" }) },
      s3: { info: JSON.stringify({ image: "registry.k8s.io/pause:3.10" }) },
    });
    const images = await readSandboxImages(cri, {
      configured: "example.com/pause:1",
      statusInfo: { config: JSON.stringify({ sandboxImage: "registry.k8s.io/pause:3.10" }) },
      images: [pinnedPause],
      sandboxes: [sandbox("s1"), sandbox("s2"), sandbox("s3")],
    });
    expect(images).toEqual(["example.com/pause:1", "registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.9"]);
  });

  it("falls back to the pinned images only when nothing else names one", async () => {
    const { cri } = sandboxStatuses({ s1: { info: JSON.stringify({ runtimeSpec: {} }) } });
    const inputs = { statusInfo: {}, images: [pinnedPause], sandboxes: [sandbox("s1")] };
    expect(await readSandboxImages(cri, inputs)).toEqual([pinnedPause.id]);
    expect(await readSandboxImages(cri, { ...inputs, images: [{ ...pinnedPause, pinned: false }] })).toEqual([]);
  });

  it("asks about each sandbox once while it exists, and again about one whose status failed", async () => {
    const { cri, asked } = sandboxStatuses({ s1: { info: JSON.stringify({ image: "p:1" }) } });
    const inputs = { statusInfo: {}, images: [], sandboxes: [sandbox("s1"), sandbox("gone")] };
    expect(await readSandboxImages(cri, inputs)).toEqual(["p:1"]);
    expect(await readSandboxImages(cri, inputs)).toEqual(["p:1"]);
    expect(asked).toEqual(["s1", "gone", "gone"]);
  });
});
