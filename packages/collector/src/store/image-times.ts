import type { NodeImage } from "@imagedrift/core";

/**
 * Per image of a node, in inventory order: its `images` table row (the number
 * of the shared image), and when it was first seen there and last seen in use
 * (s since the epoch; 0 = never).
 */
export interface ImageTimes {
  rows: Uint32Array;
  firstSeen: Uint32Array;
  lastUsed: Uint32Array;
}

export function emptyImageTimes(count: number): ImageTimes {
  return { rows: new Uint32Array(count), firstSeen: new Uint32Array(count), lastUsed: new Uint32Array(count) };
}

/**
 * The times of a node's new inventory: an image the node held before keeps
 * when it was first seen and, unless in use now, when it was last used; a new
 * image is first seen `nowS`. Rows are left for the caller to fill.
 */
export function carriedImageTimes(
  images: readonly NodeImage[],
  previous: { images: readonly NodeImage[]; times: ImageTimes | undefined } | undefined,
  nowS: number,
): ImageTimes {
  const before = new Map<string, number>();
  for (const [i, image] of (previous?.images ?? []).entries()) before.set(image.id, i);
  const old = previous?.times;
  const times = emptyImageTimes(images.length);
  images.forEach((image, i) => {
    const at = before.get(image.id);
    times.firstSeen[i] = at === undefined ? nowS : (old?.firstSeen[at] ?? nowS);
    times.lastUsed[i] = image.inUse ? nowS : at === undefined ? 0 : (old?.lastUsed[at] ?? 0);
  });
  return times;
}

/** Image id → ISO time last seen in use, or first seen for an image never used. */
export function lastUsedTimes(images: readonly NodeImage[], times: ImageTimes): Map<string, string> {
  const result = new Map<string, string>();
  images.forEach((image, i) => {
    const at = times.lastUsed[i] || times.firstSeen[i] || 0;
    result.set(image.id, new Date(at * 1000).toISOString());
  });
  return result;
}
