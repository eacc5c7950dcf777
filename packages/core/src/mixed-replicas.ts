/**
 * `mixed-replicas` (docs/ARCHITECTURE.md#findings, #the-problem incident 2): pods of one owner workload run
 * different digests of one container image, so replicas serve different
 * builds depending on the node they landed on.
 *
 * Pods are grouped by owner workload (a Deployment across its ReplicaSets),
 * container and image tag; a digest-pinned image cannot differ. Each pod's
 * digest is the repo digest it runs (see runningDigest: from `imageID`, or
 * through the node's inventory), so a runtime that reports image ids and one
 * that reports repo digests agree. Pods whose digest nothing tells are listed
 * but do not make a finding. Only running pods count.
 */
import type { ClusterSnapshot, FindingDraft, FindingPod } from "./drift-types.js";
import { compareText, countOf, familiarRef, listOf, sortedUnique } from "./finding-text.js";
import { tagOfReference } from "./image-ref.js";
import { restartCommand } from "./running-stale.js";
import { shortDigest } from "./short-digest.js";
import { describeWorkload, runningDigest, type WorkloadRef, workloadKey } from "./workload-pods.js";

/** Kinds that `kubectl rollout restart` restarts. */
const ROLLOUT_RESOURCE: Readonly<Record<string, string>> = {
  Deployment: "deployment",
  StatefulSet: "statefulset",
  DaemonSet: "daemonset",
};

interface Group {
  owner: WorkloadRef;
  container: string;
  reference: string;
  pods: FindingPod[];
}

function comparePods(a: FindingPod, b: FindingPod): number {
  return compareText(a.node, b.node) || compareText(a.pod, b.pod) || compareText(a.containerId, b.containerId);
}

/** `0123456789ab (web-1 on n1, web-2 on n1)`, per digest, unknown ones last. */
function byDigest(pods: readonly FindingPod[]): string {
  const groups = new Map<string, string[]>();
  for (const pod of pods) {
    const key = pod.digest ?? "";
    const names = groups.get(key);
    if (names === undefined) groups.set(key, [`${pod.pod} on ${pod.node}`]);
    else names.push(`${pod.pod} on ${pod.node}`);
  }
  return [...groups]
    .sort(([a], [b]) => (a === "" ? 1 : b === "" ? -1 : compareText(a, b)))
    .map(([d, names]) => `${d === "" ? "an unknown digest" : shortDigest(d)} (${listOf(names)})`)
    .join(", ");
}

function restart(group: Group, familiar: string, registryDigest: string | null): string {
  const { owner } = group;
  const resource = Object.hasOwn(ROLLOUT_RESOURCE, owner.kind) ? ROLLOUT_RESOURCE[owner.kind] : undefined;
  const refresh = `imagedrift refresh ${familiar}`;
  if (resource !== undefined)
    return `${refresh} && kubectl -n ${owner.namespace} rollout restart ${resource}/${owner.name}`;
  // Jobs, CronJobs, bare ReplicaSets: their controller recreates deleted pods; delete those off the registry's digest.
  const off = group.pods.filter((p) => registryDigest === null || p.digest !== registryDigest);
  return `${refresh} && ${restartCommand(off.length > 0 ? off : group.pods)}`;
}

function finding(group: Group, snapshot: ClusterSnapshot): FindingDraft | null {
  const digests = sortedUnique(group.pods.flatMap((p) => (p.digest === null ? [] : [p.digest])));
  if (digests.length < 2) return null;
  const resolution = snapshot.resolutions.get(group.reference);
  const registryDigest = resolution?.state === "found" ? resolution.digest : null;
  const registry = registryDigest === null ? "" : `; the registry has ${shortDigest(registryDigest)}`;
  const familiar = familiarRef(group.reference);
  const pods = [...group.pods].sort(comparePods);
  return {
    key: `mixed-replicas:${workloadKey(group.owner)}/${group.container}:${group.reference}`,
    kind: "mixed-replicas",
    severity: "critical",
    reference: group.reference,
    nodes: sortedUnique(pods.map((p) => p.node)),
    digests,
    registryDigest,
    message:
      `${describeWorkload(group.owner)}, container ${group.container}: ${countOf(pods.length, "pod")} run ` +
      `${countOf(digests.length, "digest")} of ${familiar}: ${byDigest(pods)}${registry}. ` +
      "Replicas of one workload serve different builds, depending on the node each landed on.",
    remedy: restart(group, familiar, registryDigest),
    pods,
  };
}

/** Every mixed-replicas finding of the snapshot's running pods, sorted by key; none without Kubernetes facts. */
export function mixedReplicasFindings(snapshot: ClusterSnapshot): FindingDraft[] {
  const groups = new Map<string, Group>();
  for (const pod of snapshot.workloads ?? []) {
    if (pod.phase !== "Running" || pod.owner.kind === "Pod" || pod.node === "") continue;
    for (const container of pod.containers) {
      if (container.imageId === "" && container.containerId === "") continue; // never started
      const reference = tagOfReference(container.image);
      if (reference === null) continue;
      const key = `${workloadKey(pod.owner)}/${container.name}:${reference}`;
      const group = groups.get(key) ?? { owner: pod.owner, container: container.name, reference, pods: [] };
      group.pods.push({
        node: pod.node,
        namespace: pod.namespace,
        pod: pod.name,
        container: container.name,
        containerId: container.containerId,
        digest: runningDigest(pod, container, snapshot),
      });
      groups.set(key, group);
    }
  }
  return [...groups.values()].flatMap((g) => finding(g, snapshot) ?? []).sort((a, b) => compareText(a.key, b.key));
}
