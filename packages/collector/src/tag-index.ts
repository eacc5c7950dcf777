import {
  computeTagView,
  type TagHolderInput,
  type TagHolding,
  type TagResolution,
  type TagView,
} from "@imagedrift/core";

/**
 * Which node holds what under each tag, kept current one node's changed tags
 * at a time, so that a tag's view is built from its own holders instead of a
 * pass over every node's inventory.
 */
export class TagIndex {
  readonly #byTag = new Map<string, Map<string, TagHolding>>();
  #sorted: string[] | undefined;

  /** Applies a node's new holders for the tags that changed on it. */
  update(node: string, holders: ReadonlyMap<string, TagHolding>, changedTags: Iterable<string>): void {
    for (const tag of changedTags) {
      const held = holders.get(tag);
      let nodes = this.#byTag.get(tag);
      if (held === undefined) {
        nodes?.delete(node);
        if (nodes?.size === 0) {
          this.#byTag.delete(tag);
          this.#sorted = undefined;
        }
        continue;
      }
      if (nodes === undefined) {
        nodes = new Map();
        this.#byTag.set(tag, nodes);
        this.#sorted = undefined;
      }
      nodes.set(node, held);
    }
  }

  /** Every tag some node holds, sorted. */
  tags(): readonly string[] {
    this.#sorted ??= [...this.#byTag.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return this.#sorted;
  }

  has(tag: string): boolean {
    return this.#byTag.has(tag);
  }

  /** The nodes holding the tag. */
  nodes(tag: string): IterableIterator<string> {
    return (this.#byTag.get(tag) ?? new Map<string, TagHolding>()).keys();
  }

  /** The tag across nodes (GET /api/v1/tags), computed now; null when no node holds it. */
  view(tag: string, resolution: TagResolution | undefined): TagView | null {
    const nodes = this.#byTag.get(tag);
    if (nodes === undefined) return null;
    const holders: TagHolderInput[] = [];
    for (const [node, held] of nodes) {
      holders.push({ node, digest: held.digest, imageId: held.imageId, repoDigests: held.repoDigests });
    }
    return computeTagView(tag, holders, resolution);
  }
}
