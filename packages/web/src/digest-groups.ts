/**
 * One row of the matrix: which node holds which digest of a tag, and the
 * digests grouped so that the same digest gets the same colour and marker.
 * Pure: data in, model out.
 */
import type { TagHolder, TagView } from "./api-types.js";

export interface DigestGroup {
  /** The digest, or `image:<id>` for an image held by tag only (no repo digest). */
  key: string;
  /**
   * Position in the row, and so its letter: 0 (A) is only ever the
   * registry's digest (or its image for a node's platform); the others
   * follow from 1 (B), most held first, also when no node holds the
   * registry's digest or the registry has none.
   */
  index: number;
  digest: string | null;
  nodes: string[];
  matchesRegistry: boolean;
}

export interface RowModel {
  tag: TagView;
  holders: ReadonlyMap<string, TagHolder>;
  groups: readonly DigestGroup[];
  groupOfNode: ReadonlyMap<string, DigestGroup>;
}

const groupKey = (holder: TagHolder) => holder.digest ?? `image:${holder.imageId}`;

export function buildRow(tag: TagView): RowModel {
  const holders = new Map<string, TagHolder>();
  const byKey = new Map<string, DigestGroup>();
  for (const holder of tag.nodes) {
    holders.set(holder.node, holder);
    const key = groupKey(holder);
    let group = byKey.get(key);
    if (!group) {
      group = {
        key,
        index: 0,
        digest: holder.digest,
        nodes: [],
        matchesRegistry:
          holder.platformMatch === true || (holder.digest !== null && holder.digest === tag.registryDigest),
      };
      byKey.set(key, group);
    }
    group.nodes.push(holder.node);
  }
  const firstSeen = [...byKey.keys()];
  const groups = [...byKey.values()].sort(
    (a, b) =>
      Number(b.matchesRegistry) - Number(a.matchesRegistry) ||
      b.nodes.length - a.nodes.length ||
      firstSeen.indexOf(a.key) - firstSeen.indexOf(b.key),
  );
  const offset = groups[0]?.matchesRegistry ? 0 : 1;
  groups.forEach((group, index) => {
    group.index = index + offset;
  });
  const groupOfNode = new Map<string, DigestGroup>();
  for (const group of groups) for (const node of group.nodes) groupOfNode.set(node, group);
  return { tag, holders, groups, groupOfNode };
}

/** Rows are built when first drawn and kept while the tag object lives (until a poll brings a changed list). */
export function createRowCache(): (tag: TagView) => RowModel {
  const cache = new WeakMap<TagView, RowModel>();
  return (tag) => {
    let row = cache.get(tag);
    if (!row) {
      row = buildRow(tag);
      cache.set(tag, row);
    }
    return row;
  };
}
