import {
  candidatesOf,
  columnView,
  compareText,
  type TagColumn as HolderRuns,
  type TagHolding,
  type TagResolution,
  type TagView,
} from "@imagedrift/core";
import type { ImageHoldings } from "../store/index.js";
import { Column } from "./tag-column.js";

/** Where one image's holdings go: the column of each of its tags, and the index of its holding there. */
interface Placement {
  columns: Column[];
  indexes: number[];
}

/**
 * Which node holds what under each tag, kept current one node's changed tags
 * at a time, so that a tag's view is built from its own holders instead of a
 * pass over every node's inventory.
 *
 * Stored by column: nodes get small integer ids, and each tag keeps an Int32Array
 * indexed by node id pointing into its few distinct holdings (shared objects,
 * see ImageInterner): a few bytes per node and tag, where a Map per tag took
 * an entry object per node and tag.
 */
export class TagIndex {
  readonly #ids = new Map<string, number>();
  #names: string[] = [];
  readonly #free: number[] = [];
  #capacity = 64;
  readonly #tags = new Map<string, Column>();
  #sorted: string[] | undefined;
  /** Node ids in node name order, and their names: views come out sorted, so the engine does not sort them again. */
  #byName: { ids: number[]; names: string[] } | undefined;

  /** Makes room for node ids up to `nodes - 1` at once, rather than doubling every column as they come. */
  reserve(nodes: number): void {
    if (nodes <= this.#capacity) return;
    for (const column of this.#tags.values()) column.grow(nodes);
    this.#capacity = nodes;
  }

  /**
   * Adds nodes that no column holds yet from their images (a restart loads
   * every node this way). Images are numbers that nodes share (the store's
   * image rows); `holdingsOf` gives the tags each image gives and what each
   * holds, and is asked once per image however many nodes hold it: the pass
   * over every node's images then looks nothing up. Returns the nodes left
   * out because a tag is on two of their images, which a runtime does not do:
   * `update` those with tagHolders' choice instead.
   */
  load(nodes: Iterable<[string, ArrayLike<number>]>, holdingsOf: (image: number) => ImageHoldings): string[] {
    const placed = new Map<number, Placement>();
    const place = (image: number): Placement => {
      const placement: Placement = { columns: [], indexes: [] };
      for (const [tag, held] of holdingsOf(image)) {
        const [column, index] = this.#columnOf(tag, held);
        placement.columns.push(column);
        placement.indexes.push(index);
      }
      placed.set(image, placement);
      return placement;
    };
    const left: string[] = [];
    for (const [node, images] of nodes) {
      const id = this.#idOf(node);
      if (this.#fill(id, images, (image) => placed.get(image) ?? place(image))) continue;
      left.push(node);
      // Taking the node back may have left a holding unheld, whose index a new holding can take.
      placed.clear();
    }
    this.#dropEmpty();
    return left;
  }

  /** Sets node `id` in the columns of its images' tags; false, with nothing set, when a tag comes twice. */
  #fill(id: number, images: ArrayLike<number>, placementOf: (image: number) => Placement): boolean {
    for (let i = 0; i < images.length; i++) {
      const { columns, indexes } = placementOf(images[i] ?? 0);
      for (let j = 0; j < columns.length; j++) {
        const column = columns[j] as Column;
        if (column.at(id) >= 0) {
          for (const each of this.#tags.values()) each.unset(id);
          return false;
        }
        column.set(id, indexes[j] ?? 0);
      }
    }
    return true;
  }

  /** The tag's column (made when new) and the index of the holding in it (added when new). */
  #columnOf(tag: string, held: TagHolding): [Column, number] {
    let column = this.#tags.get(tag);
    if (column === undefined) {
      column = new Column(this.#capacity);
      this.#tags.set(tag, column);
      this.#sorted = undefined;
    }
    return [column, column.indexOf(held)];
  }

  /** Applies a node's new holders for the tags that changed on it. */
  update(node: string, holders: ReadonlyMap<string, TagHolding>, changedTags: Iterable<string>): void {
    const id = this.#idOf(node);
    for (const tag of changedTags) {
      const held = holders.get(tag);
      if (held !== undefined) {
        const [column, index] = this.#columnOf(tag, held);
        column.set(id, index);
        continue;
      }
      const column = this.#tags.get(tag);
      if (column === undefined) continue;
      column.unset(id);
      if (column.count > 0) continue;
      this.#tags.delete(tag);
      this.#sorted = undefined;
    }
  }

  /** Forgets a node that holds no tag any more (after update with no holders), freeing its id. */
  release(node: string): void {
    const id = this.#ids.get(node);
    if (id === undefined) return;
    for (const column of this.#tags.values()) column.unset(id);
    this.#dropEmpty();
    this.#ids.delete(node);
    this.#names[id] = "";
    this.#byName = undefined;
    this.#free.push(id);
  }

  /** Drops the columns no node holds any more. */
  #dropEmpty(): void {
    for (const [tag, column] of this.#tags) {
      if (column.count > 0) continue;
      this.#tags.delete(tag);
      this.#sorted = undefined;
    }
  }

  /** Every tag some node holds, sorted. */
  tags(): readonly string[] {
    this.#sorted ??= [...this.#tags.keys()].sort(compareText);
    return this.#sorted;
  }

  /**
   * The status of a tag that cannot have a finding, without building its view:
   * every node holds it at one digest (one candidate), and the registry agrees
   * (`current`) or has not answered (`unresolved`). Null for any other tag.
   */
  quietStatus(tag: string, resolution: TagResolution | undefined): "current" | "unresolved" | null {
    const held = this.#tags.get(tag)?.sole();
    if (held === undefined || held.digest === null || held.repoDigests.length > 1) return null;
    if (resolution === undefined || resolution.state === "pending" || resolution.state === "error") return "unresolved";
    return resolution.state === "found" && resolution.digest === held.digest ? "current" : null;
  }

  /** Whether some node holds the tag with repo digests, none of them `digest` (the registry's). */
  holdsOtherThan(tag: string, digest: string): boolean {
    const column = this.#tags.get(tag);
    if (column === undefined) return false;
    for (let i = 0; i < column.holders.length; i++) {
      const held = column.holdings[i];
      if ((column.holders[i] ?? 0) === 0 || held === undefined) continue;
      const candidates = candidatesOf(held);
      if (candidates.length > 0 && !candidates.includes(digest)) return true;
    }
    return false;
  }

  /**
   * The tag across nodes (GET /api/v1/tags), computed now; null when no node
   * holds it. Built as runs of neighbouring nodes (in name order) that hold the
   * same holding, whose candidate digests are worked out once per holding.
   */
  view(tag: string, resolution: TagResolution | undefined): TagView | null {
    const column = this.#tags.get(tag);
    if (column === undefined) return null;
    const { ids, names } = this.#nameOrder();
    const runs: HolderRuns = { nodes: names, from: [], to: [], imageIds: [], candidates: [] };
    const candidates: (readonly string[] | undefined)[] = [];
    let last = -1;
    for (let k = 0; k < ids.length; k++) {
      const index = column.at(ids[k] ?? 0);
      if (index < 0) continue;
      const r = runs.to.length - 1;
      if (index === last && runs.to[r] === k) {
        runs.to[r] = k + 1;
        continue;
      }
      const held = column.holdings[index];
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
      const ids = [...this.#ids.values()].sort((a, b) => compareText(this.#names[a] ?? "", this.#names[b] ?? ""));
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

  /** Makes every column at least `needed` long, doubling as nodes come. */
  #grow(needed: number): void {
    let capacity = this.#capacity;
    while (capacity < needed) capacity *= 2;
    for (const column of this.#tags.values()) column.grow(capacity);
    this.#capacity = capacity;
  }
}
