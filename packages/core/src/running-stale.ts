/**
 * `running-stale` (docs/ARCHITECTURE.md#findings): a container runs an image that is no longer what
 * its tag points at, on its node or in the registry; the pod needs a restart.
 *
 * A container is stale for a tag it wants (see wantedTags) when:
 * - the registry answered with a digest and the image the container runs has
 *   repo digests for the tag's repository, none of them the registry's, and
 *   is not the registry's image for its platform (see registryMatch); or
 * - otherwise (registry unresolved, 404, or an image without repo digest):
 *   the node now holds the tag on another image (the tag moved on the node).
 * When the registry confirms the running digest, a tag that moved on the node
 * does not make the container stale: the node's cache is what is out of date
 * (a `stale-tag`), and restarting the pod there would make things worse.
 * Exited containers are left out: they run nothing.
 */
import { comparePods, findingPod, nodeIndex } from "./container-tags.js";
import type { ClusterSnapshot, FindingDraft, FindingPod } from "./drift-types.js";
import { compareText, countOf, familiarRef, listOf, sortedUnique } from "./finding-text.js";
import type { NodeInventory } from "./inventory.js";
import { registryMatch, shownDigest } from "./registry-match.js";
import { SHORT_DIGEST_HEX, shortDigest } from "./short-digest.js";

function registryDigestOf(reference: string, snapshot: ClusterSnapshot): string | null {
  const resolution = snapshot.resolutions.get(reference);
  return resolution?.state === "found" ? resolution.digest : null;
}

/** The running-stale containers of one node, by the tag they want (tags sorted, pods sorted). */
export function runningStaleOnNode(node: string, snapshot: ClusterSnapshot): Map<string, FindingPod[]> {
  const byTag = new Map<string, FindingPod[]>();
  const inventory = snapshot.inventories.get(node);
  if (inventory === undefined) return byTag;
  for (const use of nodeIndex(inventory).uses) {
    if (use.container.state === "exited") continue;
    for (let i = 0; i < use.wants.length; i++) {
      const tag = use.wants[i]?.tag ?? "";
      const imageDigests = use.digests[i] ?? [];
      const match = registryMatch({ candidates: imageDigests, imageId: use.image.id }, snapshot.resolutions.get(tag));
      const stale = match === "unknown" ? movedOn(inventory, tag, use.image.id) : match === "differs";
      if (!stale) continue;
      const pods = byTag.get(tag);
      const pod = findingPod(node, use.container, shownDigest(imageDigests, registryDigestOf(tag, snapshot)));
      if (pods === undefined) byTag.set(tag, [pod]);
      else pods.push(pod);
    }
  }
  if (byTag.size === 0) return byTag;
  for (const pods of byTag.values()) pods.sort(comparePods);
  return new Map([...byTag].sort(([a], [b]) => compareText(a, b)));
}

/** Whether the node now holds the tag on another image than `imageId`. */
function movedOn(inventory: NodeInventory, tag: string, imageId: string): boolean {
  const holder = nodeIndex(inventory).holderOf(tag);
  return holder !== undefined && holder.imageId !== imageId;
}

function describeDigest(digest: string | null): string {
  return digest === null ? "an image without repo digest" : shortDigest(digest);
}

function describePod(pod: FindingPod, now: string | null): string {
  const who =
    pod.pod !== ""
      ? `${pod.namespace}/${pod.pod} (${pod.container})`
      : `container ${pod.containerId.slice(0, SHORT_DIGEST_HEX)}`;
  return `${who} on ${pod.node} runs ${describeDigest(pod.digest)}, the tag now points at ${describeDigest(now)}`;
}

function appendTo(lists: Map<string, string[]>, key: string, value: string): void {
  const list = lists.get(key);
  if (list === undefined) lists.set(key, [value]);
  else list.push(value);
}

/** `kubectl -n ns delete pod a b` per namespace; containers outside any pod are stopped on their node. */
export function restartCommand(pods: readonly FindingPod[]): string {
  const byNamespace = new Map<string, string[]>();
  const unnamedByNode = new Map<string, string[]>();
  for (const pod of pods) {
    if (pod.pod !== "" && pod.namespace !== "") appendTo(byNamespace, pod.namespace, pod.pod);
    else appendTo(unnamedByNode, pod.node, pod.containerId);
  }
  const commands = [...byNamespace]
    .sort(([a], [b]) => compareText(a, b))
    .map(([namespace, names]) => `kubectl -n ${namespace} delete pod ${sortedUnique(names).join(" ")}`);
  for (const [node, ids] of [...unnamedByNode].sort(([a], [b]) => compareText(a, b))) {
    commands.push(`ssh ${node} crictl stop ${sortedUnique(ids).join(" ")}`);
  }
  return commands.join("; ");
}

/**
 * The finding for one tag from its stale containers (one node's or the whole
 * cluster's). Rebuilding it from the union of the pods gives the merged
 * finding, so per-node results combine exactly.
 */
export function runningStaleFinding(
  reference: string,
  pods: readonly FindingPod[],
  snapshot: ClusterSnapshot,
): FindingDraft {
  const byContainer = new Map([...pods].sort(comparePods).map((pod) => [`${pod.node}\n${pod.containerId}`, pod]));
  const unique = [...byContainer.values()];
  const registryDigest = registryDigestOf(reference, snapshot);
  const nowOn = (node: string): string | null => {
    if (registryDigest !== null) return registryDigest;
    const inventory = snapshot.inventories.get(node);
    return inventory === undefined ? null : (nodeIndex(inventory).holderOf(reference)?.digest ?? null);
  };
  const familiar = familiarRef(reference);
  const entries = unique.map((pod) => describePod(pod, nowOn(pod.node)));
  const message =
    `${familiar}: ${countOf(unique.length, "container")} ${unique.length === 1 ? "runs" : "run"} an image the tag ` +
    `no longer points at: ${listOf(entries)}. Deleting a pod makes its controller recreate it; the new pod gets ` +
    `the current image only with imagePullPolicy: Always, or once its node holds the current image ` +
    `(imagedrift refresh ${familiar}).`;
  return {
    key: `running-stale:${reference}`,
    kind: "running-stale",
    severity: "critical",
    reference,
    nodes: sortedUnique(unique.map((pod) => pod.node)),
    digests: sortedUnique(unique.flatMap((pod) => (pod.digest === null ? [] : [pod.digest]))),
    registryDigest,
    message,
    remedy: restartCommand(unique),
    pods: unique,
  };
}
