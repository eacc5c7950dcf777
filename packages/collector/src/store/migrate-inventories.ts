import type { ContainerState, NodeImage } from "@imagedrift/core";
import type { Database } from "better-sqlite3";
import {
  encodeContainers,
  encodePods,
  type ImageRow,
  imageOfRow,
  imageRowWriter,
  type StoredInventory,
} from "./inventory-rows.js";

const schema = `
  -- Every distinct image description any node holds, shared by the nodes that hold it.
  CREATE TABLE images (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    image_id TEXT NOT NULL,
    repo_tags TEXT NOT NULL,
    repo_digests TEXT NOT NULL,
    size INTEGER NOT NULL,
    pinned INTEGER NOT NULL,
    sandbox INTEGER NOT NULL,
    in_use INTEGER NOT NULL
  ) STRICT;

  -- Each node's last inventory (inventory-rows.ts StoredInventory, JSON).
  CREATE TABLE node_inventories (
    node TEXT NOT NULL UNIQUE REFERENCES nodes(name) ON DELETE CASCADE,
    data TEXT NOT NULL
  ) STRICT;

  ALTER TABLE nodes ADD COLUMN image_count INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE nodes ADD COLUMN image_bytes INTEGER NOT NULL DEFAULT 0;
`;

/** A `node_images` row of migration 1, with its `image_usage` time. */
interface OldImage extends Omit<ImageRow, "id"> {
  first_seen_at: string;
  last_used_at: string | null;
}

/** Migration 3: the per-row inventories of migration 1 become one row per node. */
export function migrateToNodeInventories(db: Database): void {
  db.exec(schema);
  const writeImage = imageRowWriter(db);
  const images = db.prepare(`SELECT i.*, u.last_used_at FROM node_images i
    LEFT JOIN image_usage u ON u.node = i.node AND u.image_id = i.image_id WHERE i.node = ? ORDER BY i.image_id`);
  const containers = db.prepare("SELECT * FROM node_containers WHERE node = ? AND image_id = ? ORDER BY container_id");
  const pods = db.prepare("SELECT * FROM node_pods WHERE node = ? ORDER BY pod_id");
  const store = db.prepare("INSERT INTO node_inventories (node, data) VALUES (?, ?)");
  const count = db.prepare("UPDATE nodes SET image_count = ?, image_bytes = ? WHERE name = ?");
  const nodes = db.prepare("SELECT name FROM nodes WHERE scanned_at IS NOT NULL").pluck().all() as string[];
  for (const node of nodes) {
    const list: NodeImage[] = [];
    const stored: StoredInventory = { images: [], firstSeen: [], lastUsed: [], containers: [], pods: [] };
    for (const row of images.all(node) as OldImage[]) {
      const image: NodeImage = {
        ...imageOfRow(row),
        containers: (containers.all(node, row.image_id) as Record<string, string>[]).map((c) => ({
          id: c.container_id ?? "",
          pod: c.pod ?? "",
          namespace: c.namespace ?? "",
          container: c.container ?? "",
          state: (c.state ?? "unknown") as ContainerState,
          podUid: c.pod_uid ?? "",
          image: c.image ?? "",
        })),
      };
      list.push(image);
      const lastUsed = row.last_used_at === null ? 0 : Math.floor(Date.parse(row.last_used_at) / 1000);
      stored.images.push(writeImage({ ...image, containers: [] }));
      stored.firstSeen.push(Math.floor(Date.parse(row.first_seen_at) / 1000));
      stored.lastUsed.push(lastUsed);
    }
    stored.containers = encodeContainers(list);
    stored.pods = encodePods(
      (pods.all(node) as Record<string, string>[]).map((p) => ({
        id: p.pod_id ?? "",
        name: p.name ?? "",
        namespace: p.namespace ?? "",
        uid: p.uid ?? "",
        state: p.state === "ready" ? "ready" : "notready",
      })),
    );
    store.run(node, JSON.stringify(stored));
    count.run(
      list.length,
      list.reduce((sum, i) => sum + i.size, 0),
      node,
    );
  }
  db.exec(`DROP TABLE node_containers; DROP TABLE node_pods; DROP TABLE node_tags; DROP TABLE image_usage;
    DROP TABLE node_images;`);
}
