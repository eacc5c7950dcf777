/**
 * Which tag each container on a node "wants": the tag whose movement makes
 * the container out of date. Used by the findings engine for `running-stale`
 * and to tell whether a tag is in use.
 */
import { parseRepoDigest, repositoryOf, tagOf, tryParseImageRef } from "./image-ref.js";
import type { ImageContainer, NodeImage, NodeInventory } from "./inventory.js";
import type { ClusterSnapshot, FindingPod } from "./drift-types.js";
import { compareText } from "./finding-text.js";
import { repoDigestsFor, type TagHolding, tagHolders } from "./tag-view.js";

/** A container together with the image it runs and the tags it wants. */
export interface ContainerUse {
  container: ImageContainer;
  image: NodeImage;
  /** Normalised `host/repo:tag`, sorted. */
  tags: string[];
}

/** What the findings engine reads from one node's inventory, computed once per inventory object. */
export interface NodeIndex {
  holders: Map<string, TagHolding>;
  uses: ContainerUse[];
}

/** `host/repository` of a normalised tag; null when it does not parse. */
export function repositoryOfTag(tag: string): string | null {
  const ref = tryParseImageRef(tag);
  return ref === null ? null : repositoryOf(ref);
}

function normalisedTags(references: readonly string[]): string[] {
  const tags = new Set<string>();
  for (const raw of references) {
    const ref = tryParseImageRef(raw);
    const tag = ref !== null && ref.digest === null ? tagOf(ref) : null;
    if (tag !== null) tags.add(tag);
  }
  return [...tags].sort();
}

/**
 * The tags a container wants, first rule that gives an answer:
 * 1. its `image` field, when that is a reference with a tag (kubelet usually
 *    passes the image id instead). A reference with a digest pins the
 *    container: it wants no tag, whatever the tag does later;
 * 2. the tags its image still carries;
 * 3. the tags the node now holds in the repositories of the image's repo
 *    digests (the tag moved to another image and left this one digest-only).
 */
export function wantedTags(
  container: ImageContainer,
  image: NodeImage,
  holders: ReadonlyMap<string, TagHolding>,
): string[] {
  const asked = tryParseImageRef(container.image);
  if (asked !== null) {
    if (asked.digest !== null) return [];
    const tag = tagOf(asked);
    if (tag !== null) return [tag];
  }
  const carried = normalisedTags(image.repoTags);
  if (carried.length > 0) return carried;
  const repositories = new Set(image.repoDigests.flatMap((d) => parseRepoDigest(d)?.repository ?? []));
  return [...holders.keys()].filter((tag) => repositories.has(repositoryOfTag(tag) ?? "")).sort();
}

/** Inventories are treated as immutable: the index of one inventory object is computed once. */
const cache = new WeakMap<NodeInventory, NodeIndex>();

/** Tag holders and container uses of one node, cached per inventory object. */
export function nodeIndex(inventory: NodeInventory): NodeIndex {
  const cached = cache.get(inventory);
  if (cached !== undefined) return cached;
  const holders = tagHolders(inventory);
  const uses = inventory.images.flatMap((image) =>
    image.containers.map((container) => ({ container, image, tags: wantedTags(container, image, holders) })),
  );
  const index = { holders, uses };
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
  const repository = repositoryOfTag(tag) ?? "";
  const users: TagUser[] = [];
  for (const node of nodes) {
    const inventory = snapshot.inventories.get(node);
    if (inventory === undefined) continue;
    for (const use of nodeIndex(inventory).uses) {
      if (!use.tags.includes(tag)) continue;
      const digest = repoDigestsFor(use.image, repository)[0] ?? null;
      users.push({ pod: findingPod(node, use.container, digest), active: use.container.state !== "exited" });
    }
  }
  return users.sort((a, b) => comparePods(a.pod, b.pod));
}
