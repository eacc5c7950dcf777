/**
 * A string-keyed memo of a pure function, bounded: once it holds `limit`
 * entries it is cleared and starts again. The findings engine parses the same
 * few thousand references once per image of every node (hundreds of
 * thousands of images); with this each distinct string is parsed once, while
 * a stream of ever-new strings cannot grow the memo without end.
 */

/** The default bound: well above the distinct references of a large cluster, a few MiB at most. */
export const MEMO_LIMIT = 50_000;

export interface BoundedMemo<T> {
  (key: string): T;
  /** Entries held now (at most the limit). */
  readonly size: number;
  /** Drops one entry (a failed read, cached as a promise, to be tried again). */
  forget(key: string): void;
}

/** `compute` memoised per key; `compute` must be pure, and its results are shared (do not change them). */
export function boundedMemo<T>(compute: (key: string) => T, limit = MEMO_LIMIT): BoundedMemo<T> {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`memo limit must be a positive integer, not ${limit}`);
  const memo = new Map<string, T>();
  const lookup = (key: string): T => {
    const known = memo.get(key);
    if (known !== undefined || memo.has(key)) return known as T;
    const value = compute(key);
    if (memo.size >= limit) memo.clear();
    memo.set(key, value);
    return value;
  };
  Object.defineProperty(lookup, "size", { get: () => memo.size });
  Object.defineProperty(lookup, "forget", { value: (key: string) => memo.delete(key) });
  return lookup as BoundedMemo<T>;
}
