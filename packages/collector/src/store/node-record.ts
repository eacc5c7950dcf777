import type { TagHolding } from "@imagedrift/core";

export interface NodeRecord {
  name: string;
  agentVersion: string;
  intervalMs: number;
  labels: Record<string, string>;
  firstSeenAt: string;
  lastReportAt: string;
  runtime: { name: string; version: string; apiVersion: string };
  inventoryHash: string | null;
  scannedAt: string | null;
  imageFs: { mountpoint: string; usedBytes: number; inodesUsed: number | null };
  imageCount: number;
  imageBytes: number;
}

export interface HelloRecord {
  agentVersion: string;
  intervalMs: number;
  labels: Record<string, string>;
}

export interface SaveResult {
  /** Rows inserted, updated or deleted. */
  rowsWritten: number;
  /** Tags whose holding changed on this node (added, removed, or a new digest), sorted. */
  changedTags: string[];
  /** What the node now holds under each tag. */
  holders: ReadonlyMap<string, TagHolding>;
}
