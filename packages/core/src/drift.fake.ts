/** Builders of inventories and snapshots for the findings engine's tests (excluded from the build). */
import type { ClusterSnapshot, NodeState, TagResolution } from "./drift-types.js";
import type { ContainerState, ImageContainer, NodeImage, NodeInventory } from "./inventory.js";

/** `sha256:` + 64 copies of one hex character: `digest("1")`. */
export function digest(hex: string): string {
  return `sha256:${hex.repeat(64 / hex.length)}`;
}

export const NOW = new Date("2026-01-01T12:00:00.000Z");
export const INTERVAL_MS = 60_000;

export interface ContainerSpec {
  id: string;
  pod?: string;
  namespace?: string;
  container?: string;
  state?: ContainerState;
  /** What the container asked for; defaults to the image id, as kubelet passes it to containerd. */
  image?: string;
}

export interface ImageSpec {
  id: string;
  tags?: string[];
  digests?: string[];
  containers?: ContainerSpec[];
}

export function image(spec: ImageSpec): NodeImage {
  const containers: ImageContainer[] = (spec.containers ?? []).map((c) => ({
    id: c.id,
    pod: c.pod ?? `pod-${c.id}`,
    namespace: c.namespace ?? "default",
    container: c.container ?? "app",
    state: c.state ?? "running",
    podUid: `uid-${c.id}`,
    image: c.image ?? spec.id,
  }));
  return {
    id: spec.id,
    repoTags: spec.tags ?? [],
    repoDigests: spec.digests ?? [],
    size: 1000,
    pinned: false,
    sandbox: false,
    inUse: containers.length > 0,
    containers,
  };
}

export function inventory(node: string, images: ImageSpec[]): NodeInventory {
  return {
    node,
    runtime: { name: "containerd", version: "2.0.0", apiVersion: "v1" },
    scannedAt: new Date(NOW.getTime() - 1000).toISOString(),
    images: images.map(image),
    pods: [],
    imageFs: { mountpoint: "/var/lib/containerd", usedBytes: 0, inodesUsed: null },
  };
}

export function found(d: string): TagResolution {
  return { state: "found", digest: d, resolvedAt: "2026-01-01T11:59:00.000Z" };
}
export const notFound: TagResolution = { state: "not-found", resolvedAt: "2026-01-01T11:59:00.000Z" };
export const resolveFailed: TagResolution = {
  state: "error",
  error: "dial tcp: connection refused",
  resolvedAt: "2026-01-01T11:59:00.000Z",
};

export interface SnapshotSpec {
  /** Images per node. */
  nodes: Record<string, ImageSpec[]>;
  resolutions?: Record<string, TagResolution>;
  /** Milliseconds since each node's last report; 0 when absent. */
  silentMs?: Record<string, number>;
}

export function snapshot(spec: SnapshotSpec): ClusterSnapshot {
  const names = Object.keys(spec.nodes);
  const nodes: NodeState[] = names.map((name) => ({
    name,
    lastReportAt: new Date(NOW.getTime() - (spec.silentMs?.[name] ?? 0)).toISOString(),
    intervalMs: INTERVAL_MS,
  }));
  return {
    now: NOW,
    nodes,
    inventories: new Map(names.map((name) => [name, inventory(name, spec.nodes[name] ?? [])])),
    resolutions: new Map(Object.entries(spec.resolutions ?? {})),
  };
}

/** The same snapshot with every list and map in reverse order. */
export function reversed(s: ClusterSnapshot): ClusterSnapshot {
  return {
    now: s.now,
    nodes: [...s.nodes].reverse(),
    inventories: new Map(
      [...s.inventories].reverse().map(([name, inv]) => [
        name,
        {
          ...inv,
          images: [...inv.images].reverse().map((img) => ({
            ...img,
            repoTags: [...img.repoTags].reverse(),
            repoDigests: [...img.repoDigests].reverse(),
          })),
        },
      ]),
    ),
    resolutions: new Map([...s.resolutions].reverse()),
  };
}
