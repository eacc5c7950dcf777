import type { TagHolding } from "@imagedrift/core";

/** Tags whose holding changed between two inventories of a node (added, removed, or a new digest or image), sorted. */
export function changedTags(before: ReadonlyMap<string, TagHolding>, after: ReadonlyMap<string, TagHolding>): string[] {
  const changed: string[] = [];
  for (const [tag, held] of after) {
    const old = before.get(tag);
    if (old === undefined || old.digest !== held.digest || old.imageId !== held.imageId) changed.push(tag);
  }
  for (const tag of before.keys()) if (!after.has(tag)) changed.push(tag);
  return changed.sort();
}
