/**
 * Which tags a container "wants": the tags whose movement makes the container
 * out of date (`running-stale`) and that count as in use. The collector also
 * asks it which tags' findings a node's containers touch.
 */
import { hasRepoDigest, isImageId, parsedReference, parsedTag, type TagName } from "./image-names.js";
import type { ImageContainer, NodeImage, NodeInventory } from "./inventory.js";

const NOTHING: readonly TagName[] = Object.freeze([]);

/**
 * The tags a container wants, sorted by tag, first rule that gives an answer:
 * 1. its `image` field, when that is a reference with a tag (kubelet usually
 *    passes the image id instead). A reference with a digest pins the
 *    container: it wants no tag, whatever the tag does later;
 * 2. the tags its image still carries;
 * 3. the tags the node now holds in the repositories of the image's repo
 *    digests (the tag moved to another image and left this one digest-only).
 *    When the node holds several, the container is counted for each.
 * `heldTags` gives each tag the node holds (see heldTagsOf); it is asked only
 * when rule 3 applies. The common answers (one tag) are shared lists.
 */
export function wantedTags(
  container: ImageContainer,
  image: NodeImage,
  heldTags: () => ReadonlyMap<string, TagName>,
): readonly TagName[] {
  const asked = container.image === "" || isImageId(container.image) ? null : parsedReference(container.image);
  if (asked !== null) {
    if (asked.digest !== null) return NOTHING;
    const name = parsedTag(container.image);
    if (name !== null) return name.alone;
  }
  if (image.repoTags.length === 1) {
    const name = parsedTag(image.repoTags[0] ?? "");
    if (name !== null) return name.alone;
  }
  const tags = new Map<string, TagName>();
  for (const raw of image.repoTags) {
    const name = parsedTag(raw);
    if (name !== null) tags.set(name.tag, name);
  }
  if (tags.size === 0 && image.repoDigests.length > 0) {
    for (const [tag, name] of heldTags()) if (hasRepoDigest(image, name.repository)) tags.set(tag, name);
  }
  if (tags.size === 0) return NOTHING;
  return [...tags.values()].sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
}

/** Each tag the node holds, by tag. */
export function heldTagsOf(inventory: NodeInventory): Map<string, TagName> {
  const held = new Map<string, TagName>();
  for (const image of inventory.images) {
    for (const raw of image.repoTags) {
      const name = parsedTag(raw);
      if (name !== null) held.set(name.tag, name);
    }
  }
  return held;
}
