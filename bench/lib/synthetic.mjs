/**
 * Synthetic node inventories at cluster scale, deterministic from the node
 * index: every node holds one image per shared tag (300 tags → 300 images),
 * the first being the sandbox (pause) image; 1 tag in 10 is "drifting" and on
 * 1 node in 5 that tag is held at an older digest (so inconsistent-tag,
 * stale-tag and running-stale findings exist); each node runs 20 pods whose
 * containers name their image by id, as kubelet does.
 */
import { createHash } from "node:crypto";

const sha256hex = (text) => createHash("sha256").update(text).digest("hex");
export const fakeDigest = (text) => `sha256:${sha256hex(text)}`;

/** A small integer hash (FNV-1a), for deterministic choices. */
function mix(...parts) {
  let h = 0x811c9dc5;
  for (const ch of parts.join("/")) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** `count` shared tags: `host/bench/svc-NNN:{1.0,1.1,latest}`, the first being `host/pause:3.9`. */
export function tagNames(host, count) {
  return Array.from({ length: count }, (_, t) => {
    if (t === 0) return { repo: "pause", tag: "3.9" };
    const repo = `bench/svc-${String(Math.floor(t / 3)).padStart(3, "0")}`;
    return { repo, tag: ["1.0", "1.1", "latest"][t % 3] };
  }).map(({ repo, tag }) => ({ repo, tag, ref: `${host}/${repo}:${tag}`, repository: `${host}/${repo}` }));
}

/**
 * The tag table the inventories are made from. `digests` (ref → the
 * registry's digest) is what nodes that are current hold; without it, made up.
 */
export function tagTable(host, count, digests = new Map()) {
  return tagNames(host, count).map((name, t) => {
    const current = digests.get(name.ref) ?? fakeDigest(`current ${name.ref}`);
    const old = fakeDigest(`old ${name.ref}`);
    return {
      ...name,
      current,
      old,
      currentId: fakeDigest(`config of ${current}`),
      oldId: fakeDigest(`config of ${old}`),
      drifting: t % 10 === 5,
      sandbox: t === 0,
      size: (t === 0 ? 300_000 : 20_000_000) + (mix("size", t) % 200) * 1_000_000,
    };
  });
}

export const nodeName = (i) => `node-${String(i).padStart(5, "0")}`;

export const PODS_PER_NODE = 20;

/** The inventory of node `i` (a NodeInventory of @imagedrift/core). */
export function nodeInventory(i, table, scannedAt = new Date().toISOString()) {
  const node = nodeName(i);
  const images = table.map((tag) => {
    const stale = tag.drifting && mix(node, tag.ref) % 5 === 0;
    return {
      id: stale ? tag.oldId : tag.currentId,
      repoTags: [tag.ref],
      repoDigests: [`${tag.repository}@${stale ? tag.old : tag.current}`],
      size: tag.size,
      pinned: false,
      sandbox: tag.sandbox,
      inUse: tag.sandbox,
      containers: [],
    };
  });
  const pods = [];
  for (let p = 0; p < PODS_PER_NODE; p++) {
    const t = 1 + (mix(node, "pod", p) % (table.length - 1));
    const tag = table[t];
    const image = images[t];
    const namespace = `team-${t % 10}`;
    const name = `${tag.repo.split("/").pop()}-${sha256hex(`${node}/${p}`).slice(0, 5)}`;
    const podId = sha256hex(`sandbox ${node}/${p}`);
    const uid = sha256hex(`uid ${node}/${p}`).slice(0, 32);
    pods.push({ id: podId, name, namespace, uid, state: "ready" });
    image.inUse = true;
    image.containers.push({
      id: sha256hex(`container ${node}/${p}`),
      pod: name,
      namespace,
      container: "main",
      state: "running",
      podUid: uid,
      image: image.id,
    });
  }
  return {
    node,
    runtime: { name: "containerd", version: "1.6.20", apiVersion: "v1" },
    scannedAt,
    images,
    pods,
    imageFs: {
      mountpoint: "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs",
      usedBytes: images.reduce((sum, image) => sum + image.size, 0),
      inodesUsed: 250_000 + (mix(node, "inodes") % 10_000),
    },
  };
}

/** A ClusterSnapshot (of @imagedrift/core) of `count` nodes, every tag resolved to its current digest. */
export function clusterSnapshot(count, table, now = new Date()) {
  const inventories = new Map();
  const nodes = [];
  for (let i = 0; i < count; i++) {
    const inventory = nodeInventory(i, table, now.toISOString());
    inventories.set(inventory.node, inventory);
    nodes.push({ name: inventory.node, lastReportAt: now.toISOString(), intervalMs: 60_000 });
  }
  const resolutions = new Map(
    table.map((tag) => [tag.ref, { state: "found", digest: tag.current, resolvedAt: now.toISOString() }]),
  );
  return { now, nodes, inventories, resolutions };
}
