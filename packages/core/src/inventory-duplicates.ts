import type { NodeInventory } from "./inventory.js";

/**
 * What one inventory lists twice: an image id, a container id or a pod id
 * (each must be unique within a node's inventory; the store keys them so).
 * One problem a duplicate, `quote` rendering the id; empty when all are
 * unique. The collector checks this where an inventory is admitted; its
 * store checks the image ids again (imageDuplicates), the one rule its rows
 * rest on, so that no caller can store an inventory that breaks them.
 */
export function inventoryDuplicates(
  inventory: Pick<NodeInventory, "images" | "pods">,
  quote: (id: string) => string = JSON.stringify,
): string[] {
  const problems = imageDuplicates(inventory.images, quote);
  // Plain loops over one Set: this runs for every inventory of every agent.
  const seen = new Set<string>();
  for (const image of inventory.images) {
    for (const container of image.containers) {
      if (!seen.has(container.id)) seen.add(container.id);
      else problems.push(`container ${quote(container.id)} is listed twice`);
    }
  }
  seen.clear();
  for (const pod of inventory.pods) {
    if (!seen.has(pod.id)) seen.add(pod.id);
    else problems.push(`pod ${quote(pod.id)} is listed twice`);
  }
  return problems;
}

/** The image ids an inventory lists twice, one problem a duplicate (the first rule of inventoryDuplicates). */
export function imageDuplicates(
  images: NodeInventory["images"],
  quote: (id: string) => string = JSON.stringify,
): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const image of images) {
    if (!seen.has(image.id)) seen.add(image.id);
    else problems.push(`image ${quote(image.id)} is listed twice`);
  }
  return problems;
}
