/**
 * The synthetic inventory a simulated agent (simulated-agent.ts) reports:
 * deterministic, `images` images with tags on `host`; each revision moves the
 * first tag to a new digest (one tag_history row per revision on the collector).
 *
 * Part of the fleet's worker (see agent-fleet.ts): it imports packages and the
 * worker's own files only.
 */
import { createHash } from "node:crypto";
import type { NodeImage, NodeInventory } from "@imagedrift/core";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export interface SyntheticInventoryOptions {
  node: string;
  /** Registry host of every image reference (`127.0.0.1:PORT`). */
  host: string;
  images: number;
  revision: number;
}

/** Image `i` is `host/sim/app-i:v1`; image 0's digest follows the revision, the others stay. */
export function syntheticInventory(options: SyntheticInventoryOptions): NodeInventory {
  const images: NodeImage[] = Array.from({ length: options.images }, (_, i) => {
    const generation = i === 0 ? options.revision : 0;
    const repo = `${options.host}/sim/app-${i}`;
    return {
      id: `sha256:${sha256(`id ${i} ${generation}`)}`,
      repoTags: [`${repo}:v1`],
      repoDigests: [`${repo}@sha256:${sha256(`manifest ${i} ${generation}`)}`],
      size: 1_000_000 + i,
      pinned: false,
      sandbox: false,
      inUse: false,
      containers: [],
    };
  });
  return {
    node: options.node,
    runtime: { name: "containerd", version: "1.6.20-simulated", apiVersion: "v1" },
    scannedAt: new Date().toISOString(),
    images,
    pods: [],
    imageFs: { mountpoint: "/var/lib/containerd", usedBytes: images.length * 1_000_000, inodesUsed: null },
  };
}
