/**
 * The collector with the Kubernetes API: the drift service fed by a
 * KubernetesWatcher on the FAKE API server (fake-kube-api.fake.ts), on a real
 * SQLite store. Pods make findings, node labels reach job selectors, and a
 * node deleted from the cluster leaves the collector.
 */
import { type NodeInventory, silentLogger, type WorkloadPod } from "@imagedrift/core";
import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DriftService, type KubernetesFacts } from "../drift/index.js";
import { clusterFacts } from "../jobs/cluster-facts.js";
import { selectNodes } from "../jobs/node-selection.js";
import { CollectorMetrics } from "../metrics.js";
import { FindingStore, NodeStore, openDatabase, TagStore } from "../store/index.js";
import { FakeKubeApi } from "./fake-kube-api.fake.js";
import { nodeObject, ownedObject, podObject } from "./kube-objects.fake.js";
import { KubernetesWatcher } from "./kubernetes-watcher.js";
import { apiOwnerReader } from "./owner-resolver.js";

const APP = "registry.example.com/team/app";
const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;
const WAIT = { timeout: 5_000, interval: 10 };
const INTERVAL_MS = 60_000;

type Database = ReturnType<typeof openDatabase>;
const stops: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

function inventory(node: string, at: Date): NodeInventory {
  return {
    node,
    runtime: { name: "containerd", version: "2.0.0", apiVersion: "v1" },
    scannedAt: at.toISOString(),
    images: [],
    pods: [],
    imageFs: { mountpoint: "/var/lib/containerd", usedBytes: 0, inodesUsed: null },
  };
}

/** An agent's hello and first inventory, `agoMs` before now. */
function report(drift: DriftService, node: string, labels: Record<string, string> = {}): void {
  drift.hello(node, { agentVersion: "0.1.0", intervalMs: INTERVAL_MS, inventoryHash: "", labels });
  drift.inventory(inventory(node, new Date()), `hash-${node}`);
}

function driftService(db: Database, kubernetes: KubernetesFacts | undefined, now?: () => Date) {
  const nodes = new NodeStore(db);
  const tags = new TagStore(db);
  const drift = new DriftService({
    nodes,
    tags,
    findings: new FindingStore(db),
    resolver: { resolve: async () => new Map() },
    metrics: new CollectorMetrics({ processMetrics: false }),
    log: silentLogger,
    resolveIntervalMs: INTERVAL_MS,
    kubernetes,
    now,
  });
  return { drift, nodes, tags };
}

/** A drift service whose watcher follows the fake API (seeded first). */
async function collector(seed: (api: FakeKubeApi) => void, options: { db?: Database; now?: () => Date } = {}) {
  const api = await FakeKubeApi.start();
  seed(api);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(api.kubeconfig());
  const db = options.db ?? openDatabase(":memory:");
  const watcher = new KubernetesWatcher({
    kubeConfig,
    owners: apiOwnerReader(kubeConfig),
    log: silentLogger,
    backoff: { baseMs: 20, maxMs: 100 },
  });
  const service = driftService(db, watcher, options.now);
  const { drift } = service;
  // As main.ts wires them.
  const start = () =>
    watcher.start({
      onChange: () => drift.kubernetesChanged(),
      onNodeDeleted: (node) => drift.removeNode(node, "deleted from the cluster"),
    });
  stops.push(async () => {
    await watcher.stop();
    await service.drift.stop();
    await api.close();
  });
  return { api, watcher, start, db, ...service };
}

const deploymentPod = (name: string, node: string, digest: string, policy = "IfNotPresent") =>
  podObject({
    name,
    node,
    owner: { kind: "ReplicaSet", name: "web-5d8f" },
    containers: [{ name: "app", image: `${APP}:v1`, imagePullPolicy: policy, imageID: `${APP}@${digest}` }],
  });

describe("the drift service with the Kubernetes API", () => {
  it("computes pull-policy-risk and mixed-replicas from the API's pods", async () => {
    const { api, drift, start } = await collector((api) => {
      api.put("replicasets", ownedObject("shop", "web-5d8f", { kind: "Deployment", name: "web" }));
      api.put("pods", deploymentPod("web-5d8f-a", "n1", D1));
    });
    start();
    await vi.waitFor(() => expect(drift.findings().map((f) => f.kind)).toEqual(["pull-policy-risk"]), WAIT);
    api.put("pods", deploymentPod("web-5d8f-b", "n2", D2));
    await vi.waitFor(
      () => expect(drift.findings().map((f) => f.kind)).toEqual(["mixed-replicas", "pull-policy-risk"]),
      WAIT,
    );
    const mixed = drift.findings({ kind: "mixed-replicas" })[0];
    expect(mixed?.key).toBe(`mixed-replicas:shop/Deployment/web/app:${APP}:v1`);
    expect(mixed?.nodes).toEqual(["n1", "n2"]);
    expect(mixed?.remedy).toBe(`imagedrift refresh ${APP}:v1 && kubectl -n shop rollout restart deployment/web`);
    api.delete("pods", "shop", "web-5d8f-b");
    api.put("pods", deploymentPod("web-5d8f-a", "n1", D1, "Always"));
    await vi.waitFor(() => expect(drift.findings()).toEqual([]), WAIT);
  });

  it("merges the nodes' Kubernetes labels over the agents' --node-labels for job selectors", async () => {
    const { drift, nodes, tags, watcher, start } = await collector((api) => {
      api.put("nodes", nodeObject("n1", { "topology.kubernetes.io/zone": "a", pool: "gpu" }));
      api.put("nodes", nodeObject("n2", { "topology.kubernetes.io/zone": "b" }));
    });
    report(drift, "n1", { pool: "agent-said", team: "ml" });
    report(drift, "n2");
    const cluster = clusterFacts({ drift, nodes, tags });
    start();
    await vi.waitFor(() => expect(watcher.synced()).toBe(true), WAIT);
    const n1 = cluster.knownNodes().find((n) => n.name === "n1");
    expect(n1?.labels).toMatchObject({ "topology.kubernetes.io/zone": "a", pool: "gpu", team: "ml" });
    const pick = (nodeSelector: Record<string, string>) =>
      selectNodes({ type: "prepull", images: ["app:v1"], nodeSelector }, cluster.knownNodes()).targets.map(
        (n) => n.name,
      );
    expect(pick({ "topology.kubernetes.io/zone": "b" })).toEqual(["n2"]);
    expect(pick({ pool: "gpu", team: "ml" })).toEqual(["n1"]);
    expect(pick({ "kubernetes.io/hostname": "n1" })).toEqual(["n1"]);
  });

  it("removes a node deleted from the cluster instead of reporting its agent missing", async () => {
    let now = new Date();
    const { api, drift, nodes, watcher, start } = await collector(
      (api) => {
        api.put("nodes", nodeObject("n1"));
        api.put("nodes", nodeObject("n2"));
      },
      { now: () => now },
    );
    report(drift, "n1");
    report(drift, "n2");
    start();
    await vi.waitFor(() => expect(watcher.synced()).toBe(true), WAIT);
    api.delete("nodes", null, "n2");
    await vi.waitFor(() => expect(nodes.get("n2")).toBeUndefined(), WAIT);
    expect(drift.nodeInventory("n2")).toBeUndefined();
    expect(nodes.list().map((n) => n.name)).toEqual(["n1"]);
    // Its agent, still connected for a moment, is not asked for an inventory, and one sent anyway is dropped.
    expect(drift.heartbeat("n2", "hash-n2")).toBe(false);
    drift.inventory(inventory("n2", now), "hash-n2");
    expect(nodes.get("n2")).toBeUndefined();
    // Long after, n1's silent agent is missing; n2 is not reported at all.
    now = new Date(now.getTime() + 10 * INTERVAL_MS);
    drift.recompute();
    expect(drift.findings({ kind: "agent-missing" }).map((f) => f.reference)).toEqual(["n1"]);
  });

  it("after a restart, removes a node the cluster no longer has once its agent is missing", async () => {
    const db = openDatabase(":memory:");
    const before = driftService(db, undefined);
    report(before.drift, "gone");
    report(before.drift, "kept");
    await before.drift.stop();
    let now = new Date();
    const { drift, nodes, watcher, start } = await collector((api) => api.put("nodes", nodeObject("kept")), {
      db,
      now: () => now,
    });
    start();
    await vi.waitFor(() => expect(watcher.synced()).toBe(true), WAIT);
    drift.recompute();
    expect(nodes.list().map((n) => n.name)).toEqual(["gone", "kept"]); // its agent may still report
    now = new Date(now.getTime() + 10 * INTERVAL_MS);
    drift.recompute();
    expect(nodes.list().map((n) => n.name)).toEqual(["kept"]);
    expect(drift.findings({ kind: "agent-missing" }).map((f) => f.reference)).toEqual(["kept"]);
  });

  it("keeps a finding's firstSeenAt across a collector restart while owners are looked up again", async () => {
    const db = openDatabase(":memory:");
    const seed = (api: FakeKubeApi) => {
      api.put("replicasets", ownedObject("shop", "web-5d8f", { kind: "Deployment", name: "web" }));
      api.put("pods", deploymentPod("web-5d8f-a", "n1", D1));
    };
    const t0 = new Date("2026-01-01T10:00:00Z");
    const first = await collector(seed, { db, now: () => t0 });
    first.start();
    await vi.waitFor(() => expect(first.drift.findings().map((f) => f.firstSeenAt)).toEqual([t0.toISOString()]), WAIT);
    await first.watcher.stop();
    await first.drift.stop();
    const t1 = new Date("2026-01-01T11:00:00Z");
    const second = await collector(seed, { db, now: () => t1 });
    second.start();
    await vi.waitFor(() => expect(second.watcher.synced()).toBe(true), WAIT);
    second.drift.recompute();
    const [risk] = second.drift.findings();
    expect(risk?.key).toBe("pull-policy-risk:shop/Deployment/web/app");
    expect([risk?.firstSeenAt, risk?.lastSeenAt]).toEqual([t0.toISOString(), t1.toISOString()]);
  });

  it("keeps the Kubernetes findings it had until the API is listed again after a restart", async () => {
    const db = openDatabase(":memory:");
    const pods: WorkloadPod[] = [
      {
        namespace: "shop",
        name: "web-1",
        uid: "u1",
        node: "n1",
        phase: "Running",
        owner: { kind: "Deployment", namespace: "shop", name: "web" },
        containers: [
          {
            name: "app",
            type: "container",
            index: 0,
            image: `${APP}:v1`,
            imagePullPolicy: "IfNotPresent",
            imageId: "",
            containerId: "",
          },
        ],
      },
    ];
    let synced = true;
    const facts: KubernetesFacts = {
      synced: () => synced,
      pods: () => (synced ? pods : []),
      nodeLabels: () => undefined,
      nodePresence: () => "unknown",
    };
    const first = driftService(db, facts).drift;
    const [risk] = first.findings();
    expect(risk?.kind).toBe("pull-policy-risk");
    synced = false;
    const restarted = driftService(db, facts).drift;
    expect(restarted.findings()).toEqual([{ ...risk, lastSeenAt: expect.any(String) }]);
    synced = true;
    restarted.recompute();
    expect(restarted.findings().map((f) => [f.key, f.firstSeenAt])).toEqual([[risk?.key, risk?.firstSeenAt]]);
  });
});
