/**
 * Decoded images by their bytes (see agent-message-decoder.ts): the same few
 * hundred images, without containers, arrive from every node.
 */
import type { WireImage } from "./messages.js";

/** Rows of the image memo: two slots each. */
const MEMO_ROWS = 4096;
/** Images longer than this (thousands of tags) are decoded each time. */
const MAX_MEMO_BYTES = 4096;

interface Remembered {
  /** A copy of the image's bytes (its own memory, not a slice of a pooled or received buffer). */
  bytes: Buffer;
  image: WireImage;
}

/** Whether `bytes` are the bytes from `start` to `end` of `buf` (a memcmp: a third of the time of a loop). */
function sameAs(bytes: Buffer, buf: Buffer, start: number, end: number): boolean {
  return bytes.length === end - start && buf.compare(bytes, 0, bytes.length, start, end) === 0;
}

/**
 * Images without containers by their bytes: the same few hundred arrive from
 * every node. A remembered image is frozen; the table is two-way and small,
 * so a cluster of more distinct images only decodes more of them.
 */
export class ImageMemo {
  readonly #slots = new Array<Remembered | undefined>(2 * MEMO_ROWS).fill(undefined);

  find(buf: Buffer, start: number, end: number): WireImage | undefined {
    if (end - start > MAX_MEMO_BYTES) return undefined;
    const row = memoRow(buf, start, end);
    const slots = this.#slots;
    const first = slots[row];
    if (first !== undefined && sameAs(first.bytes, buf, start, end)) return first.image;
    const second = slots[row + 1];
    if (second !== undefined && sameAs(second.bytes, buf, start, end)) {
      slots[row + 1] = first;
      slots[row] = second;
      return second.image;
    }
    return undefined;
  }

  remember(buf: Buffer, start: number, end: number, image: WireImage): void {
    if (end - start > MAX_MEMO_BYTES) return;
    Object.freeze(image.repoTags);
    Object.freeze(image.repoDigests);
    Object.freeze(image.containers);
    Object.freeze(image);
    const row = memoRow(buf, start, end);
    this.#slots[row + 1] = this.#slots[row];
    const bytes = Buffer.allocUnsafeSlow(end - start);
    buf.copy(bytes, 0, start, end);
    this.#slots[row] = { bytes, image };
  }
}

/** FNV-1a over the length, 24 bytes of the id's hex and the last 24 bytes (the digests' end, size and flags). */
function memoRow(buf: Buffer, start: number, end: number): number {
  let h = end - start;
  for (let k = start + 10, stop = Math.min(end, start + 34); k < stop; k++)
    h = Math.imul(h ^ (buf[k] as number), 0x01000193);
  for (let k = Math.max(start, end - 24); k < end; k++) h = Math.imul(h ^ (buf[k] as number), 0x01000193);
  return 2 * ((h ^ (h >>> 15)) & (MEMO_ROWS - 1));
}
