/**
 * A small table of values found by bytes: two slots per row, the row picked
 * by a hash of bytes the caller chooses (`mix`), a hit in a row's second
 * slot moved to its first, a new value put first. The decoder keeps its
 * shared strings (wire-reader.ts) and images (image-memo.ts) in one each: a
 * value that falls out of its row is only decoded again.
 */
export class ByteTable<T> {
  readonly #slots: (T | undefined)[];
  readonly #mask: number;
  readonly #same: (value: T, buf: Buffer, start: number, end: number) => boolean;

  /** `rows`: a power of two. `same`: whether a value is the bytes from `start` to `end` of `buf`. */
  constructor(rows: number, same: (value: T, buf: Buffer, start: number, end: number) => boolean) {
    this.#slots = new Array<T | undefined>(2 * rows).fill(undefined);
    this.#mask = rows - 1;
    this.#same = same;
  }

  /** The row of a hash that `mix` made. */
  row(hash: number): number {
    return 2 * ((hash ^ (hash >>> 15)) & this.#mask);
  }

  /** The value in `row` that is the bytes from `start` to `end` of `buf`. */
  find(row: number, buf: Buffer, start: number, end: number): T | undefined {
    const slots = this.#slots;
    const first = slots[row];
    if (first !== undefined && this.#same(first, buf, start, end)) return first;
    const second = slots[row + 1];
    if (second === undefined || !this.#same(second, buf, start, end)) return undefined;
    slots[row + 1] = first;
    slots[row] = second;
    return second;
  }

  put(row: number, value: T): void {
    this.#slots[row + 1] = this.#slots[row];
    this.#slots[row] = value;
  }
}

/** FNV-1a of bytes `from` to `to` of `buf`, going on from `hash`. */
export function mix(hash: number, buf: Buffer, from: number, to: number): number {
  let h = hash;
  for (let k = from; k < to; k++) h = Math.imul(h ^ (buf[k] as number), 0x01000193);
  return h;
}
