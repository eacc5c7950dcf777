import { imageDuplicates, type NodeImage, type NodeInventory, type NodeState, type TagHolding } from "@imagedrift/core";
import type { Database } from "better-sqlite3";
import { type ImageHoldings, ImageInterner, type SharedImage } from "./image-interner.js";
import { carriedImageTimes, emptyImageTimes, type ImageTimes, lastUsedTimes } from "./image-times.js";
import {
  decodeContainers,
  decodePods,
  encodeInventory,
  type ImageRow,
  imageOfRow,
  imageRowWriter,
  type StoredInventory,
} from "./inventory-rows.js";
import type { HelloRecord, NodeRecord, SaveResult } from "./node-record.js";
import { inventoryColumns, type NodeRow, statements, toRecord } from "./node-rows.js";
import { SharedStrings } from "./shared-strings.js";
import { changedTags as tagChanges } from "./tag-changes.js";

export type { HelloRecord, NodeRecord, SaveResult } from "./node-record.js";

/**
 * Nodes and what each holds, in SQLite and mirrored in memory: reads
 * (heartbeats, the REST API, the findings engine) never touch the disk.
 *
 * An inventory is one transaction of a few rows: the node, its inventory row
 * (images by their shared `images` row) and tag history for tags that moved.
 * Images are interned (ImageInterner): nodes holding the same image share it.
 *
 * Heartbeats only move `lastReportAt`; they reach SQLite in batches
 * (`flushTouches`), so a crash can lose the last few seconds of report times
 * and nothing else.
 */
export class NodeStore {
  readonly #db: Database;
  readonly #s: ReturnType<typeof statements>;
  readonly #writeImage: (image: NodeImage) => number;
  readonly #interner = new ImageInterner();
  readonly #strings = new SharedStrings();
  readonly #records = new Map<string, NodeRecord>();
  #sorted: NodeRecord[] | undefined;
  readonly #inventories = new Map<string, NodeInventory>();
  readonly #times = new Map<string, ImageTimes>();
  /** Nodes whose lastReportAt moved since the last flush. */
  readonly #touched = new Set<string>();

  constructor(db: Database) {
    this.#db = db;
    this.#s = statements(db);
    this.#writeImage = imageRowWriter(db);
    for (const row of this.#s.nodes.all() as NodeRow[]) this.#records.set(row.name, toRecord(row));
    this.#load();
  }

  /** Records an agent's hello; returns the inventory hash the collector holds for it. */
  hello(node: string, hello: HelloRecord, now: Date): string | null {
    const at = now.toISOString();
    this.#s.hello.run({ name: node, ...hello, labels: JSON.stringify(hello.labels), now: at });
    this.#touched.delete(node);
    const known = this.#records.get(node);
    if (known === undefined) {
      this.#records.set(node, toRecord(this.#s.node.get(node) as NodeRow));
      this.#sorted = undefined;
    } else {
      Object.assign(known, { ...hello, lastReportAt: at });
    }
    return this.#records.get(node)?.inventoryHash ?? null;
  }

  /** Moves the node's last report time, in memory now and in SQLite at the next flushTouches. */
  touch(node: string, now: Date): void {
    const record = this.#records.get(node);
    if (record === undefined) return;
    record.lastReportAt = now.toISOString();
    this.#touched.add(node);
  }

  /** Writes the report times that heartbeats moved, in one transaction. */
  flushTouches(): void {
    if (this.#touched.size === 0) return;
    this.#db.transaction(() => {
      for (const node of this.#touched) {
        const record = this.#records.get(node);
        if (record !== undefined) this.#s.touch.run(record.lastReportAt, node);
      }
    })();
    this.#touched.clear();
  }

  get(node: string): Readonly<NodeRecord> | undefined {
    return this.#records.get(node);
  }

  /** Every node, by name. */
  list(): readonly Readonly<NodeRecord>[] {
    this.#sorted ??= [...this.#records.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return this.#sorted;
  }

  states(): NodeState[] {
    return this.list().map((n) => ({ name: n.name, lastReportAt: n.lastReportAt, intervalMs: n.intervalMs }));
  }

  remove(node: string): void {
    this.#s.deleteNode.run(node);
    this.#records.delete(node);
    this.#inventories.delete(node);
    this.#times.delete(node);
    this.#touched.delete(node);
    this.#sorted = undefined;
  }

  /** The node's last inventory (images shared with other nodes: never change them). */
  inventory(node: string): NodeInventory | undefined {
    return this.#inventories.get(node);
  }

  /** Every node's last inventory, by node: the live map, kept current by save and remove. */
  inventories(): ReadonlyMap<string, NodeInventory> {
    return this.#inventories;
  }

  /** What the node holds under each tag. */
  holders(node: string): ReadonlyMap<string, TagHolding> {
    const inventory = this.#inventories.get(node);
    return inventory === undefined ? new Map() : this.#interner.holders(inventory);
  }

  /**
   * Each node's images by number (their `images` table rows, in inventory
   * order): nodes holding the same image share its number, so a pass over
   * every node's images (a restart) works each image out once, not per node.
   */
  *imageNumbers(): IterableIterator<[string, ArrayLike<number>]> {
    for (const [node, times] of this.#times) yield [node, times.rows];
  }

  /** The tags the image numbered `row` gives, and what each holds (one shared list per image; empty when unknown). */
  holdingsOf(row: number): ImageHoldings {
    const image = this.#interner.imageOfRow(row);
    return image === undefined ? [] : this.#interner.holdings(image);
  }

  /** Image id → ISO time last seen in use on the node, or first seen there for an image never used. */
  lastUsed(node: string): Map<string, string> {
    const inventory = this.#inventories.get(node);
    const times = this.#times.get(node);
    if (inventory === undefined || times === undefined) return new Map();
    return lastUsedTimes(inventory.images, times);
  }

  /**
   * Replaces a node's inventory in one transaction, recording the tags that
   * moved in tag_history (a node's first inventory is its baseline: the node's
   * firstSeenAt says when). Nothing changes, in memory or on disk, when it fails.
   */
  save(inventory: NodeInventory, hash: string, now: Date): SaveResult {
    const node = inventory.node;
    const record = this.#records.get(node);
    if (record === undefined) throw new Error(`node "${node}" has not said hello`);
    // The gateway refuses every duplicate first; one row per image id is what the store itself rests on.
    const duplicates = imageDuplicates(inventory.images);
    if (duplicates.length > 0) throw new Error(`the inventory of ${node} is not valid: ${duplicates.join("; ")}`);
    const at = now.toISOString();
    const nowS = Math.floor(now.getTime() / 1000);
    const pods = this.#strings.pods(inventory.pods);
    // Each image's shared twin, looked up once: its id, its row and its tags come with it.
    const shared = inventory.images.map((image) => this.#interner.shared(image));
    const listed = this.#strings.images(inventory.images, pods, (_, i) => (shared[i] as SharedImage).image.id);
    const images = listed.map((image, i) => this.#interner.intern(image, shared[i]));
    const saved: NodeInventory = { ...inventory, pods, images };

    const previous = this.#inventories.get(node);
    const previousTimes = this.#times.get(node);
    const times = carriedImageTimes(
      images,
      previous === undefined ? undefined : { images: previous.images, times: previousTimes },
      nowS,
    );
    let imageBytes = 0;
    for (const image of images) imageBytes += image.size;

    const oldHolders = previous === undefined ? new Map<string, TagHolding>() : this.#interner.holders(previous);
    const newHolders = this.#interner.holders(saved, shared);
    const changedTags = tagChanges(oldHolders, newHolders);

    const newRows = new Map<SharedImage, number>();
    const rowsWritten = this.#db.transaction(() => {
      const s = this.#s;
      const columns = inventoryColumns(inventory, { node, now: at, hash, imageCount: images.length, imageBytes });
      let rows = s.updateNode.run(columns).changes;
      shared.forEach((image, i) => {
        let row = image.row ?? newRows.get(image);
        if (row === undefined) {
          row = this.#writeImage(image.image);
          newRows.set(image, row);
          rows += 1;
        }
        times.rows[i] = row;
      });
      const stored = encodeInventory({ images, pods: inventory.pods }, times);
      rows += s.storeInventory.run(node, JSON.stringify(stored)).changes;
      if (previous !== undefined) {
        for (const tag of changedTags) {
          const old = oldHolders.get(tag);
          const held = newHolders.get(tag);
          rows += s.history.run(
            node,
            tag,
            old?.digest ?? null,
            held?.digest ?? null,
            old?.imageId ?? null,
            held?.imageId ?? null,
            at,
          ).changes;
        }
      }
      return rows;
    })();

    for (const [image, row] of newRows) this.#interner.setRow(image, row);
    this.#inventories.set(node, saved);
    this.#times.set(node, times);
    this.#touched.delete(node);
    Object.assign(record, {
      lastReportAt: at,
      inventoryHash: hash,
      scannedAt: inventory.scannedAt,
      runtime: { ...inventory.runtime },
      imageFs: { ...inventory.imageFs },
      imageCount: images.length,
      imageBytes,
    });
    this.#interner.sweep(this.#inventories.values());
    return { rowsWritten, changedTags, holders: newHolders };
  }

  /** Loads every stored inventory into memory, and deletes the image rows no node holds any more. */
  #load(): void {
    const s = this.#s;
    const rows = new Map((s.images.all() as ImageRow[]).map((row) => [row.id, row]));
    const byRow = new Map<number, NodeImage>();
    const adopt = (id: number): NodeImage | undefined => {
      let image = byRow.get(id);
      const row = rows.get(id);
      if (image === undefined && row !== undefined) {
        image = this.#interner.adopt(id, imageOfRow(row));
        byRow.set(id, image);
      }
      return image;
    };
    for (const { node, data } of s.inventories.all() as { node: string; data: string }[]) {
      const record = this.#records.get(node);
      if (record === undefined || record.scannedAt === null) continue;
      const stored = JSON.parse(data) as StoredInventory;
      const containers = decodeContainers(stored);
      const pods = this.#strings.pods(decodePods(stored));
      const times = emptyImageTimes(stored.images.length);
      const listed: NodeImage[] = [];
      stored.images.forEach((row, i) => {
        const shared = adopt(row);
        if (shared === undefined) return;
        const own = containers.get(i);
        listed.push(own === undefined ? shared : { ...shared, containers: own });
        times.rows[listed.length - 1] = row;
        times.firstSeen[listed.length - 1] = stored.firstSeen[i] ?? 0;
        times.lastUsed[listed.length - 1] = stored.lastUsed[i] ?? 0;
      });
      const images = this.#strings
        .images(listed, pods, (image) => image.id)
        .map((image) => this.#interner.intern(image));
      // Rows gone from the images table (a damaged database) are left out.
      if (images.length < stored.images.length) times.rows = times.rows.slice(0, images.length);
      this.#inventories.set(node, {
        node,
        runtime: record.runtime,
        scannedAt: record.scannedAt,
        images,
        pods,
        imageFs: record.imageFs,
      });
      this.#times.set(node, times);
    }
    const unheld = [...rows.keys()].filter((row) => !byRow.has(row));
    if (unheld.length === 0) return;
    this.#db.transaction(() => {
      for (const row of unheld) s.deleteImage.run(row);
    })();
  }
}
