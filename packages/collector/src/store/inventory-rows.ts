import type { ContainerState, ImageContainer, NodeImage, PodSandboxSummary } from "@imagedrift/core";
import type { Database, Statement } from "better-sqlite3";
import { ImageInterner } from "./image-interner.js";
import type { ImageTimes } from "./image-times.js";

/**
 * How one node's inventory sits in its `node_inventories` row (JSON): the
 * shared `images` row of each image, and in the same order the times it was
 * first seen and last seen in use on this node (seconds since the epoch; 0 = never
 * in use); containers with the index of their image; pods. Compact because 5,000 of them are written at once
 * when a collector's agents first connect.
 */
export interface StoredInventory {
  images: number[];
  firstSeen: number[];
  lastUsed: number[];
  containers: [
    image: number,
    id: string,
    pod: string,
    namespace: string,
    container: string,
    state: ContainerState,
    podUid: string,
    reference: string,
  ][];
  pods: [id: string, name: string, namespace: string, uid: string, state: "ready" | "notready"][];
}

export interface ImageRow {
  id: number;
  image_id: string;
  repo_tags: string;
  repo_digests: string;
  size: number;
  pinned: number;
  sandbox: number;
  in_use: number;
}

/** The image an `images` row (or migration 1's `node_images` row) describes, without containers. */
export function imageOfRow(row: Omit<ImageRow, "id">): NodeImage {
  return {
    id: row.image_id,
    repoTags: JSON.parse(row.repo_tags) as string[],
    repoDigests: JSON.parse(row.repo_digests) as string[],
    size: row.size,
    pinned: row.pinned === 1,
    sandbox: row.sandbox === 1,
    inUse: row.in_use === 1,
    containers: [],
  };
}

/** Inserts a shared image (once per distinct description) and gives its row. */
export function imageRowWriter(db: Database): (image: NodeImage) => number {
  const upsert: Statement =
    db.prepare(`INSERT INTO images (key, image_id, repo_tags, repo_digests, size, pinned, sandbox, in_use)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET key = excluded.key RETURNING id`);
  return (image) =>
    (
      upsert.get(
        ImageInterner.key(image),
        image.id,
        JSON.stringify(image.repoTags),
        JSON.stringify(image.repoDigests),
        image.size,
        Number(image.pinned),
        Number(image.sandbox),
        Number(image.inUse),
      ) as { id: number }
    ).id;
}

export function encodeContainers(images: readonly NodeImage[]): StoredInventory["containers"] {
  const containers: StoredInventory["containers"] = [];
  images.forEach((image, index) => {
    for (const c of image.containers) {
      containers.push([index, c.id, c.pod, c.namespace, c.container, c.state, c.podUid, c.image]);
    }
  });
  return containers;
}

export function encodePods(pods: readonly PodSandboxSummary[]): StoredInventory["pods"] {
  return pods.map((p) => [p.id, p.name, p.namespace, p.uid, p.state]);
}

/** The containers of a stored inventory, by the index of their image. */
export function decodeContainers(stored: StoredInventory): Map<number, ImageContainer[]> {
  const byImage = new Map<number, ImageContainer[]>();
  for (const [index, id, pod, namespace, container, state, podUid, image] of stored.containers) {
    const list = byImage.get(index) ?? [];
    list.push({ id, pod, namespace, container, state, podUid, image });
    byImage.set(index, list);
  }
  return byImage;
}

export function decodePods(stored: StoredInventory): PodSandboxSummary[] {
  return stored.pods.map(([id, name, namespace, uid, state]) => ({ id, name, namespace, uid, state }));
}

/** A node's inventory as its `node_inventories` row stores it: images by their `images` row, with their times. */
export function encodeInventory(
  inventory: { images: readonly NodeImage[]; pods: readonly PodSandboxSummary[] },
  times: ImageTimes,
): StoredInventory {
  return {
    images: Array.from(times.rows),
    firstSeen: Array.from(times.firstSeen),
    lastUsed: Array.from(times.lastUsed),
    containers: encodeContainers(inventory.images),
    pods: encodePods(inventory.pods),
  };
}
