import type { ContainerState, NodeImage, NodeInventory, NodeState } from "@imagedrift/core";
import { tagHolders } from "@imagedrift/core";
import type { Database } from "better-sqlite3";
import { type ContainerRow, type ImageRow, type NodeRow, statements, toRecord } from "./node-rows.js";

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

export interface AgentHello {
  agentVersion: string;
  intervalMs: number;
  labels: Record<string, string>;
}

export interface SaveResult {
  /** Rows inserted, updated or deleted. */
  rowsWritten: number;
  /** Tags whose holding changed on this node (added, removed, or a new digest). */
  changedTags: string[];
}

/** Nodes and what each holds. Every inventory is saved in one transaction. */
export class NodeStore {
  readonly #db: Database;
  readonly #s: ReturnType<typeof statements>;

  constructor(db: Database) {
    this.#db = db;
    this.#s = statements(db);
  }

  /** Records an agent's hello; returns the inventory hash the collector holds for it. */
  hello(node: string, hello: AgentHello, now: Date): string | null {
    this.#s.hello.run({ name: node, ...hello, labels: JSON.stringify(hello.labels), now: now.toISOString() });
    return this.get(node)?.inventoryHash ?? null;
  }

  touch(node: string, now: Date): void {
    this.#s.touch.run(now.toISOString(), node);
  }

  get(node: string): NodeRecord | undefined {
    const row = this.#s.node.get(node) as NodeRow | undefined;
    return row && toRecord(row);
  }

  list(): NodeRecord[] {
    return (this.#s.nodes.all() as NodeRow[]).map(toRecord);
  }

  states(): NodeState[] {
    return this.list().map((n) => ({ name: n.name, lastReportAt: n.lastReportAt, intervalMs: n.intervalMs }));
  }

  remove(node: string): void {
    this.#s.deleteNode.run(node);
  }

  /** Replaces a node's inventory in one transaction, recording tag history and image use. */
  save(inventory: NodeInventory, hash: string, now: Date): SaveResult {
    return this.#db.transaction(() => this.#save(inventory, hash, now.toISOString()))();
  }

  #save(inv: NodeInventory, hash: string, now: string): SaveResult {
    const s = this.#s;
    const node = inv.node;
    let rows = s.updateNode.run({
      node,
      now,
      hash,
      scannedAt: inv.scannedAt,
      runtimeName: inv.runtime.name,
      runtimeVersion: inv.runtime.version,
      runtimeApiVersion: inv.runtime.apiVersion,
      mountpoint: inv.imageFs.mountpoint,
      usedBytes: inv.imageFs.usedBytes,
      inodesUsed: inv.imageFs.inodesUsed,
    }).changes;

    const firstSeen = new Map(
      (s.imageFirstSeen.all(node) as { image_id: string; first_seen_at: string }[]).map((r) => [
        r.image_id,
        r.first_seen_at,
      ]),
    );
    rows += s.deleteImages.run(node).changes + s.deleteContainers.run(node).changes + s.deletePods.run(node).changes;
    for (const image of inv.images) {
      rows += s.insertImage.run(
        node,
        image.id,
        JSON.stringify(image.repoTags),
        JSON.stringify(image.repoDigests),
        image.size,
        Number(image.pinned),
        Number(image.sandbox),
        Number(image.inUse),
        firstSeen.get(image.id) ?? now,
      ).changes;
      for (const c of image.containers) {
        rows += s.insertContainer.run(
          node,
          c.id,
          image.id,
          c.pod,
          c.namespace,
          c.container,
          c.state,
          c.podUid,
          c.image,
        ).changes;
      }
      if (image.inUse) rows += s.usage.run(node, image.id, now).changes;
    }
    for (const pod of inv.pods)
      rows += s.insertPod.run(node, pod.id, pod.name, pod.namespace, pod.uid, pod.state).changes;

    const before = new Map(
      (s.nodeTags.all(node) as { tag: string; digest: string | null; image_id: string }[]).map((r) => [r.tag, r]),
    );
    const after = tagHolders(inv);
    const changedTags: string[] = [];
    for (const [tag, held] of after) {
      const old = before.get(tag);
      if (old && old.digest === held.digest && old.image_id === held.imageId) continue;
      changedTags.push(tag);
      rows += s.upsertTag.run(node, tag, held.digest, held.imageId, now).changes;
      rows += s.history.run(
        node,
        tag,
        old?.digest ?? null,
        held.digest,
        old?.image_id ?? null,
        held.imageId,
        now,
      ).changes;
    }
    for (const [tag, old] of before) {
      if (after.has(tag)) continue;
      changedTags.push(tag);
      rows += s.deleteTag.run(node, tag).changes;
      rows += s.history.run(node, tag, old.digest, null, old.image_id, null, now).changes;
    }
    return { rowsWritten: rows, changedTags: changedTags.sort() };
  }

  /** Every node's last inventory, rebuilt from the rows (for the findings engine after a restart). */
  inventories(): Map<string, NodeInventory> {
    const s = this.#s;
    const result = new Map<string, NodeInventory>();
    for (const n of this.list()) {
      if (n.scannedAt === null) continue;
      result.set(n.name, {
        node: n.name,
        runtime: n.runtime,
        scannedAt: n.scannedAt,
        images: [],
        pods: [],
        imageFs: n.imageFs,
      });
    }
    const images = new Map<string, NodeImage>();
    for (const row of s.allImages.all() as ImageRow[]) {
      const image: NodeImage = {
        id: row.image_id,
        repoTags: JSON.parse(row.repo_tags) as string[],
        repoDigests: JSON.parse(row.repo_digests) as string[],
        size: row.size,
        pinned: row.pinned === 1,
        sandbox: row.sandbox === 1,
        inUse: row.in_use === 1,
        containers: [],
      };
      images.set(`${row.node}\0${row.image_id}`, image);
      result.get(row.node)?.images.push(image);
    }
    for (const row of s.allContainers.all() as ContainerRow[]) {
      images.get(`${row.node}\0${row.image_id}`)?.containers.push({
        id: row.container_id,
        pod: row.pod,
        namespace: row.namespace,
        container: row.container,
        state: row.state as ContainerState,
        podUid: row.pod_uid,
        image: row.image,
      });
    }
    for (const row of s.allPods.all() as {
      node: string;
      pod_id: string;
      name: string;
      namespace: string;
      uid: string;
      state: string;
    }[]) {
      result.get(row.node)?.pods.push({
        id: row.pod_id,
        name: row.name,
        namespace: row.namespace,
        uid: row.uid,
        state: row.state === "ready" ? "ready" : "notready",
      });
    }
    return result;
  }
}
