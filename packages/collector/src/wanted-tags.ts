import { type NodeInventory, type TagHolding, tagOf, tryParseImageRef } from "@imagedrift/core";

/**
 * The tags that containers on a node may want (core's wantedTags rules, taken
 * wide): the tag a container asked for, the tags its image holds on the node,
 * and the node's tags in the repositories of the image's repo digests. Their
 * tag-level findings name these containers, so they are recomputed when the
 * node's containers change. Naming a tag too many costs a recompute, never a
 * wrong finding.
 */
export function wantedTagsOf(
  inventory: NodeInventory | undefined,
  holders: ReadonlyMap<string, TagHolding>,
): Set<string> {
  const wanted = new Set<string>();
  if (inventory === undefined) return wanted;
  for (const image of inventory.images) {
    if (image.containers.length === 0) continue;
    for (const container of image.containers) {
      const asked = tryParseImageRef(container.image);
      const tag = asked && !asked.digest ? tagOf(asked) : null;
      if (tag !== null) wanted.add(tag);
    }
    const repositories = new Set(image.repoDigests.map((d) => d.slice(0, d.indexOf("@"))));
    for (const [tag, held] of holders) {
      if (held.imageId === image.id || repositories.has(tag.slice(0, tag.lastIndexOf(":")))) wanted.add(tag);
    }
  }
  return wanted;
}
