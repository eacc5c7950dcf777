/**
 * Checks of the strings that repeat across nodes, with a memory: the same
 * few hundred image ids, tags and repo digests arrive from thousands of
 * nodes, so a string once found valid is only looked up again. Only valid
 * strings are kept (a bad one is checked each time, which only costs the
 * agent that sends it), only short ones, and at most MAX_ENTRIES of each
 * kind: beyond that the memory starts over.
 */
import { BoundedMap, isSha256Digest, parseImageRef, parseRepoDigest, toImagedriftError } from "@imagedrift/core";

export const MAX_ENTRIES = 50_000;
/** Longer strings are checked but not kept, so each memory stays a few tens of MiB at worst. */
const MAX_KEY_LENGTH = 512;
/** Two slots per row, 8192 in all. */
const ROWS = 4096;

/**
 * Strings found valid: a Set, and in front of it a small two-way table
 * indexed by the string's length and last few characters. Every decoded
 * string is new, so the Set must hash all of its characters (135 for a
 * repo digest) before it compares; the table reads 8 or 16 and compares one or
 * two candidates (a memcmp), which takes a third off a whole inventory.
 * A string the table misses (a collision) is found in the Set.
 */
export class ValidStrings {
  readonly #all = new BoundedMap<string, true>(MAX_ENTRIES);
  readonly #recent = new Array<string | undefined>(2 * ROWS).fill(undefined);
  readonly #tail: number;

  /** `tail`: how many of the last characters index the table (8 for hex digests; more where strings end alike). */
  constructor(tail: number) {
    this.#tail = tail;
  }

  has(value: string): boolean {
    const row = 2 * rowOf(value, this.#tail);
    if (this.#recent[row] === value || this.#recent[row + 1] === value) return true;
    if (!this.#all.has(value)) return false;
    this.#promote(row, value);
    return true;
  }

  add(value: string): void {
    if (value.length > MAX_KEY_LENGTH) return;
    this.#all.set(value, true);
    this.#promote(2 * rowOf(value, this.#tail), value);
  }

  get size(): number {
    return this.#all.size;
  }

  #promote(row: number, value: string): void {
    this.#recent[row + 1] = this.#recent[row];
    this.#recent[row] = value;
  }
}

/** FNV-1a over the length and the last `tail` characters. */
function rowOf(value: string, tail: number): number {
  const end = value.length;
  const stop = end > tail ? end - tail : 0;
  let h = end;
  for (let k = end - 1; k >= stop; k--) h = Math.imul(h ^ value.charCodeAt(k), 0x01000193);
  return (h ^ (h >>> 15)) & (ROWS - 1);
}

/**
 * The three remembered checks, one memory each. The collector's gateway holds
 * one set for its lifetime (through an InventoryChecker); a test makes its own.
 */
export class StringChecks {
  // Ids and repo digests end in hex; tags often end alike (`svc-001:latest`, `svc-011:latest`).
  readonly #imageIds = new ValidStrings(8);
  readonly #references = new ValidStrings(16);
  readonly #repoDigests = new ValidStrings(8);

  /** `sha256:` and 64 lowercase hex digits. */
  isImageId(value: string): boolean {
    if (this.#imageIds.has(value)) return true;
    if (!isSha256Digest(value)) return false;
    this.#imageIds.add(value);
    return true;
  }

  /** Why `value` is not an image reference (parseImageRef's message), or null when it is one. */
  referenceProblem(value: string): string | null {
    if (this.#references.has(value)) return null;
    try {
      parseImageRef(value);
    } catch (thrown) {
      return toImagedriftError(thrown).message;
    }
    this.#references.add(value);
    return null;
  }

  /** Why `value` is not a `host/repository@digest`, or null when it is one. */
  repoDigestProblem(value: string): string | null {
    if (this.#repoDigests.has(value)) return null;
    if (parseRepoDigest(value) === null) {
      return `invalid repo digest ${JSON.stringify(value)} (expected host/repository@sha256:<64 hex>)`;
    }
    this.#repoDigests.add(value);
    return null;
  }
}
