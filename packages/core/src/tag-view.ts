/**
 * Which digest of each tag every node holds, compared with the registry
 * (SPEC §5 "Compare like with like", §7 `GET /api/v1/tags`).
 *
 * A node's digest for a tag is the repo digest containerd recorded for the
 * tag's repository on the same image: the digest of what the tag pointed at
 * when pulled, the index digest for a multi-arch image. The image id is per
 * platform and is never used as a digest.
 */
import type { ClusterSnapshot, NodeTagStatus, TagHolder, TagResolution, TagStatus, TagView } from "./drift-types.js";
import { compareText } from "./finding-text.js";
import { imageNames } from "./image-names.js";
import type { NodeInventory } from "./inventory.js";

/** What one node holds under one tag. */
export interface TagHolding {
  /** The repo digest recorded for the tag's repository on the image; null when there is none (local-only). */
  digest: string | null;
  imageId: string;
  /**
   * Every repo digest the image has for the tag's repository, sorted. More than
   * one when the same platform image was reached through several indexes (an
   * index re-pushed with new attestations, two tags): CRI cannot tell which one
   * the tag points at, so the comparison accepts any of them.
   */
  repoDigests: string[];
}

/** A holder as computeTagView takes it: the node plus what tagHolders found there. */
export interface TagHolderInput {
  node: string;
  digest: string | null;
  imageId: string;
  /** All candidate repo digests (see TagHolding); defaults to `[digest]`. */
  repoDigests?: readonly string[];
}

/** For a tag listed on two images: prefer the one with a repo digest, then the smaller image id. */
function preferred(candidate: TagHolding, current: TagHolding): boolean {
  if ((candidate.digest === null) !== (current.digest === null)) return candidate.digest !== null;
  return candidate.imageId < current.imageId;
}

/**
 * For each normalised tag (`host/repo:tag`) the node holds, the digest recorded
 * for it. Tags that do not parse are skipped. A runtime gives a tag to one image
 * only; should an inventory list it twice, the choice does not depend on order.
 */
export function tagHolders(inventory: NodeInventory): Map<string, TagHolding> {
  const holders = new Map<string, TagHolding>();
  for (const image of inventory.images) {
    const names = imageNames(image);
    for (const [tag, repository] of names.tags) {
      const repoDigests = [...(names.digests.get(repository) ?? [])];
      const holding: TagHolding = { digest: repoDigests[0] ?? null, imageId: image.id, repoDigests };
      const current = holders.get(tag);
      if (current === undefined || preferred(holding, current)) holders.set(tag, holding);
    }
  }
  return holders;
}

/** Inventories are treated as immutable: the holders of one inventory object are computed once. */
const holdersCache = new WeakMap<NodeInventory, ReadonlyMap<string, TagHolding>>();

/** tagHolders, computed once per inventory object; the result is shared and must not be changed. */
export function cachedTagHolders(inventory: NodeInventory): ReadonlyMap<string, TagHolding> {
  let holders: ReadonlyMap<string, TagHolding> | undefined = holdersCache.get(inventory);
  if (holders === undefined) {
    holders = tagHolders(inventory);
    holdersCache.set(inventory, holders);
  }
  return holders;
}

function candidatesOf(holder: TagHolderInput): readonly string[] {
  const listed = holder.repoDigests ?? [];
  if (listed.length === 0) return holder.digest === null ? [] : [holder.digest];
  if (listed.length === 1 && (holder.digest === null || holder.digest === listed[0])) return listed;
  const all = new Set(listed);
  if (holder.digest !== null) all.add(holder.digest);
  return [...all].sort();
}

/**
 * The one digest to show per holder. With several candidates, the registry's
 * digest when among them, else the candidate most holders share (then the
 * smallest), so the same image reached through two indexes is not reported
 * as inconsistent.
 */
function chooseDigests(holders: readonly TagHolderInput[], registryDigest: string | null): (string | null)[] {
  const candidates = holders.map(candidatesOf);
  if (candidates.every((list) => list.length <= 1)) return candidates.map((list) => list[0] ?? null);
  const votes = new Map<string, number>();
  for (const list of candidates) for (const d of list) votes.set(d, (votes.get(d) ?? 0) + 1);
  return candidates.map((list) => {
    if (registryDigest !== null && list.includes(registryDigest)) return registryDigest;
    let best: string | null = null;
    for (const d of list) if (best === null || (votes.get(d) ?? 0) > (votes.get(best) ?? 0)) best = d;
    return best;
  });
}

function tagStatus(holders: readonly TagHolder[], resolution: TagResolution | undefined): TagStatus {
  if (holders.length > 0 && holders.every((h) => h.digest === null)) return "local-only";
  if (resolution?.state === "not-found") return "missing-in-registry";
  if (new Set(holders.flatMap((h) => (h.digest === null ? [] : [h.digest]))).size > 1) return "inconsistent";
  if (resolution?.state !== "found") return "unresolved";
  if (holders.some((h) => h.status === "stale")) return "stale";
  return "current";
}

/**
 * One tag across nodes. Node status: `current` when its digest is the
 * registry's, `stale` when the registry answered with another digest,
 * `unknown` without a digest or a registry answer. An unreachable registry
 * never makes anything stale.
 */
export function computeTagView(
  reference: string,
  holders: readonly TagHolderInput[],
  resolution: TagResolution | undefined,
): TagView {
  const registryDigest = resolution?.state === "found" ? resolution.digest : null;
  const digests = chooseDigests(holders, registryDigest);
  const nodes = holders
    .map((holder, i): TagHolder => {
      const digest = digests[i] ?? null;
      let status: NodeTagStatus = "unknown";
      if (digest !== null && registryDigest !== null) status = digest === registryDigest ? "current" : "stale";
      return { node: holder.node, digest, imageId: holder.imageId, status };
    })
    .sort((a, b) => compareText(a.node, b.node) || compareText(a.imageId, b.imageId));
  return {
    reference,
    registryDigest,
    resolvedAt: resolution !== undefined && resolution.state !== "pending" ? resolution.resolvedAt : null,
    resolveError: resolution?.state === "error" ? resolution.error : null,
    status: tagStatus(nodes, resolution),
    nodes,
  };
}

/** Every tag any node holds, sorted by reference, holders sorted by node. */
export function computeTagViews(snapshot: ClusterSnapshot): TagView[] {
  const byTag = new Map<string, TagHolderInput[]>();
  for (const [node, inventory] of snapshot.inventories) {
    for (const [tag, holding] of cachedTagHolders(inventory)) {
      const list = byTag.get(tag) ?? [];
      list.push({ node, ...holding });
      byTag.set(tag, list);
    }
  }
  return [...byTag.keys()]
    .sort(compareText)
    .map((tag) => computeTagView(tag, byTag.get(tag) ?? [], snapshot.resolutions.get(tag)));
}
