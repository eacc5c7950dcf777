import {
  candidatesOf,
  columnView,
  type TagColumn as HolderRuns,
  type TagHolding,
  type TagResolution,
  type TagView,
} from "@imagedrift/core";

/** One tag's holders: the distinct holdings, and per node id the index of its holding (-1: none). */
interface TagColumn {
  holdings: TagHolding[];
  column: Int32Array;
  count: number;
}

/**
 * Which node holds what under each tag, kept current one node's changed tags
 * at a time, so that a tag's view is built from its own holders instead of a
 * pass over every node's inventory.
 *
 * Stored by column: nodes get small integer ids, and each tag keeps an Int32Array
 * indexed by node id pointing into its few distinct holdings (shared objects,
 * see ImageInterner). 5,000 nodes × 300 tags take 6 MB this way; a Map per tag
 * took 75 MB.
 */
export class TagIndex {
  readonly #ids = new Map<string, number>();
  #names: string[] = [];
  readonly #free: number[] = [];
  #capacity = 64;
  readonly #tags = new Map<string, TagColumn>();
  #sorted: string[] | undefined;
  /** Node ids in node name order, and their names: views come out sorted, so the engine does not sort them again. */
  #byName: { ids: number[]; names: string[] } | undefined;

  /**
   * Each image's holdings list (shared by every node holding the image) with
   * the column and holding index of each of its tags, so that loading a node
   * looks nothing up. Good while no column has been dropped since (`epoch`).
   */
  readonly #placed = new WeakMap<object, { epoch: number; columns: TagColumn[]; indexes: number[] }>();
  /** Counts up whenever a column is dropped. */
  #epoch = 0;

  /** Makes room for node ids up to `nodes - 1` at once, rather than doubling every column as they come. */
  reserve(nodes: number): void {
    if (nodes > this.#capacity) this.#grow(nodes);
  }

  /**
   * Adds a node that no column holds yet, straight from its images' tag
   * holdings (no map per node: a restart loads every node this way). Returns
   * false and adds nothing when a tag is on two of its images, which a
   * runtime does not do: `update` it with tagHolders' choice instead.
   */
  load(node: string, holdings: readonly (readonly (readonly [string, TagHolding])[])[]): boolean {
    const id = this.#idOf(node);
    for (let i = 0; i < holdings.length; i++) {
      const { columns, indexes } = this.#place(holdings[i] ?? []);
      for (let j = 0; j < columns.length; j++) {
        const entry = columns[j] as TagColumn;
        if ((entry.column[id] ?? -1) >= 0) {
          this.update(
            node,
            new Map(),
            holdings.flatMap((l) => l.map(([t]) => t)),
          );
          return false;
        }
        entry.count += 1;
        entry.column[id] = indexes[j] ?? -1;
      }
    }
    return true;
  }

  /** Where one image's holdings go (see #placed); columns it needs are made. */
  #place(list: readonly (readonly [string, TagHolding])[]): { columns: TagColumn[]; indexes: number[] } {
    const known = this.#placed.get(list);
    if (known !== undefined && known.epoch === this.#epoch) return known;
    const placed = { epoch: this.#epoch, columns: [] as TagColumn[], indexes: [] as number[] };
    for (const [tag, held] of list) {
      const [entry, index] = this.#columnOf(tag, held);
      placed.columns.push(entry);
      placed.indexes.push(index);
    }
    this.#placed.set(list, placed);
    return placed;
  }

  /** The tag's column (made when new) and the index of the holding in it (added when new). */
  #columnOf(tag: string, held: TagHolding): [TagColumn, number] {
    let entry = this.#tags.get(tag);
    if (entry === undefined) {
      entry = { holdings: [], column: new Int32Array(this.#capacity).fill(-1), count: 0 };
      this.#tags.set(tag, entry);
      this.#sorted = undefined;
    }
    let index = entry.holdings.indexOf(held);
    if (index < 0) index = entry.holdings.push(held) - 1;
    return [entry, index];
  }

  /** Applies a node's new holders for the tags that changed on it. */
  update(node: string, holders: ReadonlyMap<string, TagHolding>, changedTags: Iterable<string>): void {
    const id = this.#idOf(node);
    for (const tag of changedTags) {
      const held = holders.get(tag);
      if (held === undefined) {
        const entry = this.#tags.get(tag);
        if (entry === undefined || (entry.column[id] ?? -1) < 0) continue;
        entry.column[id] = -1;
        entry.count -= 1;
        if (entry.count === 0) {
          this.#tags.delete(tag);
          this.#sorted = undefined;
          this.#epoch += 1;
        }
        continue;
      }
      const [entry, index] = this.#columnOf(tag, held);
      if ((entry.column[id] ?? -1) < 0) entry.count += 1;
      entry.column[id] = index;
    }
  }

  /** Forgets a node that holds no tag any more (after update with no holders), freeing its id. */
  release(node: string): void {
    const id = this.#ids.get(node);
    if (id === undefined) return;
    for (const entry of this.#tags.values()) {
      if ((entry.column[id] ?? -1) >= 0) {
        entry.column[id] = -1;
        entry.count -= 1;
      }
    }
    for (const [tag, entry] of this.#tags) {
      if (entry.count > 0) continue;
      this.#tags.delete(tag);
      this.#epoch += 1;
    }
    this.#sorted = undefined;
    this.#ids.delete(node);
    this.#names[id] = "";
    this.#byName = undefined;
    this.#free.push(id);
  }

  /** Every tag some node holds, sorted. */
  tags(): readonly string[] {
    this.#sorted ??= [...this.#tags.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return this.#sorted;
  }

  /**
   * The status of a tag that cannot have a finding, without building its view:
   * every node holds it at one digest (one candidate), and the registry agrees
   * (`current`) or has not answered (`unresolved`). Null for any other tag.
   */
  quietStatus(tag: string, resolution: TagResolution | undefined): "current" | "unresolved" | null {
    const entry = this.#tags.get(tag);
    if (entry === undefined) return null;
    let only = -1;
    for (const index of entry.column) {
      if (index < 0 || index === only) continue;
      if (only >= 0) return null;
      only = index;
    }
    const held = entry.holdings[only];
    if (held === undefined || held.digest === null || held.repoDigests.length > 1) return null;
    if (resolution === undefined || resolution.state === "pending" || resolution.state === "error") return "unresolved";
    return resolution.state === "found" && resolution.digest === held.digest ? "current" : null;
  }

  /**
   * The tag across nodes (GET /api/v1/tags), computed now; null when no node
   * holds it. Built as runs of neighbouring nodes (in name order) that hold the
   * same holding, whose candidate digests are worked out once per holding.
   */
  view(tag: string, resolution: TagResolution | undefined): TagView | null {
    const entry = this.#tags.get(tag);
    if (entry === undefined) return null;
    const { column, holdings } = entry;
    const { ids, names } = this.#nameOrder();
    const runs: HolderRuns = { nodes: names, from: [], to: [], imageIds: [], candidates: [] };
    const candidates: (readonly string[] | undefined)[] = [];
    let last = -1;
    for (let k = 0; k < ids.length; k++) {
      const index = column[ids[k] ?? 0] ?? -1;
      if (index < 0) continue;
      const r = runs.to.length - 1;
      if (index === last && runs.to[r] === k) {
        runs.to[r] = k + 1;
        continue;
      }
      const held = holdings[index];
      if (held === undefined) continue;
      let digests = candidates[index];
      if (digests === undefined) {
        digests = candidatesOf(held);
        candidates[index] = digests;
      }
      runs.from.push(k);
      runs.to.push(k + 1);
      runs.imageIds.push(held.imageId);
      runs.candidates.push(digests);
      last = index;
    }
    return columnView(tag, runs, resolution);
  }

  #nameOrder(): { ids: number[]; names: string[] } {
    if (this.#byName === undefined) {
      const ids = [...this.#ids.values()].sort((a, b) => {
        const x = this.#names[a] ?? "";
        const y = this.#names[b] ?? "";
        return x < y ? -1 : x > y ? 1 : 0;
      });
      this.#byName = { ids, names: ids.map((id) => this.#names[id] ?? "") };
    }
    return this.#byName;
  }

  #idOf(node: string): number {
    let id = this.#ids.get(node);
    if (id !== undefined) return id;
    id = this.#free.pop() ?? this.#names.length;
    this.#ids.set(node, id);
    this.#names[id] = node;
    this.#byName = undefined;
    if (id >= this.#capacity) this.#grow(id + 1);
    return id;
  }

  /** Doubles every column until node id `needed - 1` fits. */
  #grow(needed: number): void {
    let capacity = this.#capacity;
    while (capacity < needed) capacity *= 2;
    for (const entry of this.#tags.values()) {
      const column = new Int32Array(capacity).fill(-1);
      column.set(entry.column);
      entry.column = column;
    }
    this.#capacity = capacity;
  }
}
