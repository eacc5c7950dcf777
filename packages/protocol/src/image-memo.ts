/**
 * Decoded images by their bytes (see agent-message-decoder.ts): the same few
 * hundred images, without containers, arrive from every node.
 */
import { shareImage } from "@imagedrift/core";
import { ByteTable, mix } from "./byte-table.js";
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

/** Whether the remembered bytes are the bytes from `start` to `end` of `buf` (a memcmp: a third of the time of a loop). */
function sameAs(remembered: Remembered, buf: Buffer, start: number, end: number): boolean {
  const { bytes } = remembered;
  return bytes.length === end - start && buf.compare(bytes, 0, bytes.length, start, end) === 0;
}

/**
 * Images without containers by their bytes: the same few hundred arrive from
 * every node. A remembered image is shared (shared-image.ts); the table is two-way and small,
 * so a cluster of more distinct images only decodes more of them.
 */
export class ImageMemo {
  readonly #table = new ByteTable<Remembered>(MEMO_ROWS, sameAs);

  find(buf: Buffer, start: number, end: number): WireImage | undefined {
    if (end - start > MAX_MEMO_BYTES) return undefined;
    return this.#table.find(this.#row(buf, start, end), buf, start, end)?.image;
  }

  remember(buf: Buffer, start: number, end: number, image: WireImage): void {
    if (end - start > MAX_MEMO_BYTES) return;
    shareImage(image);
    const bytes = Buffer.allocUnsafeSlow(end - start);
    buf.copy(bytes, 0, start, end);
    this.#table.put(this.#row(buf, start, end), { bytes, image });
  }

  /** By the length, 24 bytes of the id's hex and the last 24 bytes (the digests' end, size and flags). */
  #row(buf: Buffer, start: number, end: number): number {
    const head = mix(end - start, buf, start + 10, Math.min(end, start + 34));
    return this.#table.row(mix(head, buf, Math.max(start, end - 24), end));
  }
}
