import { type NodeImage, type NodeInventory, type TagHolding, tagHolders } from "@imagedrift/core";

/** The tags one image gives and what each holds. */
export type ImageHoldings = readonly (readonly [string, TagHolding])[];

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
  /** The shared images of each image id (one per distinct description; usually one). */
  readonly #byId = new Map<string, NodeImage[]>();
  #count = 0;
  /** Every image the interner has seen with containers, and every shared image → its shared twin (itself). */
  readonly #baseOf = new WeakMap<NodeImage, NodeImage>();
  readonly #holdings = new WeakMap<NodeImage, ImageHoldings>();
  /**
   * One holding object per distinct holding (digest, image id, repo digests):
   * two images that differ only in flags (in use on one node, idle on another)
   * give their tags the same holding, so a tag held alike everywhere has one.
   */
  readonly #holdingsByKey = new Map<string, TagHolding>();
  /** The `images` table row of each shared image that has one, and the other way round. */
  readonly #rows = new WeakMap<NodeImage, number>();
  readonly #byRow = new Map<number, NodeImage>();
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
    let variants = this.#byId.get(image.id);
    let shared = variants?.find((v) => sameDescription(v, image));
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
      if (variants === undefined) {
        variants = [];
        this.#byId.set(shared.id, variants);
      }
      variants.push(shared);
      this.#count += 1;
      this.#baseOf.set(shared, shared);
    }
    // A frozen image is one the decoder and check share between nodes: worth remembering.
    if (image.containers.length > 0 || Object.isFrozen(image)) this.#baseOf.set(image, shared);
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
    this.setRow(shared, row);
    return shared;
  }

  rowOf(image: NodeImage): number | undefined {
    return this.#rows.get(this.base(image));
  }

  setRow(image: NodeImage, row: number): void {
    const shared = this.base(image);
    this.#rows.set(shared, row);
    this.#byRow.set(row, shared);
  }

  /** The shared image stored in `images` row `row`, while a node holds it. */
  imageOfRow(row: number): NodeImage | undefined {
    return this.#byRow.get(row);
  }

  /** The tags one image gives and what each holds, worked out once per distinct image. */
  holdings(image: NodeImage): ImageHoldings {
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
      holdings = Object.freeze(
        [...tagHolders(alone)].map(([tag, held]) => Object.freeze([tag, this.#sharedHolding(held)] as const)),
      );
      this.#holdings.set(shared, holdings);
    }
    return holdings;
  }

  #sharedHolding(held: TagHolding): TagHolding {
    const key = holdingKey(held);
    const known = this.#holdingsByKey.get(key);
    if (known !== undefined) return known;
    const shared = Object.freeze({ ...held, repoDigests: Object.freeze([...held.repoDigests]) });
    this.#holdingsByKey.set(key, shared);
    return shared;
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
    if (this.#count <= 2 * this.#liveAfterSweep + 1024) return;
    const kept = new Set<NodeImage>();
    for (const inventory of live) for (const image of inventory.images) kept.add(this.base(image));
    this.#byId.clear();
    for (const image of kept) {
      const variants = this.#byId.get(image.id);
      if (variants === undefined) this.#byId.set(image.id, [image]);
      else variants.push(image);
    }
    for (const [row, image] of this.#byRow) if (!kept.has(image)) this.#byRow.delete(row);
    const heldStill = new Set<string>();
    for (const image of kept) for (const [, held] of this.#holdings.get(image) ?? []) heldStill.add(holdingKey(held));
    for (const key of this.#holdingsByKey.keys()) if (!heldStill.has(key)) this.#holdingsByKey.delete(key);
    this.#count = kept.size;
    this.#liveAfterSweep = kept.size;
  }
}

function holdingKey(held: TagHolding): string {
  return `${held.digest ?? ""}\n${held.imageId}\n${held.repoDigests.join("\t")}`;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Same image, tags, digests, size and flags (containers aside). */
function sameDescription(a: NodeImage, b: NodeImage): boolean {
  return (
    a.size === b.size &&
    a.pinned === b.pinned &&
    a.sandbox === b.sandbox &&
    a.inUse === b.inUse &&
    sameList(a.repoTags, b.repoTags) &&
    sameList(a.repoDigests, b.repoDigests)
  );
}
