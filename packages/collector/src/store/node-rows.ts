import type { NodeInventory } from "@imagedrift/core";
import type { Database, Statement } from "better-sqlite3";
import type { NodeRecord } from "./node-record.js";

/** The `nodes` row as SQLite returns it, and the statements of the node tables. */

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
  | "hello"
  | "touch"
  | "node"
  | "nodes"
  | "updateNode"
  | "storeInventory"
  | "history"
  | "deleteNode"
  | "inventories"
  | "images"
  | "deleteImage";

export function statements(db: Database): Record<NodeStatement, Statement> {
  const prepare = (sql: string) => db.prepare(sql);
  return {
    hello: prepare(`INSERT INTO nodes (name, agent_version, interval_ms, labels, first_seen_at, last_report_at)
      VALUES (@name, @agentVersion, @intervalMs, @labels, @now, @now)
      ON CONFLICT (name) DO UPDATE SET agent_version = excluded.agent_version, interval_ms = excluded.interval_ms,
        labels = excluded.labels, last_report_at = excluded.last_report_at`),
    touch: prepare("UPDATE nodes SET last_report_at = ? WHERE name = ?"),
    node: prepare("SELECT * FROM nodes WHERE name = ?"),
    nodes: prepare("SELECT * FROM nodes ORDER BY name"),
    updateNode:
      prepare(`UPDATE nodes SET last_report_at = @now, runtime_name = @runtimeName, runtime_version = @runtimeVersion,
      runtime_api_version = @runtimeApiVersion, inventory_hash = @hash, scanned_at = @scannedAt,
      imagefs_mountpoint = @mountpoint, imagefs_used_bytes = @usedBytes, imagefs_inodes_used = @inodesUsed,
      image_count = @imageCount, image_bytes = @imageBytes WHERE name = @node`),
    storeInventory: prepare(`INSERT INTO node_inventories (node, data) VALUES (?, ?)
      ON CONFLICT (node) DO UPDATE SET data = excluded.data`),
    history:
      prepare(`INSERT INTO tag_history (node, tag, old_digest, new_digest, old_image_id, new_image_id, changed_at)
      VALUES (?, ?, ?, ?, ?, ?, ?)`),
    deleteNode: prepare("DELETE FROM nodes WHERE name = ?"),
    inventories: prepare("SELECT node, data FROM node_inventories"),
    images: prepare("SELECT * FROM images"),
    deleteImage: prepare("DELETE FROM images WHERE id = ?"),
  };
}

/** The `updateNode` parameters for a node's new inventory. */
export function inventoryColumns(
  inventory: NodeInventory,
  saved: { node: string; now: string; hash: string; imageCount: number; imageBytes: number },
): Record<string, string | number | null> {
  return {
    ...saved,
    scannedAt: inventory.scannedAt,
    runtimeName: inventory.runtime.name,
    runtimeVersion: inventory.runtime.version,
    runtimeApiVersion: inventory.runtime.apiVersion,
    mountpoint: inventory.imageFs.mountpoint,
    usedBytes: inventory.imageFs.usedBytes,
    inodesUsed: inventory.imageFs.inodesUsed,
  };
}
