import { type NodeInventory, type TagHolding, tagOf, tryParseImageRef } from "@imagedrift/core";

/** The tag a container's `image` field asks for (null for an image id or a digest), parsed once per string. */
const askedTags = new Map<string, string | null>();

function askedTag(image: string): string | null {
  let tag = askedTags.get(image);
  if (tag === undefined) {
    const parsed = image.startsWith("sha256:") ? null : tryParseImageRef(image);
    tag = parsed && !parsed.digest ? tagOf(parsed) : null;
    if (askedTags.size >= 50_000) askedTags.clear();
    askedTags.set(image, tag);
  }
  return tag;
}

/**
 * The tags that containers on a node may want (core's wantedTags rules, taken
 * wide): the tag a container asked for, the tags its image holds, and, for an
 * image left without tags, the node's tags in the repositories of its repo
 * digests. Their tag-level findings name these containers, so they are
 * recomputed when the node's containers change. Naming a tag too many costs a
 * recompute, never a wrong finding.
 */
export function wantedTagsOf(
  inventory: NodeInventory | undefined,
  holders: ReadonlyMap<string, TagHolding>,
  holdingsOf: (image: NodeInventory["images"][number]) => readonly (readonly [string, TagHolding])[],
): Set<string> {
  const wanted = new Set<string>();
  if (inventory === undefined) return wanted;
  for (const image of inventory.images) {
    if (image.containers.length === 0) continue;
    for (const container of image.containers) {
      const tag = askedTag(container.image);
      if (tag !== null) wanted.add(tag);
    }
    const own = holdingsOf(image);
    for (const [tag] of own) wanted.add(tag);
    if (own.length > 0 || image.repoDigests.length === 0) continue;
    const repositories = new Set(image.repoDigests.map((d) => d.slice(0, d.indexOf("@"))));
    for (const tag of holders.keys()) if (repositories.has(tag.slice(0, tag.lastIndexOf(":")))) wanted.add(tag);
  }
  return wanted;
}
