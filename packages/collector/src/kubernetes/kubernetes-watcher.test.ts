/** KubernetesWatcher against the FAKE Kubernetes API server (fake-kube-api.fake.ts), through the real client library. */
import { createLogger, type WorkloadPod } from "@imagedrift/core";
import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FakeKubeApi } from "./fake-kube-api.fake.js";
import { nodeObject, ownedObject, podObject } from "./kube-objects.fake.js";
import { KubernetesWatcher } from "./kubernetes-watcher.js";
import { apiOwnerReader } from "./owner-resolver.js";

const APP = "registry.example.com/team/app";
const D1 = `sha256:${"1".repeat(64)}`;
const WAIT = { timeout: 5_000, interval: 10 };

interface Setup {
  api: FakeKubeApi;
  watcher: KubernetesWatcher;
  logs: { level: string; msg: string; resource?: string }[];
  changes: () => number;
  deletedNodes: string[];
}

const running: { api: FakeKubeApi; watcher: KubernetesWatcher }[] = [];

afterEach(async () => {
  for (const { api, watcher } of running.splice(0)) {
    await watcher.stop();
    await api.close();
  }
});

async function setup(seed: (api: FakeKubeApi) => void = () => {}): Promise<Setup> {
  const api = await FakeKubeApi.start();
  seed(api);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(api.kubeconfig());
  const logs: Setup["logs"] = [];
  const log = createLogger({ write: (line) => logs.push(JSON.parse(line)), level: "debug" });
  let changes = 0;
  const deletedNodes: string[] = [];
  const watcher = new KubernetesWatcher({
    kubeConfig,
    owners: apiOwnerReader(kubeConfig),
    log,
    backoff: { baseMs: 20, maxMs: 100 },
  });
  running.push({ api, watcher });
  watcher.start({
    onChange: () => {
      changes += 1;
    },
    onNodeDeleted: (node) => deletedNodes.push(node),
  });
  await vi.waitFor(() => expect(watcher.synced()).toBe(true), WAIT);
  return { api, watcher, logs, changes: () => changes, deletedNodes };
}

const names = (pods: readonly WorkloadPod[]) => pods.map((p) => `${p.namespace}/${p.name}`).sort();
const web = (name: string, extra: { image?: string; node?: string } = {}) =>
  podObject({
    name,
    node: extra.node,
    owner: { kind: "ReplicaSet", name: "web-5d8f" },
    containers: [{ name: "app", image: extra.image ?? `${APP}:v1`, imageID: `${APP}@${D1}` }],
  });

describe("KubernetesWatcher", () => {
  it("lists pods and nodes at start, with containers, statuses and node labels", async () => {
    const { watcher, api } = await setup((api) => {
      api.put("nodes", nodeObject("n1", { zone: "a" }));
      api.put(
        "pods",
        podObject({
          name: "solo",
          containers: [{ name: "app", image: `${APP}:v1`, imageID: `docker-pullable://${APP}@${D1}` }],
          initContainers: [{ name: "init", image: `${APP}:init`, imagePullPolicy: "Always", imageID: `${APP}@${D1}` }],
        }),
      );
    });
    expect(watcher.nodeLabels("n1")).toEqual({ "kubernetes.io/hostname": "n1", zone: "a" });
    expect(watcher.nodePresence("n1")).toBe("present");
    expect(watcher.nodePresence("n9")).toBe("unknown");
    const [pod] = watcher.pods();
    expect(pod).toMatchObject({ namespace: "shop", name: "solo", node: "n1", phase: "Running" });
    expect(pod?.owner).toEqual({ kind: "Pod", namespace: "shop", name: "solo" });
    expect(pod?.containers).toEqual([
      {
        name: "init",
        type: "initContainer",
        index: 0,
        image: `${APP}:init`,
        imagePullPolicy: "Always",
        imageId: `${APP}@${D1}`,
        containerId: "solo-init",
      },
      {
        name: "app",
        type: "container",
        index: 0,
        image: `${APP}:v1`,
        imagePullPolicy: "IfNotPresent",
        imageId: `docker-pullable://${APP}@${D1}`,
        containerId: "solo-app",
      },
    ]);
    expect(api.count("list", "pods")).toBe(1);
    expect(api.count("list", "nodes")).toBe(1);
  });

  it("follows adds, changes and deletes through the watch, without listing again", async () => {
    const { watcher, api, changes } = await setup();
    const before = changes();
    api.put("pods", web("web-1"));
    await vi.waitFor(() => expect(names(watcher.pods())).toEqual(["shop/web-1"]), WAIT);
    api.put("pods", web("web-1", { image: `${APP}:v2` }));
    await vi.waitFor(() => expect(watcher.pods()[0]?.containers[0]?.image).toBe(`${APP}:v2`), WAIT);
    api.delete("pods", "shop", "web-1");
    await vi.waitFor(() => expect(watcher.pods()).toEqual([]), WAIT);
    expect(changes()).toBeGreaterThan(before);
    expect(api.count("list", "pods")).toBe(1);
  });

  it("does not report a pod update that changes nothing the findings read", async () => {
    const { watcher, api, changes } = await setup();
    const pod = web("web-1");
    api.put("pods", pod);
    await vi.waitFor(() => expect(watcher.pods()).toHaveLength(1), WAIT);
    await vi.waitFor(() => expect(watcher.pods()[0]?.owner.kind).toBe("ReplicaSet"), WAIT);
    const before = changes();
    api.put("pods", { ...pod, status: { ...(pod.status as object), conditions: [{ type: "Ready" }] } });
    api.put("pods", web("web-2"));
    await vi.waitFor(() => expect(watcher.pods()).toHaveLength(2), WAIT);
    expect(changes()).toBe(before + 1);
  });

  it("relists after 410 Gone, and sees what changed meanwhile", async () => {
    const { watcher, api } = await setup((api) => api.put("pods", web("web-1")));
    api.quietly(() => {
      api.put("pods", web("web-2"));
      api.delete("pods", "shop", "web-1");
    });
    api.expire();
    await vi.waitFor(() => expect(names(watcher.pods())).toEqual(["shop/web-2"]), WAIT);
    expect(api.count("list", "pods")).toBe(2);
  });

  it("paces relists when every watch answers 410 Gone, instead of looping", async () => {
    const { api } = await setup();
    const lists = api.count("list", "pods");
    api.goneAlways = true;
    api.expire();
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Unpaced, the library lists again at once: hundreds of lists in 500 ms. Paced: about one per 100 ms at most.
    expect(api.count("list", "pods") - lists).toBeGreaterThan(1);
    expect(api.count("list", "pods") - lists).toBeLessThan(15);
  });

  it("reconnects after the connection drops, and watches on from where it was", async () => {
    const { watcher, api } = await setup((api) => api.put("pods", web("web-1")));
    await vi.waitFor(() => expect(api.openWatches).toBe(2), WAIT);
    api.dropConnections();
    api.put("pods", web("web-2"));
    await vi.waitFor(() => expect(names(watcher.pods())).toEqual(["shop/web-1", "shop/web-2"]), WAIT);
    await vi.waitFor(() => expect(api.openWatches).toBe(2), WAIT);
    expect(api.count("list", "pods")).toBe(1);
  });

  it("retries with backoff while the API server fails, logging once when it fails and once when it recovers", async () => {
    const { watcher, api, logs } = await setup();
    await vi.waitFor(() => expect(logs.filter((l) => l.msg === "kubernetes: watching")).toHaveLength(2), WAIT);
    api.failing = true;
    api.dropConnections();
    await vi.waitFor(() => expect(api.count("watch", "pods")).toBeGreaterThan(4), WAIT);
    api.failing = false;
    api.put("pods", web("web-1"));
    await vi.waitFor(() => expect(names(watcher.pods())).toEqual(["shop/web-1"]), WAIT);
    await vi.waitFor(() => expect(logs.filter((l) => l.msg === "kubernetes: watching again")).toHaveLength(2), WAIT);
    const pods = logs.filter((l) => l.resource === "pods" && l.level !== "debug").map((l) => l.msg);
    expect(pods).toEqual([
      "kubernetes: watching",
      "kubernetes: list or watch failed; retrying with backoff",
      "kubernetes: watching again",
    ]);
  });

  it("names a pod's workload: ReplicaSet → Deployment, Job → CronJob, StatefulSet, a bare ReplicaSet", async () => {
    const { watcher } = await setup((api) => {
      api.put("replicasets", ownedObject("shop", "web-5d8f", { kind: "Deployment", name: "web" }));
      api.put("replicasets", ownedObject("shop", "lone-1", undefined));
      api.put("jobs", ownedObject("shop", "nightly-29000", { kind: "CronJob", name: "nightly" }));
      api.put("pods", web("web-5d8f-a"));
      api.put("pods", podObject({ name: "lone-1-x", owner: { kind: "ReplicaSet", name: "lone-1" }, containers: [] }));
      api.put("pods", podObject({ name: "nightly-x", owner: { kind: "Job", name: "nightly-29000" }, containers: [] }));
      api.put("pods", podObject({ name: "db-0", owner: { kind: "StatefulSet", name: "db" }, containers: [] }));
    });
    const owners = () => Object.fromEntries(watcher.pods().map((p) => [p.name, `${p.owner.kind}/${p.owner.name}`]));
    await vi.waitFor(
      () =>
        expect(owners()).toEqual({
          "web-5d8f-a": "Deployment/web",
          "lone-1-x": "ReplicaSet/lone-1",
          "nightly-x": "CronJob/nightly",
          "db-0": "StatefulSet/db",
        }),
      WAIT,
    );
  });

  it("reports a deleted node, and a node gone from a relist", async () => {
    const { watcher, api, deletedNodes } = await setup((api) => {
      api.put("nodes", nodeObject("n1"));
      api.put("nodes", nodeObject("n2"));
      api.put("nodes", nodeObject("n3"));
    });
    api.delete("nodes", null, "n1");
    await vi.waitFor(() => expect(deletedNodes).toEqual(["n1"]), WAIT);
    expect(watcher.nodePresence("n1")).toBe("deleted");
    api.quietly(() => {
      api.put("nodes", nodeObject("n2", { pool: "big" }));
      api.delete("nodes", null, "n3");
    });
    api.expire();
    await vi.waitFor(() => expect(deletedNodes).toEqual(["n1", "n3"]), WAIT);
    await vi.waitFor(() => expect(watcher.nodeLabels("n2")?.pool).toBe("big"), WAIT);
  });
});
