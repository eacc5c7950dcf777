import { isSharedImage, type NodeImage, type NodeInventory, type TagHolding, tagHolders } from "@imagedrift/core";

/** The tags one image gives and what each holds. */
export type ImageHoldings = readonly (readonly [string, TagHolding])[];

/** A shared image, with its `images` table row once it has one and the tags it gives once asked. */
export interface SharedImage {
  readonly image: NodeImage;
  row: number | undefined;
  holdings: ImageHoldings | undefined;
}

/**
 * One object per distinct image description (id, tags, digests, size, flags)
 * however many nodes hold it: 5,000 nodes sharing 300 images keep about 300
 * image objects in memory instead of 1.5 million, and the tags each image
 * gives (reference parsing) are worked out once per image, not once per node.
 *
 * Shared images have no containers and are frozen. An image with containers
 * stays a per-node object over its shared twin (`shared`).
 */
export class ImageInterner {
  /** The shared images of each image id (one per distinct description; usually one). */
  readonly #byId = new Map<string, SharedImage[]>();
  #count = 0;
  /**
   * Every shared image → its entry, and every other image the interner was
   * given that is worth remembering (one with containers, a frozen one from the
   * decoder) → its shared twin's: one lookup finds the twin, its row and its tags.
   */
  readonly #sharedOf = new WeakMap<NodeImage, SharedImage>();
  /**
   * One holding object per distinct holding (digest, image id, repo digests):
   * two images that differ only in flags (in use on one node, idle on another)
   * give their tags the same holding, so a tag held alike everywhere has one.
   */
  readonly #holdingsByKey = new Map<string, TagHolding>();
  /** The shared image stored in each `images` row. */
  readonly #byRow = new Map<number, SharedImage>();
  /** Live distinct images after the last sweep: the map is swept once it grows well past that. */
  #liveAfterSweep = 0;

  static key(image: NodeImage): string {
    const flags = `${+image.pinned}${+image.sandbox}${+image.inUse}`;
    return `${image.id}\n${image.size}\n${flags}\n${image.repoTags.join("\t")}\n${image.repoDigests.join("\t")}`;
  }

  /** The shared twin of an image (the image itself when it is shared), with what is known of it. */
  shared(image: NodeImage): SharedImage {
    const known = this.#sharedOf.get(image);
    if (known !== undefined) return known;
    let variants = this.#byId.get(image.id);
    let shared = variants?.find((v) => sameDescription(v.image, image));
    if (shared === undefined) {
      const twin = Object.freeze({
        id: image.id,
        repoTags: Object.freeze([...image.repoTags]) as string[],
        repoDigests: Object.freeze([...image.repoDigests]) as string[],
        size: image.size,
        pinned: image.pinned,
        sandbox: image.sandbox,
        inUse: image.inUse,
        containers: Object.freeze([]) as unknown as NodeImage["containers"],
      });
      shared = { image: twin, row: undefined, holdings: undefined };
      if (variants === undefined) {
        variants = [];
        this.#byId.set(twin.id, variants);
      }
      variants.push(shared);
      this.#count += 1;
      this.#sharedOf.set(twin, shared);
    }
    // A shared image arrives as the same object from other nodes: worth remembering.
    if (image.containers.length > 0 || isSharedImage(image)) this.#sharedOf.set(image, shared);
    return shared;
  }

  /** The image as the collector keeps it: the shared twin, or a per-node object over it when it has containers. */
  intern(image: NodeImage, shared = this.shared(image)): NodeImage {
    if (image.containers.length === 0) return shared.image;
    const own: NodeImage = { ...shared.image, containers: image.containers };
    this.#sharedOf.set(own, shared);
    return own;
  }

  /** A shared image loaded from its `images` row. */
  adopt(row: number, image: NodeImage): NodeImage {
    const shared = this.shared(image);
    this.setRow(shared, row);
    return shared.image;
  }

  setRow(shared: SharedImage, row: number): void {
    shared.row = row;
    this.#byRow.set(row, shared);
  }

  /** The shared image stored in `images` row `row`, while a node holds it. */
  imageOfRow(row: number): NodeImage | undefined {
    return this.#byRow.get(row)?.image;
  }

  /** The tags one image gives and what each holds, worked out once per distinct image. */
  holdings(image: NodeImage | SharedImage): ImageHoldings {
    const shared = "image" in image ? image : this.shared(image);
    if (shared.holdings === undefined) {
      const alone: NodeInventory = {
        node: "",
        runtime: { name: "", version: "", apiVersion: "" },
        scannedAt: "",
        images: [shared.image],
        pods: [],
        imageFs: { mountpoint: "", usedBytes: 0, inodesUsed: null },
      };
      shared.holdings = Object.freeze(
        [...tagHolders(alone)].map(([tag, held]) => Object.freeze([tag, this.#sharedHolding(held)] as const)),
      );
    }
    return shared.holdings;
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
   * per-image holdings (`shared`: the inventory's images' entries, when known).
   * A tag on two images of one node (which a runtime does not do) is left to
   * tagHolders itself, so the choice stays the same.
   */
  holders(inventory: NodeInventory, shared?: readonly SharedImage[]): Map<string, TagHolding> {
    const result = new Map<string, TagHolding>();
    const images = inventory.images;
    for (let i = 0; i < images.length; i++) {
      for (const [tag, held] of this.holdings(shared?.[i] ?? (images[i] as NodeImage))) {
        if (result.has(tag)) return tagHolders(inventory);
        result.set(tag, held);
      }
    }
    return result;
  }

  /** Forgets images no node holds any more, once there are twice as many as after the last sweep. */
  sweep(live: Iterable<NodeInventory>): void {
    if (this.#count <= 2 * this.#liveAfterSweep + 1024) return;
    const kept = new Set<SharedImage>();
    for (const inventory of live) for (const image of inventory.images) kept.add(this.shared(image));
    this.#byId.clear();
    for (const shared of kept) {
      const variants = this.#byId.get(shared.image.id);
      if (variants === undefined) this.#byId.set(shared.image.id, [shared]);
      else variants.push(shared);
    }
    for (const [row, shared] of this.#byRow) if (!kept.has(shared)) this.#byRow.delete(row);
    const heldStill = new Set<string>();
    for (const shared of kept) for (const [, held] of shared.holdings ?? []) heldStill.add(holdingKey(held));
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
