import { type NodeImage, type NodeInventory, type TagHolding, tagHolders } from "@imagedrift/core";

/**
 * One object per distinct image description (id, tags, digests, size, flags)
 * however many nodes hold it: 5,000 nodes sharing 300 images keep about 300
 * image objects in memory instead of 1.5 million, and the tags each image
 * gives (reference parsing) are worked out once per image, not once per node.
 *
 * Shared images have no containers and are frozen. An image with containers
 * stays a per-node object over its shared twin (`base`).
 */
export class ImageInterner {
  readonly #byKey = new Map<string, NodeImage>();
  /** The per-node image with containers → its shared twin. */
  readonly #baseOf = new WeakMap<NodeImage, NodeImage>();
  readonly #holdings = new WeakMap<NodeImage, readonly (readonly [string, TagHolding])[]>();
  /** The `images` table row of each shared image that has one. */
  readonly #rows = new WeakMap<NodeImage, number>();
  /** Live distinct images after the last sweep: the map is swept once it grows well past that. */
  #liveAfterSweep = 0;

  static key(image: NodeImage): string {
    const flags = `${+image.pinned}${+image.sandbox}${+image.inUse}`;
    return `${image.id}\n${image.size}\n${flags}\n${image.repoTags.join("\t")}\n${image.repoDigests.join("\t")}`;
  }

  /** The shared twin of an image (the image itself when it is shared). */
  base(image: NodeImage): NodeImage {
    const known = this.#baseOf.get(image);
    if (known !== undefined) return known;
    const key = ImageInterner.key(image);
    let shared = this.#byKey.get(key);
    if (shared === undefined) {
      shared = Object.freeze({
        id: image.id,
        repoTags: Object.freeze([...image.repoTags]) as string[],
        repoDigests: Object.freeze([...image.repoDigests]) as string[],
        size: image.size,
        pinned: image.pinned,
        sandbox: image.sandbox,
        inUse: image.inUse,
        containers: Object.freeze([]) as unknown as NodeImage["containers"],
      });
      this.#byKey.set(key, shared);
    }
    if (image.containers.length > 0) this.#baseOf.set(image, shared);
    return shared;
  }

  /** The image as the collector keeps it: the shared twin, or a per-node object over it when it has containers. */
  intern(image: NodeImage): NodeImage {
    const shared = this.base(image);
    if (image.containers.length === 0) return shared;
    const own: NodeImage = { ...shared, containers: image.containers };
    this.#baseOf.set(own, shared);
    return own;
  }

  /** A shared image loaded from its `images` row. */
  adopt(row: number, image: NodeImage): NodeImage {
    const shared = this.base(image);
    this.#rows.set(shared, row);
    return shared;
  }

  rowOf(image: NodeImage): number | undefined {
    return this.#rows.get(this.base(image));
  }

  setRow(image: NodeImage, row: number): void {
    this.#rows.set(this.base(image), row);
  }

  /** The tags one image gives and what each holds, worked out once per distinct image. */
  holdings(image: NodeImage): readonly (readonly [string, TagHolding])[] {
    const shared = this.base(image);
    let holdings = this.#holdings.get(shared);
    if (holdings === undefined) {
      const alone: NodeInventory = {
        node: "",
        runtime: { name: "", version: "", apiVersion: "" },
        scannedAt: "",
        images: [shared],
        pods: [],
        imageFs: { mountpoint: "", usedBytes: 0, inodesUsed: null },
      };
      holdings = Object.freeze([...tagHolders(alone)].map(([tag, held]) => Object.freeze([tag, held] as const)));
      this.#holdings.set(shared, holdings);
    }
    return holdings;
  }

  /**
   * What the node holds under each tag, as core's tagHolders says, from the
   * per-image holdings. A tag on two images of one node (which a runtime does
   * not do) is left to tagHolders itself, so the choice stays the same.
   */
  holders(inventory: NodeInventory): Map<string, TagHolding> {
    const result = new Map<string, TagHolding>();
    for (const image of inventory.images) {
      for (const [tag, held] of this.holdings(image)) {
        if (result.has(tag)) return tagHolders(inventory);
        result.set(tag, held);
      }
    }
    return result;
  }

  /** Forgets images no node holds any more, once there are twice as many as after the last sweep. */
  sweep(live: Iterable<NodeInventory>): void {
    if (this.#byKey.size <= 2 * this.#liveAfterSweep + 1024) return;
    const kept = new Map<string, NodeImage>();
    for (const inventory of live) {
      for (const image of inventory.images) {
        const shared = this.base(image);
        kept.set(ImageInterner.key(shared), shared);
      }
    }
    this.#byKey.clear();
    for (const [key, image] of kept) this.#byKey.set(key, image);
    this.#liveAfterSweep = kept.size;
  }

  get size(): number {
    return this.#byKey.size;
  }
}
