/**
 * Images shared between nodes. The protocol's decoder hands every node that
 * sends an image (without containers) as the same bytes the same object, and
 * its inventory check hands every such wire image the same checked NodeImage.
 * Those images are made shared (immutable) by shareImage, and isSharedImage
 * is how others (the collector's image interner) ask: how an image is
 * marked is this module's business, not a convention callers must know.
 */

interface ImageLists {
  repoTags: readonly unknown[];
  repoDigests: readonly unknown[];
  containers: readonly unknown[];
}

/** Makes an image (and its lists) immutable and marks it shared; returns it. */
export function shareImage<T extends ImageLists>(image: T): Readonly<T> {
  Object.freeze(image.repoTags);
  Object.freeze(image.repoDigests);
  Object.freeze(image.containers);
  return Object.freeze(image);
}

/**
 * Whether the decoder or the inventory check shares this image between nodes
 * (so it is immutable, and the same object arrives from other nodes: worth
 * remembering by identity).
 */
export function isSharedImage(image: object): boolean {
  if (!Object.isFrozen(image)) return false;
  const { repoTags, repoDigests, containers } = image as Partial<ImageLists>;
  return Object.isFrozen(repoTags) && Object.isFrozen(repoDigests) && Object.isFrozen(containers);
}
