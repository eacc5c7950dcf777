/**
 * The containers of each node with the tags they want (see wanted-tags.ts),
 * indexed once per inventory: used by the findings engine for `running-stale`
 * and to tell who uses a tag.
 */
import type { ClusterSnapshot, FindingPod } from "./drift-types.js";
import { compareText } from "./finding-text.js";
import { repoDigestsOf, type TagName } from "./image-names.js";
import type { ImageContainer, NodeImage, NodeInventory } from "./inventory.js";
import { shownDigest } from "./registry-match.js";
import { type TagHolding, tagHolders } from "./tag-view.js";
import { heldTagsOf, wantedTags } from "./wanted-tags.js";

/** A container together with the image it runs and the tags it wants. */
export interface ContainerUse {
  container: ImageContainer;
  image: NodeImage;
  /** The tags it wants (normalised `host/repo:tag`), sorted by tag. */
  wants: readonly TagName[];
  /** For each wanted tag, in the same order, the repo digests the image has for the tag's repository (sorted, maybe empty). */
  digests: readonly (readonly string[])[];
}

/** What the findings engine reads from one node's inventory, computed once per inventory object. */
export interface NodeIndex {
  uses: ContainerUse[];
  /** The uses that want each tag. */
  usesByTag: Map<string, ContainerUse[]>;
  /**
   * What the node holds under a tag its containers want (tagHolders, for
   * those tags alone: a node's 300 tags would cost 300 holdings per node),
   * worked out when first asked.
   */
  holderOf(tag: string): TagHolding | undefined;
}

/** The repo digests of the use's image for one tag it wants (sorted, maybe empty). */
export function digestsFor(use: ContainerUse, tag: string): readonly string[] {
  for (let i = 0; i < use.wants.length; i++) if (use.wants[i]?.tag === tag) return use.digests[i] ?? [];
  return [];
}

function describeUse(
  container: ImageContainer,
  image: NodeImage,
  heldTags: () => ReadonlyMap<string, TagName>,
): ContainerUse {
  const wants = wantedTags(container, image, heldTags);
  return { container, image, wants, digests: wants.map((name) => repoDigestsOf(image, name.repository)) };
}

/** Inventories are treated as immutable: the index of one inventory object is computed once. */
const cache = new WeakMap<NodeInventory, NodeIndex>();

/** The container uses of one node, cached per inventory object. */
export function nodeIndex(inventory: NodeInventory): NodeIndex {
  return indexNode(inventory, inventory.images);
}

/**
 * nodeIndex, given the inventory's images that have containers (in order)
 * when a pass over the images found them already; images without containers
 * add nothing to the index.
 */
export function indexNode(inventory: NodeInventory, images: readonly NodeImage[]): NodeIndex {
  const cached = cache.get(inventory);
  if (cached !== undefined) return cached;
  let held: Map<string, TagName> | undefined;
  const heldTags = (): Map<string, TagName> => {
    held ??= heldTagsOf(inventory);
    return held;
  };
  const uses: ContainerUse[] = [];
  const usesByTag = new Map<string, ContainerUse[]>();
  for (const image of images) {
    for (const container of image.containers) {
      const use = describeUse(container, image, heldTags);
      uses.push(use);
      for (const { tag } of use.wants) {
        const list = usesByTag.get(tag);
        if (list === undefined) usesByTag.set(tag, [use]);
        else list.push(use);
      }
    }
  }
  let holders: Map<string, TagHolding> | undefined;
  const holderOf = (tag: string) => {
    holders ??= tagHolders(inventory, usesByTag);
    return holders.get(tag);
  };
  const index = { uses, usesByTag, holderOf };
  cache.set(inventory, index);
  return index;
}

/** A container as a finding lists it; `digest` is its image's repo digest for the tag's repository. */
export function findingPod(node: string, container: ImageContainer, digest: string | null): FindingPod {
  return {
    node,
    namespace: container.namespace,
    pod: container.pod,
    container: container.container,
    containerId: container.id,
    digest,
  };
}

/** Orders pods by node, namespace, pod, container, container id. */
export function comparePods(a: FindingPod, b: FindingPod): number {
  return (
    compareText(a.node, b.node) ||
    compareText(a.namespace, b.namespace) ||
    compareText(a.pod, b.pod) ||
    compareText(a.container, b.container) ||
    compareText(a.containerId, b.containerId)
  );
}

/** A container that wants a tag; `active` unless it has exited. */
export interface TagUser {
  pod: FindingPod;
  active: boolean;
}

/** The uses that want one tag, with the node of each (parallel lists). */
interface TagUses {
  nodes: string[];
  uses: ContainerUse[];
}

/** Snapshots are treated as immutable: the uses of every node, by wanted tag, are gathered once per snapshot. */
const usesCache = new WeakMap<ClusterSnapshot, ReadonlyMap<string, TagUses>>();

function usesByTagOf(snapshot: ClusterSnapshot): ReadonlyMap<string, TagUses> {
  let byTag = usesCache.get(snapshot);
  if (byTag === undefined) {
    const gathered = new Map<string, TagUses>();
    for (const [node, inventory] of snapshot.inventories) {
      for (const [tag, uses] of nodeIndex(inventory).usesByTag) {
        let all = gathered.get(tag);
        if (all === undefined) {
          all = { nodes: [], uses: [] };
          gathered.set(tag, all);
        }
        for (const use of uses) {
          all.nodes.push(node);
          all.uses.push(use);
        }
      }
    }
    byTag = gathered;
    usesCache.set(snapshot, byTag);
  }
  return byTag;
}

function tagUser(node: string, use: ContainerUse, tag: string, snapshot: ClusterSnapshot): TagUser {
  const resolution = snapshot.resolutions.get(tag);
  const digest = shownDigest(digestsFor(use, tag), resolution?.state === "found" ? resolution.digest : null);
  return { pod: findingPod(node, use.container, digest), active: use.container.state !== "exited" };
}

/** The containers on `nodes` (any state) that want `tag`, sorted. */
export function tagUsers(tag: string, nodes: readonly string[], snapshot: ClusterSnapshot): TagUser[] {
  const all = usesByTagOf(snapshot).get(tag);
  if (all === undefined) return [];
  const users: TagUser[] = [];
  const listed = new Set(nodes);
  if (listed.size === nodes.length) {
    all.uses.forEach((use, i) => {
      const node = all.nodes[i] ?? "";
      if (listed.has(node)) users.push(tagUser(node, use, tag, snapshot));
    });
  } else {
    // A node listed twice counts twice.
    for (const node of nodes) {
      const inventory = snapshot.inventories.get(node);
      if (inventory === undefined) continue;
      for (const use of nodeIndex(inventory).usesByTag.get(tag) ?? []) users.push(tagUser(node, use, tag, snapshot));
    }
  }
  return users.sort((a, b) => comparePods(a.pod, b.pod));
}
