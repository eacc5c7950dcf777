/**
 * Smoke test of the lab harness against the real programs: registry pushes,
 * re-pushes, multi-arch indexes, deletes; imports and pulls on containerd
 * nodes; pods through CRI; and a teardown that leaves nothing behind.
 */
import { existsSync } from "node:fs";
import { CriClient } from "@imagedrift/cri";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Lab, startLab } from "./lab.js";
import { OCI_INDEX } from "./oci-image.js";
import { removePod, runPod } from "./pods.js";
import { isAlive } from "./process.js";
import { mountsUnder, processesUnder } from "./reap.js";
import { MANIFEST_ACCEPT, registryRequest } from "./registry-api.js";

const AMD64 = { os: "linux", architecture: "amd64" };
const ARM64 = { os: "linux", architecture: "arm64" };

describe("lab", () => {
  let lab: Lab;

  beforeAll(async () => {
    const started = performance.now();
    lab = await startLab({ nodes: 2 });
    console.info(`lab with 2 nodes started in ${Math.round(performance.now() - started)} ms (${lab.dir})`);
  }, 60_000);

  afterAll(async () => {
    await lab?.stop();
  });

  it("runs a registry with the pause image and two containerd nodes", async () => {
    const v2 = await registryRequest({ method: "GET", url: lab.registry.url, path: "/v2/" });
    expect(v2.status).toBe(200);
    expect(await lab.digestOf("pause:3.9")).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(lab.nodes.map((n) => n.name)).toEqual(["n1", "n2"]);
    for (const node of lab.nodes) {
      expect(node.endpoint).toBe(`unix://${node.socket}`);
      expect(await lab.ctr(node, "version")).toContain("Server:");
    }
  });

  it("re-pushing a tag with new bytes moves its digest", async () => {
    const first = await lab.buildAndPush("demo/app:latest", {
      runnable: true,
      files: { "/etc/app.conf": "v=1\n" },
      salt: "1",
    });
    const second = await lab.buildAndPush("demo/app:latest", {
      runnable: true,
      files: { "/etc/app.conf": "v=1\n" },
      salt: "2",
    });
    expect(second).not.toBe(first);
    expect(await lab.digestOf("demo/app:latest")).toBe(second);
    // The same options build the same bytes.
    expect(
      await lab.buildAndPush("demo/app:again", { runnable: true, files: { "/etc/app.conf": "v=1\n" }, salt: "2" }),
    ).toBe(second);
  });

  it("pushes a multi-arch index and a node records the index digest on pull", async () => {
    const digest = await lab.buildAndPush("demo/multi:1.0", { runnable: true, platforms: [AMD64, ARM64] });
    const head = await registryRequest({
      method: "HEAD",
      url: lab.registry.url,
      path: "/v2/demo/multi/manifests/1.0",
      headers: { Accept: MANIFEST_ACCEPT },
    });
    expect(head.headers["content-type"]).toBe(OCI_INDEX);
    expect(head.headers["docker-content-digest"]).toBe(digest);

    await lab.ctr("n1", "images", "pull", "--plain-http", lab.ref("demo/multi:1.0"));
    const listed = await lab.ctr("n1", "images", "ls");
    const line = listed.split("\n").find((l) => l.startsWith(lab.ref("demo/multi:1.0")));
    expect(line).toContain(OCI_INDEX);
    expect(line).toContain(digest);
  }, 60_000);

  it("deletes a tag: HEAD then answers 404", async () => {
    const digest = await lab.buildAndPush("demo/gone:1", { files: { "/gone": "x" } });
    expect(await lab.deleteTag("demo/gone:1")).toBe(digest);
    const head = await registryRequest({
      method: "HEAD",
      url: lab.registry.url,
      path: "/v2/demo/gone/manifests/1",
      headers: { Accept: MANIFEST_ACCEPT },
    });
    expect(head.status).toBe(404);
    await expect(lab.digestOf("demo/gone:1")).rejects.toMatchObject({ code: "not-found" });
  });

  it("imports a never-pushed image on one node: a repo tag and no repo digest", async () => {
    const ref = lab.ref("local/built:dev");
    await lab.importImage("n1", "local/built:dev", { runnable: true, salt: "local" });
    expect(await lab.ctr("n1", "images", "ls", "-q")).toContain(ref);
    expect(await lab.ctr("n2", "images", "ls", "-q")).not.toContain(ref);
    await expect(lab.digestOf("local/built:dev")).rejects.toMatchObject({ code: "not-found" });

    const cri = CriClient.connect({ endpoint: lab.node("n1").endpoint });
    try {
      const image = (await cri.listImages()).find((i) => i.repoTags.includes(ref));
      expect(image?.repoDigests).toEqual([]);
    } finally {
      cri.close();
    }
  });

  it("pulls through CRI: the repo digest is the registry's digest", async () => {
    const digest = await lab.digestOf("demo/app:latest");
    const cri = CriClient.connect({ endpoint: lab.node("n2").endpoint });
    try {
      const id = await cri.pullImage(lab.ref("demo/app:latest"));
      const image = (await cri.listImages()).find((i) => i.id === id);
      expect(image?.repoTags).toContain(lab.ref("demo/app:latest"));
      expect(image?.repoDigests).toContain(`${lab.registry.host}/demo/app@${digest}`);
    } finally {
      cri.close();
    }
  }, 60_000);

  it("runs pods with kubelet labels in created, running and exited containers", async () => {
    const image = lab.ref("demo/app:latest");
    const node = lab.node("n1");
    const pod = await runPod(node, {
      name: "web",
      namespace: "shop",
      containers: [
        { name: "app", image, state: "running" },
        { name: "init", image, state: "exited" },
        { name: "idle", image: lab.ref("local/built:dev"), state: "created" },
      ],
    });
    const cri = CriClient.connect({ endpoint: node.endpoint });
    try {
      const sandbox = (await cri.listPodSandboxes()).find((s) => s.id === pod.podSandboxId);
      expect(sandbox?.metadata).toMatchObject({ name: "web", namespace: "shop", uid: pod.uid });
      expect(sandbox?.labels["io.kubernetes.pod.name"]).toBe("web");
      const containers = await cri.listContainers();
      const states = Object.fromEntries(
        containers
          .filter((c) => c.podSandboxId === pod.podSandboxId)
          .map((c) => [c.labels["io.kubernetes.container.name"], c.state]),
      );
      expect(states).toEqual({ app: "CONTAINER_RUNNING", init: "CONTAINER_EXITED", idle: "CONTAINER_CREATED" });

      // A second pod, removed again; the first stays up for the teardown check.
      const other = await runPod(node, { name: "tmp", containers: [{ name: "c", image }] });
      await removePod(node, other);
      expect((await cri.listPodSandboxes()).map((s) => s.id)).not.toContain(other.podSandboxId);
    } finally {
      cri.close();
    }
  }, 120_000);

  it("restarts a node on the same dirs and keeps its images", async () => {
    const node = lab.node("n2");
    const before = node.pid;
    await node.stop();
    expect(node.running).toBe(false);
    await node.start();
    expect(node.pid).not.toBe(before);
    expect(await lab.ctr(node, "images", "ls", "-q")).toContain(lab.ref("demo/app:latest"));
  }, 60_000);

  it("stops without leaving processes, mounts or files behind", async () => {
    const tasks = await lab.ctr("n1", "tasks", "ls");
    const taskPids = [...tasks.matchAll(/^\w+\s+(\d+)\s+RUNNING/gm)].map((m) => Number(m[1]));
    expect(taskPids.length).toBeGreaterThanOrEqual(2); // the pod's sandbox and its running container
    expect(mountsUnder(lab.dir).length).toBeGreaterThan(0);
    const daemons = [lab.registry.pid, ...lab.nodes.map((n) => n.pid ?? 0)];

    await lab.stop();

    expect([...daemons, ...taskPids].filter(isAlive)).toEqual([]);
    expect(processesUnder(lab.dir)).toEqual([]);
    expect(mountsUnder(lab.dir)).toEqual([]);
    expect(existsSync(lab.dir)).toBe(false);
  }, 60_000);
});
