import type { TagHolding } from "@imagedrift/core";

/**
 * One tag's holders: its distinct holdings and how many nodes hold each, and
 * per node id the index of its holding plus one (0: none), so that a new
 * column needs no filling.
 */
export class Column {
  readonly holdings: TagHolding[] = [];
  readonly holders: number[] = [];
  slots: Int32Array;
  /** Nodes holding the tag. */
  count = 0;

  constructor(capacity: number) {
    this.slots = new Int32Array(capacity);
  }

  /** The index of the holding, added when new (in the place of one no node holds any more). */
  indexOf(held: TagHolding): number {
    let index = this.holdings.indexOf(held);
    if (index >= 0) return index;
    index = this.holders.indexOf(0);
    if (index < 0) index = this.holders.push(0) - 1;
    this.holdings[index] = held;
    return index;
  }

  /** The index of node `id`'s holding; -1 when it does not hold the tag. */
  at(id: number): number {
    return (this.slots[id] ?? 0) - 1;
  }

  set(id: number, index: number): void {
    const old = this.at(id);
    if (old >= 0) this.holders[old] = (this.holders[old] ?? 1) - 1;
    else this.count += 1;
    this.slots[id] = index + 1;
    this.holders[index] = (this.holders[index] ?? 0) + 1;
  }

  unset(id: number): void {
    const old = this.at(id);
    if (old < 0) return;
    this.holders[old] = (this.holders[old] ?? 1) - 1;
    this.count -= 1;
    this.slots[id] = 0;
  }

  /** The one holding every holder holds; undefined when they hold several (or none). */
  sole(): TagHolding | undefined {
    let only: TagHolding | undefined;
    for (let i = 0; i < this.holders.length; i++) {
      if ((this.holders[i] ?? 0) === 0) continue;
      if (only !== undefined) return undefined;
      only = this.holdings[i];
    }
    return only;
  }

  grow(capacity: number): void {
    const slots = new Int32Array(capacity);
    slots.set(this.slots);
    this.slots = slots;
  }
}
