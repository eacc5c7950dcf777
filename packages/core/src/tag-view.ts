/**
 * Which digest of each tag every node holds, compared with the registry
 * (docs/ARCHITECTURE.md#digests-not-ids, #rest-api `GET /api/v1/tags`).
 *
 * A node's digest for a tag is the repo digest containerd recorded for the
 * tag's repository on the same image: the digest of what the tag pointed at
 * when pulled, the index digest for a multi-arch image. The image id is per
 * platform and is never used as a digest.
 */
import type { ClusterSnapshot, NodeTagStatus, TagResolution, TagView } from "./drift-types.js";
import { compareText } from "./finding-text.js";
import { parsedTag, repoDigestsOf } from "./image-names.js";
import type { NodeInventory } from "./inventory.js";
import { columnView, preferred, type TagColumn, tagColumns } from "./tag-columns.js";

export { columnView, type TagColumn } from "./tag-columns.js";

const EMPTY_COLUMN: TagColumn = { nodes: [], from: [], to: [], imageIds: [], candidates: [] };

/** What one node holds under one tag. */
export interface TagHolding {
  /** The repo digest recorded for the tag's repository on the image; null when there is none (local-only). */
  digest: string | null;
  imageId: string;
  /**
   * Every repo digest the image has for the tag's repository, sorted. More than
   * one when the same platform image was reached through several indexes (an
   * index re-pushed with new attestations, two tags): CRI cannot tell which one
   * the tag points at, so the comparison accepts any of them. Shared between
   * holdings (frozen).
   */
  repoDigests: readonly string[];
}

/** A holder as computeTagView takes it: the node plus what tagHolders found there. */
export interface TagHolderInput {
  node: string;
  digest: string | null;
  imageId: string;
  /** All candidate repo digests (see TagHolding); defaults to `[digest]`. */
  repoDigests?: readonly string[];
}

/**
 * For each normalised tag (`host/repo:tag`) the node holds, the digest recorded
 * for it; with `only`, for those tags alone. Tags that do not parse are
 * skipped. A runtime gives a tag to one image only; should an inventory list
 * it twice, the choice does not depend on order.
 */
export function tagHolders(inventory: NodeInventory, only?: { has(tag: string): boolean }): Map<string, TagHolding> {
  const holders = new Map<string, TagHolding>();
  for (const image of inventory.images) {
    for (const raw of image.repoTags) {
      const name = parsedTag(raw);
      if (name === null || (only !== undefined && !only.has(name.tag))) continue;
      const repoDigests = repoDigestsOf(image, name.repository);
      const holding: TagHolding = { digest: repoDigests[0] ?? null, imageId: image.id, repoDigests };
      const current = holders.get(name.tag);
      if (current === undefined || preferred(holding, current)) holders.set(name.tag, holding);
    }
  }
  return holders;
}

/**
 * A holder's candidate digests, sorted and distinct: its repo digests and its
 * digest. A TagColumn run's `candidates` for holders that keep TagHoldings.
 */
export function candidatesOf(holder: Pick<TagHolderInput, "digest" | "repoDigests">): readonly string[] {
  const listed = holder.repoDigests ?? [];
  if (listed.length === 0) return holder.digest === null ? [] : [holder.digest];
  if (listed.length === 1 && (holder.digest === null || holder.digest === listed[0])) return listed;
  const all = new Set(listed);
  if (holder.digest !== null) all.add(holder.digest);
  return [...all].sort();
}

/**
 * One tag across nodes. Node status: `current` when its digest is the
 * registry's, `stale` when the registry answered with another digest,
 * `unknown` without a digest or a registry answer. An unreachable registry
 * never makes anything stale. Holders are sorted by node (then image id).
 */
export function computeTagView(
  reference: string,
  holders: readonly TagHolderInput[],
  resolution: TagResolution | undefined,
): TagView {
  const column: TagColumn = {
    nodes: holders.map((h) => h.node),
    from: holders.map((_, i) => i),
    to: holders.map((_, i) => i + 1),
    imageIds: holders.map((h) => h.imageId),
    candidates: holders.map(candidatesOf),
  };
  return columnView(reference, column, resolution);
}

/** Every tag any node holds, sorted by reference, holders sorted by node. */
export function computeTagViews(snapshot: ClusterSnapshot): TagView[] {
  const columns = tagColumns(snapshot);
  return [...columns.keys()]
    .sort(compareText)
    .map((tag) => columnView(tag, columns.get(tag) ?? EMPTY_COLUMN, snapshot.resolutions.get(tag)));
}

/**
 * A tag without its per-node list (`GET /api/v1/tags?view=summary`): how many
 * nodes hold it, and how many hold each digest, most held first. On a large
 * cluster a tag's view is mostly its list of holders; its summary is a few
 * lines, which is what a table of every tag shows.
 */
export interface TagSummary extends Omit<TagView, "nodes"> {
  nodeCount: number;
  digests: { digest: string | null; nodes: number; status: NodeTagStatus }[];
}

export function summaryOfTag(view: TagView): TagSummary {
  const { nodes, ...tag } = view;
  const byDigest = new Map<string | null, TagSummary["digests"][number]>();
  for (const holder of nodes) {
    const entry = byDigest.get(holder.digest);
    if (entry === undefined) byDigest.set(holder.digest, { digest: holder.digest, nodes: 1, status: holder.status });
    else entry.nodes += 1;
  }
  const digests = [...byDigest.values()].sort(
    (a, b) => b.nodes - a.nodes || compareText(a.digest ?? "", b.digest ?? ""),
  );
  return { ...tag, nodeCount: nodes.length, digests };
}
