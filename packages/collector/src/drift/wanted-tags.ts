import { heldTagsOf, type NodeInventory, wantedTags } from "@imagedrift/core";

/**
 * The tags the node's containers want (core's wantedTags, any container
 * state): their tag-level findings name these containers, so they are
 * recomputed when the node's containers change.
 */
export function wantedTagsOf(inventory: NodeInventory | undefined): Set<string> {
  const wanted = new Set<string>();
  if (inventory === undefined) return wanted;
  let held: ReturnType<typeof heldTagsOf> | undefined;
  const heldTags = () => {
    held ??= heldTagsOf(inventory);
    return held;
  };
  for (const image of inventory.images) {
    for (const container of image.containers) {
      for (const name of wantedTags(container, image, heldTags)) wanted.add(name.tag);
    }
  }
  return wanted;
}
