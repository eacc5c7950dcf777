/**
 * `imagedrift-agent inventory`, the built binary, against a real containerd
 * node and a real registry: digests as the registry gives them (the index
 * digest for multi-arch), re-pushed tags, imported images, containers in every
 * state and the sandbox image, and the exit codes of bad flags and an
 * unreachable runtime.
 */
import type { NodeImage, NodeInventory } from "@imagedrift/core";
import { CriClient } from "@imagedrift/cri";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ContainerdNode,
  hostPlatform,
  type Lab,
  type Platform,
  removePod,
  runPod,
  startLab,
  waitFor,
} from "../lab/index.js";
import { runAgent } from "./agent-process.js";

/** A platform other than this machine's, for the second manifest of a multi-arch index. */
function otherPlatform(): Platform {
  return hostPlatform().architecture === "arm64"
    ? { os: "linux", architecture: "amd64" }
    : { os: "linux", architecture: "arm64" };
}

function byTag(inventory: NodeInventory, ref: string): NodeImage {
  const found = inventory.images.filter((image) => image.repoTags.includes(ref));
  expect(found, `images tagged ${ref}`).toHaveLength(1);
  return found[0] as NodeImage;
}

function byId(inventory: NodeInventory, id: string): NodeImage {
  const found = inventory.images.find((image) => image.id === id);
  expect(found, `image ${id}`).toBeDefined();
  return found as NodeImage;
}

describe("imagedrift-agent inventory against real containerd", () => {
  let lab: Lab;
  let node: ContainerdNode;
  let cri: CriClient;

  /** Runs the binary's `inventory` against the node; it must exit 0 with JSON on stdout. */
  async function inventory(): Promise<NodeInventory> {
    const run = await runAgent(["inventory", "--cri-endpoint", node.endpoint, "--node-name", "n1"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    return JSON.parse(run.stdout) as NodeInventory;
  }

  /** `127.0.0.1:PORT/repo@digest`. */
  const repoDigest = (repo: string, digest: string) => `${lab.registry.host}/${repo}@${digest}`;

  beforeAll(async () => {
    lab = await startLab({ nodes: 1 });
    node = lab.node("n1");
    cri = CriClient.connect({ endpoint: node.endpoint, timeoutMs: 60_000 });
  });

  afterAll(async () => {
    cri?.close();
    await lab?.stop();
  });

  it("reports node, runtime, image filesystem and each pulled image under the registry's digest", async () => {
    const singleDigest = await lab.buildAndPush("demo/single:1.0", { runnable: true, salt: "single" });
    const multiDigest = await lab.buildAndPush("demo/multi:2.0", {
      runnable: true,
      salt: "multi",
      platforms: [hostPlatform(), otherPlatform()],
    });
    const singleId = await cri.pullImage(lab.ref("demo/single:1.0"));
    const multiId = await cri.pullImage(lab.ref("demo/multi:2.0"));

    // containerd sums snapshot usage every stats_collect_period (10 s): a fresh node reports 0 until then.
    await waitFor(async () => Number((await cri.imageFsInfo())[0]?.usedBytes?.value ?? 0) > 0, {
      what: "containerd to report image filesystem usage",
      timeoutMs: 30_000,
      intervalMs: 250,
    });

    const inv = await inventory();
    expect(inv.node).toBe("n1");
    expect(inv.runtime).toMatchObject({ name: "containerd", apiVersion: "v1" });
    expect(inv.runtime.version).toMatch(/^v?\d+\.\d+/);
    expect(Date.now() - Date.parse(inv.scannedAt)).toBeLessThan(60_000);
    expect(inv.imageFs.usedBytes).toBeGreaterThan(0);
    expect(inv.imageFs.mountpoint).toContain(node.dir);

    const single = byTag(inv, lab.ref("demo/single:1.0"));
    expect(single.id).toBe(singleId);
    expect(single.repoTags).toEqual([lab.ref("demo/single:1.0")]);
    expect(single.repoDigests).toEqual([repoDigest("demo/single", singleDigest)]);

    // containerd records the digest the tag pointed at: the index, not the host platform's manifest.
    const multi = byTag(inv, lab.ref("demo/multi:2.0"));
    expect(multi.id).toBe(multiId);
    expect(multi.repoTags).toEqual([lab.ref("demo/multi:2.0")]);
    expect(multi.repoDigests).toEqual([repoDigest("demo/multi", multiDigest)]);
    expect(multi.id).not.toBe(multiDigest);

    for (const image of [single, multi]) {
      expect(image.id).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(Number.isSafeInteger(image.size)).toBe(true);
      // Each carries the busybox-static layer: far more than a few bytes.
      expect(image.size).toBeGreaterThan(100_000);
      expect(image).toMatchObject({ pinned: false, sandbox: false, inUse: false, containers: [] });
    }
  });

  it("after a re-push and a pull the old image stays, digest-only, and the new one carries the tag", async () => {
    const ref = lab.ref("demo/moving:latest");
    const oldDigest = await lab.buildAndPush("demo/moving:latest", { files: { "/version": "1\n" } });
    const oldId = await cri.pullImage(ref);
    const before = byTag(await inventory(), ref);
    expect(before.id).toBe(oldId);
    expect(before.repoDigests).toEqual([repoDigest("demo/moving", oldDigest)]);

    const newDigest = await lab.buildAndPush("demo/moving:latest", { files: { "/version": "2\n" } });
    expect(newDigest).not.toBe(oldDigest);
    const newId = await cri.pullImage(ref);
    expect(newId).not.toBe(oldId);

    const inv = await inventory();
    expect(byId(inv, oldId)).toMatchObject({ repoTags: [], repoDigests: [repoDigest("demo/moving", oldDigest)] });
    expect(byId(inv, newId)).toMatchObject({ repoTags: [ref], repoDigests: [repoDigest("demo/moving", newDigest)] });
    expect(byTag(inv, ref).id).toBe(newId);
  });

  it("an image imported on the node and never pushed has its repo tag and no repo digest", async () => {
    const ref = lab.ref("local/built:dev");
    await lab.importImage(node, "local/built:dev", { files: { "/built": "here\n" } });
    const image = byTag(await inventory(), ref);
    expect(image.repoTags).toEqual([ref]);
    expect(image.repoDigests).toEqual([]);
    expect(image.size).toBeGreaterThan(0);
  });

  it("containers in created, running and exited state put their images in use; the sandbox image is in use while a sandbox exists", async () => {
    const refs = {
      created: lab.ref("use/created:1"),
      running: lab.ref("use/running:1"),
      exited: lab.ref("use/exited:1"),
      idle: lab.ref("use/idle:1"),
    };
    for (const [state, ref] of Object.entries(refs)) {
      await lab.buildAndPush(ref, { runnable: true, salt: `use-${state}` });
    }
    await cri.pullImage(refs.idle);
    const pod = await runPod(node, {
      name: "web",
      namespace: "shop",
      containers: [
        { name: "app-created", image: refs.created, state: "created" },
        { name: "app-running", image: refs.running, state: "running" },
        { name: "app-exited", image: refs.exited, state: "exited" },
      ],
    });

    const inv = await inventory();
    for (const container of pod.containers) {
      const image = byTag(inv, container.image);
      expect(image.id).toBe(container.imageRef);
      expect(image.inUse).toBe(true);
      expect(image.sandbox).toBe(false);
      expect(image.containers).toEqual([
        {
          id: container.id,
          pod: "web",
          namespace: "shop",
          podUid: pod.uid,
          container: container.name,
          state: container.state,
          image: container.image,
        },
      ]);
    }
    expect(pod.containers.map((c) => c.state)).toEqual(["created", "running", "exited"]);

    const pause = byTag(inv, lab.sandboxImage);
    expect(pause).toMatchObject({ sandbox: true, inUse: true, containers: [] });
    expect(inv.images.filter((image) => image.sandbox)).toHaveLength(1);
    expect(inv.pods).toEqual([{ id: pod.podSandboxId, name: "web", namespace: "shop", uid: pod.uid, state: "ready" }]);

    expect(byTag(inv, refs.idle)).toMatchObject({ inUse: false, sandbox: false, containers: [] });

    // With the pod gone no sandbox exists: the pause image is still the sandbox image, but unused.
    await removePod(node, pod);
    const after = await inventory();
    expect(after.pods).toEqual([]);
    expect(byTag(after, lab.sandboxImage)).toMatchObject({ sandbox: true, inUse: false, containers: [] });
    for (const container of pod.containers) {
      expect(byTag(after, container.image)).toMatchObject({ inUse: false, containers: [] });
    }
  });

  it("lists exactly the tags, digests and ids containerd's own image store holds", async () => {
    const inv = await inventory();
    // `ctr images ls -q` names every image record of the k8s.io namespace: tag, digest and id references.
    const names = (await lab.ctr(node, "images", "ls", "-q")).split("\n").filter(Boolean);
    const ids = names.filter((n) => /^sha256:[0-9a-f]{64}$/.test(n));
    const digests = names.filter((n) => n.includes("@"));
    const tags = names.filter((n) => !ids.includes(n) && !digests.includes(n));

    expect(inv.images.flatMap((i) => i.repoTags).sort()).toEqual(tags.sort());
    expect(inv.images.flatMap((i) => i.repoDigests).sort()).toEqual(digests.sort());
    const inventoryIds = new Set(inv.images.map((i) => i.id));
    for (const id of ids) expect(inventoryIds).toContain(id);
    expect(inventoryIds.size).toBe(inv.images.length);
    expect(inv.images.map((i) => i.id).sort()).toEqual((await cri.listImages()).map((i) => i.id).sort());
  });

  it("bad flag values exit 2 and list every problem on stderr", async () => {
    const run = await runAgent([
      "inventory",
      "--cri-endpoint",
      "relative/c.sock",
      "--node-name",
      "Not_A_Node",
      "--interval",
      "10ms",
      "--listen",
      "nowhere",
    ]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    for (const flag of ["--cri-endpoint", "--node-name", "--interval", "--listen"]) {
      expect(run.stderr).toContain(flag);
    }

    // The daemon (no command) checks the same way before it binds or scans anything.
    const daemon = await runAgent(["--cri-endpoint", node.endpoint, "--node-name", "n1", "--listen", "nowhere"]);
    expect(daemon.code).toBe(2);
    expect(daemon.stderr).toContain("--listen");
  });

  it("an unknown flag is a usage error: exit 2", async () => {
    const run = await runAgent(["inventory", "--cri-endpiont", node.endpoint]);
    expect(run.stderr).toContain("--cri-endpiont");
    expect(run.stdout).toBe("");
    expect(run.code).toBe(2);
  });

  it("an unreachable runtime socket exits 3 with a message naming it", async () => {
    const socket = `${lab.dir}/absent.sock`;
    const run = await runAgent(["inventory", "--cri-endpoint", `unix://${socket}`, "--node-name", "n1"]);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^imagedrift-agent: .*UNAVAILABLE/);
    expect(run.stderr).toContain(socket);
    // It fails fast rather than waiting out a deadline.
    expect(run.ms).toBeLessThan(15_000);
  });
});
