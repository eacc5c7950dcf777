/**
 * Which tags the pods of each namespace use, from the nodes' images and their
 * containers (`GET /api/v1/nodes/{name}/images`). A container's image is found
 * by tag (`repoTags`) or, when the tag has moved on (the image is dangling on
 * that node), by the repo digest the node recorded for the tag. Pure.
 */
import type { NodeImageItem, TagView } from "./api-types.js";

export interface NamespaceIndex {
  namespaces: string[];
  tagsByNamespace: ReadonlyMap<string, ReadonlySet<string>>;
}

/** `host/repo:tag` → `host/repo` (the tag is after the last colon that follows the last slash). */
export function repositoryOf(reference: string): string {
  const colon = reference.lastIndexOf(":");
  return colon > reference.lastIndexOf("/") ? reference.slice(0, colon) : reference;
}

export function buildNamespaceIndex(
  imagesByNode: ReadonlyMap<string, readonly NodeImageItem[]>,
  tags: readonly TagView[],
): NamespaceIndex {
  const known = new Set(tags.map((t) => t.reference));
  const byDigest = new Map<string, Set<string>>();
  for (const tag of tags) {
    for (const holder of tag.nodes) {
      if (!holder.digest) continue;
      const key = `${holder.node} ${repositoryOf(tag.reference)}@${holder.digest}`;
      byDigest.set(key, (byDigest.get(key) ?? new Set()).add(tag.reference));
    }
  }
  const tagsByNamespace = new Map<string, Set<string>>();
  for (const [node, images] of imagesByNode) {
    for (const image of images) {
      const refs = new Set(image.repoTags.filter((t) => known.has(t)));
      for (const repoDigest of image.repoDigests) {
        for (const ref of byDigest.get(`${node} ${repoDigest}`) ?? []) refs.add(ref);
      }
      for (const container of image.containers) {
        if (!container.namespace) continue;
        const set = tagsByNamespace.get(container.namespace) ?? new Set<string>();
        for (const ref of refs) set.add(ref);
        tagsByNamespace.set(container.namespace, set);
      }
    }
  }
  return { namespaces: [...tagsByNamespace.keys()].sort(), tagsByNamespace };
}
