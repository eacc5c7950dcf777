import type { Database, Statement } from "better-sqlite3";
import type { NodeRecord } from "./node-store.js";

/** The rows of the node tables as SQLite returns them, and the statements that read and write them. */

export interface NodeRow {
  name: string;
  agent_version: string;
  interval_ms: number;
  labels: string;
  first_seen_at: string;
  last_report_at: string;
  runtime_name: string;
  runtime_version: string;
  runtime_api_version: string;
  inventory_hash: string | null;
  scanned_at: string | null;
  imagefs_mountpoint: string;
  imagefs_used_bytes: number;
  imagefs_inodes_used: number | null;
  image_count: number;
  image_bytes: number;
}

export interface ImageRow {
  node: string;
  image_id: string;
  repo_tags: string;
  repo_digests: string;
  size: number;
  pinned: number;
  sandbox: number;
  in_use: number;
}

export interface ContainerRow {
  node: string;
  container_id: string;
  image_id: string;
  pod: string;
  namespace: string;
  container: string;
  state: string;
  pod_uid: string;
  image: string;
}

const nodeColumns = `n.*, (SELECT count(*) FROM node_images i WHERE i.node = n.name) AS image_count,
  (SELECT coalesce(sum(size), 0) FROM node_images i WHERE i.node = n.name) AS image_bytes`;

export function toRecord(row: NodeRow): NodeRecord {
  return {
    name: row.name,
    agentVersion: row.agent_version,
    intervalMs: row.interval_ms,
    labels: JSON.parse(row.labels) as Record<string, string>,
    firstSeenAt: row.first_seen_at,
    lastReportAt: row.last_report_at,
    runtime: { name: row.runtime_name, version: row.runtime_version, apiVersion: row.runtime_api_version },
    inventoryHash: row.inventory_hash,
    scannedAt: row.scanned_at,
    imageFs: {
      mountpoint: row.imagefs_mountpoint,
      usedBytes: row.imagefs_used_bytes,
      inodesUsed: row.imagefs_inodes_used,
    },
    imageCount: row.image_count,
    imageBytes: row.image_bytes,
  };
}

export type NodeStatement =
  | "updateNode"
  | "insertImage"
  | "insertContainer"
  | "history"
  | "allContainers"
  | "allImages"
  | "allPods"
  | "deleteContainers"
  | "deleteImages"
  | "deleteNode"
  | "deletePods"
  | "deleteTag"
  | "hello"
  | "imageFirstSeen"
  | "insertPod"
  | "node"
  | "nodeTags"
  | "nodes"
  | "touch"
  | "upsertTag"
  | "usage";

export function statements(db: Database): Record<NodeStatement, Statement> {
  const prepare = (sql: string) => db.prepare(sql);
  return {
    hello: prepare(`INSERT INTO nodes (name, agent_version, interval_ms, labels, first_seen_at, last_report_at)
      VALUES (@name, @agentVersion, @intervalMs, @labels, @now, @now)
      ON CONFLICT (name) DO UPDATE SET agent_version = excluded.agent_version, interval_ms = excluded.interval_ms,
        labels = excluded.labels, last_report_at = excluded.last_report_at`),
    touch: prepare("UPDATE nodes SET last_report_at = ? WHERE name = ?"),
    node: prepare(`SELECT ${nodeColumns} FROM nodes n WHERE n.name = ?`),
    nodes: prepare(`SELECT ${nodeColumns} FROM nodes n ORDER BY n.name`),
    updateNode:
      prepare(`UPDATE nodes SET last_report_at = @now, runtime_name = @runtimeName, runtime_version = @runtimeVersion,
      runtime_api_version = @runtimeApiVersion, inventory_hash = @hash, scanned_at = @scannedAt,
      imagefs_mountpoint = @mountpoint, imagefs_used_bytes = @usedBytes, imagefs_inodes_used = @inodesUsed WHERE name = @node`),
    imageFirstSeen: prepare("SELECT image_id, first_seen_at FROM node_images WHERE node = ?"),
    deleteImages: prepare("DELETE FROM node_images WHERE node = ?"),
    insertImage:
      prepare(`INSERT INTO node_images (node, image_id, repo_tags, repo_digests, size, pinned, sandbox, in_use, first_seen_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    deleteContainers: prepare("DELETE FROM node_containers WHERE node = ?"),
    insertContainer:
      prepare(`INSERT INTO node_containers (node, container_id, image_id, pod, namespace, container, state, pod_uid, image)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    deletePods: prepare("DELETE FROM node_pods WHERE node = ?"),
    insertPod: prepare("INSERT INTO node_pods (node, pod_id, name, namespace, uid, state) VALUES (?, ?, ?, ?, ?, ?)"),
    nodeTags: prepare("SELECT tag, digest, image_id FROM node_tags WHERE node = ?"),
    upsertTag: prepare(`INSERT INTO node_tags (node, tag, digest, image_id, since) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (node, tag) DO UPDATE SET digest = excluded.digest, image_id = excluded.image_id, since = excluded.since`),
    deleteTag: prepare("DELETE FROM node_tags WHERE node = ? AND tag = ?"),
    history:
      prepare(`INSERT INTO tag_history (node, tag, old_digest, new_digest, old_image_id, new_image_id, changed_at)
      VALUES (?, ?, ?, ?, ?, ?, ?)`),
    usage: prepare(`INSERT INTO image_usage (node, image_id, last_used_at) VALUES (?, ?, ?)
      ON CONFLICT (node, image_id) DO UPDATE SET last_used_at = excluded.last_used_at`),
    allImages: prepare("SELECT * FROM node_images ORDER BY node"),
    allContainers: prepare("SELECT * FROM node_containers ORDER BY node, container_id"),
    allPods: prepare("SELECT * FROM node_pods ORDER BY node, pod_id"),
    deleteNode: prepare("DELETE FROM nodes WHERE name = ?"),
  };
}
