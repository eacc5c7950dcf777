/**
 * Which tag each container on a node "wants": the tag whose movement makes
 * the container out of date. Used by the findings engine for `running-stale`
 * and to tell whether a tag is in use.
 */
import type { ClusterSnapshot, FindingPod } from "./drift-types.js";
import { compareText } from "./finding-text.js";
import { hasRepoDigest, isImageId, parsedReference, parsedTag, repoDigestsOf } from "./image-names.js";
import { repositoryOf, tagOf } from "./image-ref.js";
import type { ImageContainer, NodeImage, NodeInventory } from "./inventory.js";

/** A container together with the image it runs and the tags it wants. */
export interface ContainerUse {
  container: ImageContainer;
  image: NodeImage;
  /** Normalised `host/repo:tag`, sorted. */
  tags: string[];
  /** For each wanted tag, the repo digests the image has for the tag's repository (sorted, maybe empty). */
  digests: ReadonlyMap<string, readonly string[]>;
}

/** What the findings engine reads from one node's inventory, computed once per inventory object. */
export interface NodeIndex {
  uses: ContainerUse[];
  /** The uses that want each tag. */
  usesByTag: Map<string, ContainerUse[]>;
}

/** Wanted tags, by tag, with the repository of each. */
type Wanted = Map<string, string>;

/**
 * The tags a container wants, first rule that gives an answer:
 * 1. its `image` field, when that is a reference with a tag (kubelet usually
 *    passes the image id instead). A reference with a digest pins the
 *    container: it wants no tag, whatever the tag does later;
 * 2. the tags its image still carries;
 * 3. the tags the node now holds in the repositories of the image's repo
 *    digests (the tag moved to another image and left this one digest-only).
 *    When the node holds several, the container is counted for each.
 * `heldTags` maps each tag the node holds to its repository.
 */
export function wantedTags(container: ImageContainer, image: NodeImage, heldTags: ReadonlyMap<string, string>): Wanted {
  return wanted(container, image, () => heldTags);
}

/** wantedTags, asking for the node's held tags only when rule 3 needs them. */
function wanted(container: ImageContainer, image: NodeImage, heldTags: () => ReadonlyMap<string, string>): Wanted {
  const asked = container.image === "" || isImageId(container.image) ? null : parsedReference(container.image);
  if (asked !== null) {
    if (asked.digest !== null) return new Map();
    const tag = tagOf(asked);
    if (tag !== null) return new Map([[tag, repositoryOf(asked)]]);
  }
  const tags: Wanted = new Map();
  for (const raw of image.repoTags) {
    const name = parsedTag(raw);
    if (name !== null) tags.set(name.tag, name.repository);
  }
  if (tags.size > 0 || image.repoDigests.length === 0) return tags;
  for (const [tag, repository] of heldTags()) if (hasRepoDigest(image, repository)) tags.set(tag, repository);
  return tags;
}

/** Each tag the node holds, with its repository. */
function heldTagsOf(inventory: NodeInventory): Map<string, string> {
  const held = new Map<string, string>();
  for (const image of inventory.images) {
    for (const raw of image.repoTags) {
      const name = parsedTag(raw);
      if (name !== null) held.set(name.tag, name.repository);
    }
  }
  return held;
}

function describeUse(
  container: ImageContainer,
  image: NodeImage,
  heldTags: () => ReadonlyMap<string, string>,
): ContainerUse {
  const tags = wanted(container, image, heldTags);
  const digests = new Map<string, readonly string[]>();
  for (const [tag, repository] of tags) digests.set(tag, repoDigestsOf(image, repository));
  return { container, image, tags: [...tags.keys()].sort(compareText), digests };
}

/** Inventories are treated as immutable: the index of one inventory object is computed once. */
const cache = new WeakMap<NodeInventory, NodeIndex>();

/** The container uses of one node, cached per inventory object. */
export function nodeIndex(inventory: NodeInventory): NodeIndex {
  const cached = cache.get(inventory);
  if (cached !== undefined) return cached;
  let held: Map<string, string> | undefined;
  const heldTags = (): Map<string, string> => {
    held ??= heldTagsOf(inventory);
    return held;
  };
  const uses: ContainerUse[] = [];
  const usesByTag = new Map<string, ContainerUse[]>();
  for (const image of inventory.images) {
    for (const container of image.containers) {
      const use = describeUse(container, image, heldTags);
      uses.push(use);
      for (const tag of use.tags) {
        const list = usesByTag.get(tag);
        if (list === undefined) usesByTag.set(tag, [use]);
        else list.push(use);
      }
    }
  }
  const index = { uses, usesByTag };
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

/** The containers on `nodes` (any state) that want `tag`, sorted. */
export function tagUsers(tag: string, nodes: readonly string[], snapshot: ClusterSnapshot): TagUser[] {
  const users: TagUser[] = [];
  for (const node of nodes) {
    const inventory = snapshot.inventories.get(node);
    if (inventory === undefined) continue;
    for (const use of nodeIndex(inventory).usesByTag.get(tag) ?? []) {
      const digest = use.digests.get(tag)?.[0] ?? null;
      users.push({ pod: findingPod(node, use.container, digest), active: use.container.state !== "exited" });
    }
  }
  return users.sort((a, b) => comparePods(a.pod, b.pod));
}
