/**
 * The one bounded cache: a Map that starts over once it holds `limit`
 * entries, and a memo of a pure function built on it. The findings engine
 * parses the same few thousand references once per image of every node
 * (hundreds of thousands of images), the inventory check sees the same ids
 * and tags from every node, the registry client asks about the same digests:
 * with these each distinct key is worked out once, while a stream of
 * ever-new keys cannot grow a cache without end. Starting over (rather than
 * evicting one entry at a time) keeps a hit a plain Map lookup.
 */

/** The default bound: well above the distinct references of a large cluster, a few MiB at most. */
export const MEMO_LIMIT = 50_000;

/** A Map of at most `limit` entries: setting a new key into a full one clears it first. */
export class BoundedMap<K, V> {
  readonly #entries = new Map<K, V>();
  readonly #limit: number;

  constructor(limit = MEMO_LIMIT) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`cache limit must be a positive integer, not ${limit}`);
    this.#limit = limit;
  }

  get(key: K): V | undefined {
    return this.#entries.get(key);
  }

  has(key: K): boolean {
    return this.#entries.has(key);
  }

  set(key: K, value: V): this {
    if (this.#entries.size >= this.#limit && !this.#entries.has(key)) this.#entries.clear();
    this.#entries.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    return this.#entries.delete(key);
  }

  /** Entries held now (at most the limit). */
  get size(): number {
    return this.#entries.size;
  }
}

export interface BoundedMemo<T> {
  (key: string): T;
  /** Entries held now (at most the limit). */
  readonly size: number;
  /** Drops one entry (a failed read, cached as a promise, to be tried again). */
  forget(key: string): void;
}

/** `compute` memoised per key; `compute` must be pure, and its results are shared (do not change them). */
export function boundedMemo<T>(compute: (key: string) => T, limit = MEMO_LIMIT): BoundedMemo<T> {
  const memo = new BoundedMap<string, T>(limit);
  const lookup = (key: string): T => {
    const known = memo.get(key);
    if (known !== undefined || memo.has(key)) return known as T;
    const value = compute(key);
    memo.set(key, value);
    return value;
  };
  Object.defineProperty(lookup, "size", { get: () => memo.size });
  Object.defineProperty(lookup, "forget", { value: (key: string) => memo.delete(key) });
  return lookup as BoundedMemo<T>;
}
