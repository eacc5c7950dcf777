/**
 * The agent on every common runtime's shape: the built binary talks to a real
 * containerd 1.6 node through the lab's CRI proxy, which answers Version,
 * Status, ListImages and PodSandboxStatus as containerd 2.x, CRI-O and
 * cri-dockerd do (test/lab/cri-proxy.ts). On each shape the inventory is
 * containerd's own, the pause image is marked as the sandbox image and kept,
 * and prune removes what it should; on a runtime that names the pause image
 * nowhere, prune refuses until --sandbox-image names it.
 */
import type { CommandResult, NodeInventory } from "@imagedrift/core";
import { CriClient } from "@imagedrift/cri";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CriProxy, RUNTIME_SHAPES, type RuntimeShape, startCriProxy } from "../lab/cri-proxy.js";
import { type ContainerdNode, type Lab, type RunPodResult, removePod, runPod, startLab } from "../lab/index.js";
import { runAgent } from "./agent-process.js";

interface Summary extends CommandResult {
  state: string;
  message: string;
}

const RUNTIME: Record<RuntimeShape, { name: string; version: string; apiVersion: string; pinsPause: boolean }> = {
  identity: { name: "containerd", version: "", apiVersion: "v1", pinsPause: false },
  "containerd-2": { name: "containerd", version: "v2.1.9", apiVersion: "v1", pinsPause: true },
  "cri-o": { name: "cri-o", version: "1.33.4", apiVersion: "v1", pinsPause: true },
  "cri-dockerd": { name: "docker", version: "28.3.3", apiVersion: "v1", pinsPause: true },
  "cri-o-1.26": { name: "cri-o", version: "1.26.4", apiVersion: "v1", pinsPause: false },
};
const NAMING = RUNTIME_SHAPES.filter((shape) => shape !== "cri-o-1.26");

describe("the agent on each runtime's shape (CRI proxy over real containerd 1.6)", () => {
  let lab: Lab;
  let node: ContainerdNode;
  let cri: CriClient;
  let pod: RunPodResult;
  let pauseId: string;
  const proxies = new Map<RuntimeShape, CriProxy>();

  const endpoint = (shape: RuntimeShape) => proxies.get(shape)?.endpoint ?? "";
  const agent = (shape: RuntimeShape, ...args: string[]) =>
    runAgent([...args, "--cri-endpoint", endpoint(shape), "--node-name", "n1"]);
  const inventory = async (shape: RuntimeShape, ...flags: string[]) => {
    const run = await agent(shape, "inventory", ...flags);
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as NodeInventory;
  };
  const ids = async () => (await cri.listImages()).map((i) => i.id).sort();

  beforeAll(async () => {
    lab = await startLab({ nodes: 1 });
    node = lab.node("n1");
    cri = CriClient.connect({ endpoint: node.endpoint, timeoutMs: 60_000 });
    await lab.buildAndPush("shape/app:1", { runnable: true, salt: "shape-app" });
    for (const shape of RUNTIME_SHAPES) {
      await lab.buildAndPush(`shape/${shape}:1`, { salt: `shape-${shape}` });
      await cri.pullImage(lab.ref(`shape/${shape}:1`));
      const socket = `${lab.dir}/p${proxies.size}.sock`;
      proxies.set(shape, await startCriProxy({ upstream: node.socket, socket, shape, sandboxImage: lab.sandboxImage }));
    }
    pod = await runPod(node, {
      name: "web",
      namespace: "shop",
      containers: [{ name: "app", image: lab.ref("shape/app:1") }],
    });
    pauseId = (await cri.imageStatus(lab.sandboxImage))?.id ?? "";
    expect(pauseId).not.toBe("");
  }, 180_000);

  afterAll(async () => {
    for (const proxy of proxies.values()) await proxy.stop();
    cri?.close();
    await lab?.stop();
  });

  it("rewriting nothing, the proxy answers exactly as containerd does", async () => {
    const proxied = CriClient.connect({ endpoint: endpoint("identity"), timeoutMs: 60_000 });
    try {
      expect(await proxied.version()).toEqual(await cri.version());
      expect(await proxied.status(true)).toEqual(await cri.status(true));
      // containerd lists from maps: the order differs from call to call.
      const byId = <T extends { id: string }>(items: T[]) => items.sort((a, b) => (a.id < b.id ? -1 : 1));
      expect(byId(await proxied.listImages())).toEqual(byId(await cri.listImages()));
      expect(byId(await proxied.listContainers())).toEqual(byId(await cri.listContainers()));
      expect(byId(await proxied.listPodSandboxes())).toEqual(byId(await cri.listPodSandboxes()));
      expect(await proxied.podSandboxStatus(pod.podSandboxId, true)).toEqual(
        await cri.podSandboxStatus(pod.podSandboxId, true),
      );
      expect(await proxied.imageStatus(lab.sandboxImage)).toEqual(await cri.imageStatus(lab.sandboxImage));
      const withoutTime = (fs: Awaited<ReturnType<CriClient["imageFsInfo"]>>) =>
        fs.map((f) => ({ ...f, timestamp: "" }));
      expect(withoutTime(await proxied.imageFsInfo())).toEqual(withoutTime(await cri.imageFsInfo()));
      const direct = await runAgent(["inventory", "--cri-endpoint", node.endpoint, "--node-name", "n1"]);
      const { scannedAt: _a, ...viaProxy } = await inventory("identity");
      const { scannedAt: _b, ...own } = JSON.parse(direct.stdout) as NodeInventory;
      expect(viaProxy).toEqual(own);
    } finally {
      proxied.close();
    }
  });

  it("containerd 1.6 names the pause image in its status and its sandbox's status, and pins nothing", async () => {
    expect(JSON.parse((await cri.status(true)).info.config ?? "{}")).toMatchObject({
      sandboxImage: lab.sandboxImage,
    });
    expect(JSON.parse((await cri.podSandboxStatus(pod.podSandboxId, true)).info.info ?? "{}")).toMatchObject({
      image: lab.sandboxImage,
    });
    expect((await cri.listImages()).filter((i) => i.pinned)).toEqual([]);
  });

  describe.each(NAMING)("%s", (shape) => {
    it("inventory: containerd's images, the runtime as the shape names it, the pause image the sandbox image", async () => {
      const inv = await inventory(shape);
      const expected = RUNTIME[shape];
      expect(inv.runtime.name).toBe(expected.name);
      if (expected.version !== "") expect(inv.runtime.version).toBe(expected.version);
      expect(inv.images.map((i) => i.id).sort()).toEqual(await ids());
      expect(inv.images.filter((i) => i.sandbox).map((i) => i.id)).toEqual([pauseId]);
      expect(inv.images.find((i) => i.id === pauseId)).toMatchObject({ inUse: true, pinned: expected.pinsPause });
      const app = pod.containers[0];
      expect(inv.images.find((i) => i.id === app?.imageRef)?.containers.map((c) => c.pod)).toEqual(["web"]);
      expect(inv.images.filter((i) => i.pinned).map((i) => i.id)).toEqual(expected.pinsPause ? [pauseId] : []);
    });

    it("prune keeps the pause image and removes an unused image", async () => {
      const dry = await agent(shape, "prune", "--policy", "unused", "--allow-unrecoverable", "--dry-run");
      expect(dry.code, dry.stderr).toBe(0);
      const planned = JSON.parse(dry.stdout) as Summary;
      expect(planned.removed?.map((r) => r.id)).not.toContain(pauseId);
      expect(planned.skipped?.find((s) => s.id === pauseId)?.reason).toBe(
        RUNTIME[shape].pinsPause ? "pinned" : "sandbox image",
      );

      const mine = (await cri.imageStatus(lab.ref(`shape/${shape}:1`)))?.id;
      expect(mine).toBeDefined();
      const run = await agent(
        shape,
        "prune",
        "--policy",
        "unused",
        "--allow-unrecoverable",
        "--include",
        lab.ref(`shape/${shape}:*`),
      );
      expect(run.code, run.stderr).toBe(0);
      expect((JSON.parse(run.stdout) as Summary).removed?.map((r) => r.id)).toEqual([mine]);
      expect(await ids()).not.toContain(mine);
      expect(await ids()).toContain(pauseId);
    });
  });

  describe("cri-o-1.26: a runtime that names the pause image nowhere", () => {
    it("inventory marks no sandbox image, and does with --sandbox-image", async () => {
      expect((await inventory("cri-o-1.26")).images.filter((i) => i.sandbox)).toEqual([]);
      const flagged = await inventory("cri-o-1.26", "--sandbox-image", lab.sandboxImage);
      expect(flagged.images.filter((i) => i.sandbox).map((i) => i.id)).toEqual([pauseId]);
    });

    it("prune refuses, naming the flag that fixes it, and runs with --sandbox-image, keeping the pause image", async () => {
      const before = await ids();
      const refused = await agent("cri-o-1.26", "prune", "--policy", "unused", "--allow-unrecoverable");
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/pod sandbox \(pause\) image/);
      expect(refused.stderr).toMatch(/--sandbox-image \(env IMAGEDRIFT_SANDBOX_IMAGE\)/);
      expect(await ids()).toEqual(before);

      const mine = (await cri.imageStatus(lab.ref("shape/cri-o-1.26:1")))?.id;
      const run = await agent(
        "cri-o-1.26",
        "prune",
        "--policy",
        "unused",
        "--allow-unrecoverable",
        "--sandbox-image",
        lab.sandboxImage,
      );
      expect(run.code, run.stderr).toBe(0);
      const out = JSON.parse(run.stdout) as Summary;
      expect(out.removed?.map((r) => r.id)).toContain(mine);
      expect(out.skipped?.find((s) => s.id === pauseId)?.reason).toBe("sandbox image");
      expect(await ids()).toContain(pauseId);
    });
  });

  it("containerd-2 with no sandbox left: the pin alone names the pause image", async () => {
    await removePod(node, pod);
    const inv = await inventory("containerd-2");
    expect(inv.images.filter((i) => i.sandbox).map((i) => i.id)).toEqual([pauseId]);
    const dry = await agent("containerd-2", "prune", "--policy", "unused", "--allow-unrecoverable", "--dry-run");
    expect(dry.code, dry.stderr).toBe(0);
    expect((JSON.parse(dry.stdout) as Summary).removed?.map((r) => r.id)).not.toContain(pauseId);
  });
});
