/**
 * `pull-policy-risk` (docs/ARCHITECTURE.md#findings): a container of a running pod uses a mutable
 * tag with imagePullPolicy IfNotPresent or Never. The runtime side of
 * `imagedrift lint`: each container is judged by lintImage, so a workload gets
 * the rule and severity its manifest gets (latest or no tag + IfNotPresent and
 * mutable + Never are critical, mutable + IfNotPresent is a warning); a digest,
 * or a version tag pulled Always, has no finding, and `latest` pulled Always
 * (lint's info) is not a pull-policy risk.
 *
 * One finding per workload and container (key `pull-policy-risk:NS/KIND/NAME/CONTAINER`),
 * whatever the number of its pods. While a rollout runs, its pods may differ:
 * the finding follows the riskiest image and policy and names the others.
 */
import type { ClusterSnapshot, FindingDraft, FindingPod } from "./drift-types.js";
import { SEVERITIES } from "./drift-types.js";
import { compareText, countOf, familiarRef, listOf, sortedUnique } from "./finding-text.js";
import { formatImageRef, tagOf, tryParseImageRef } from "./image-ref.js";
import { type LintRule, lintImage } from "./manifest-lint.js";
import {
  describeWorkload,
  type PodContainer,
  runningDigest,
  type WorkloadPod,
  type WorkloadRef,
  workloadKey,
} from "./workload-pods.js";

/** The lint rules that are pull-policy risks. */
const RISK_RULES: ReadonlySet<LintRule> = new Set(["latest-if-not-present", "mutable-never", "mutable-if-not-present"]);

/** The `kubectl` resource of each kind whose pod template can be patched, with the template's path. */
const PATCHABLE: Readonly<Record<string, { resource: string; template: string }>> = {
  Deployment: { resource: "deployment", template: "/spec/template/spec" },
  StatefulSet: { resource: "statefulset", template: "/spec/template/spec" },
  DaemonSet: { resource: "daemonset", template: "/spec/template/spec" },
  ReplicaSet: { resource: "replicaset", template: "/spec/template/spec" },
  ReplicationController: { resource: "replicationcontroller", template: "/spec/template/spec" },
  CronJob: { resource: "cronjob", template: "/spec/jobTemplate/spec/template/spec" },
};

type Verdict = NonNullable<ReturnType<typeof lintImage>>;

interface RiskyContainer {
  pod: WorkloadPod;
  container: PodContainer;
  reference: string;
  verdict: Verdict;
  digest: string | null;
}

function rank(use: RiskyContainer): number {
  return SEVERITIES.indexOf(use.verdict.severity);
}

/** Riskiest first, then by reference and policy: the first one speaks for the finding. */
function compareRisk(a: RiskyContainer, b: RiskyContainer): number {
  return (
    rank(a) - rank(b) ||
    compareText(a.reference, b.reference) ||
    compareText(a.verdict.effectivePullPolicy ?? "", b.verdict.effectivePullPolicy ?? "") ||
    compareText(a.pod.name, b.pod.name)
  );
}

function riskOf(pod: WorkloadPod, container: PodContainer, snapshot: ClusterSnapshot): RiskyContainer | null {
  const verdict = lintImage(container.image, container.imagePullPolicy, container.type);
  if (verdict === null || !RISK_RULES.has(verdict.rule)) return null;
  const ref = tryParseImageRef(container.image);
  if (ref === null) return null;
  const reference = tagOf(ref) ?? formatImageRef(ref);
  return { pod, container, reference, verdict, digest: runningDigest(pod, container, snapshot) };
}

/** `image: registry.example.com/app:v1@sha256:…`, with the digest when exactly one is known. */
function pinned(image: string, digests: readonly string[]): string {
  return `${image}@${digests.length === 1 ? digests[0] : "sha256:…"}`;
}

function remedy(owner: WorkloadRef, first: RiskyContainer, digests: readonly string[]): string {
  const patchable = Object.hasOwn(PATCHABLE, owner.kind) ? PATCHABLE[owner.kind] : undefined;
  if (patchable === undefined) return first.verdict.remedy;
  const { container } = first;
  const where = `kubectl -n ${owner.namespace}`;
  if (first.verdict.effectivePullPolicy === "IfNotPresent") {
    const list = container.type === "initContainer" ? "initContainers" : "containers";
    const patch = [
      { op: "add", path: `${patchable.template}/${list}/${container.index}/imagePullPolicy`, value: "Always" },
    ];
    return (
      `${where} patch ${patchable.resource} ${owner.name} --type=json -p '${JSON.stringify(patch)}'` +
      `   # or pin a digest: image: ${pinned(container.image, digests)}`
    );
  }
  // Never: pulling Always would change what the workload relies on; pinning the build every node must hold does not.
  if (digests.length !== 1) return first.verdict.remedy;
  return (
    `${where} set image ${patchable.resource}/${owner.name} ${container.name}=${pinned(container.image, digests)}` +
    "   # with Never, every node must hold it: imagedrift prepull"
  );
}

function podOf(use: RiskyContainer): FindingPod {
  return {
    node: use.pod.node,
    namespace: use.pod.namespace,
    pod: use.pod.name,
    container: use.container.name,
    containerId: use.container.containerId,
    digest: use.digest,
  };
}

function finding(owner: WorkloadRef, uses: RiskyContainer[], snapshot: ClusterSnapshot): FindingDraft | null {
  const sorted = [...uses].sort(compareRisk);
  const first = sorted[0];
  if (first === undefined) return null;
  const alike = sorted.filter((u) => u.reference === first.reference);
  const digests = sortedUnique(alike.flatMap((u) => (u.digest === null ? [] : [u.digest])));
  const nodes = sortedUnique(sorted.flatMap((u) => (u.pod.node === "" ? [] : [u.pod.node])));
  const others = sortedUnique(
    sorted
      .filter((u) => u.reference !== first.reference || u.verdict.rule !== first.verdict.rule)
      .map((u) => `${familiarRef(u.reference)} with ${u.verdict.effectivePullPolicy}`),
  );
  const also = others.length === 0 ? "" : ` Other pods of it run ${listOf(others)}.`;
  const resolution = snapshot.resolutions.get(first.reference);
  return {
    key: `pull-policy-risk:${workloadKey(owner)}/${first.container.name}`,
    kind: "pull-policy-risk",
    severity: first.verdict.severity,
    reference: first.reference,
    nodes,
    digests,
    registryDigest: resolution?.state === "found" ? resolution.digest : null,
    message:
      `${describeWorkload(owner)}, container ${first.container.name}: ${first.verdict.message} ` +
      `(${countOf(sorted.length, "running pod")} on ${countOf(nodes.length, "node")}: ${listOf(nodes)}).${also}`,
    remedy: remedy(owner, first, digests),
    pods: sorted.map(podOf).sort((a, b) => compareText(a.node, b.node) || compareText(a.pod, b.pod)),
  };
}

/** Every pull-policy-risk of the snapshot's running pods, sorted by key; none without Kubernetes facts. */
export function pullPolicyRiskFindings(snapshot: ClusterSnapshot): FindingDraft[] {
  const groups = new Map<string, { owner: WorkloadRef; uses: RiskyContainer[] }>();
  for (const pod of snapshot.workloads ?? []) {
    if (pod.phase !== "Running") continue;
    for (const container of pod.containers) {
      const use = riskOf(pod, container, snapshot);
      if (use === null) continue;
      const key = `${workloadKey(pod.owner)}/${container.name}`;
      const group = groups.get(key) ?? { owner: pod.owner, uses: [] };
      group.uses.push(use);
      groups.set(key, group);
    }
  }
  return [...groups.values()]
    .flatMap(({ owner, uses }) => finding(owner, uses, snapshot) ?? [])
    .sort((a, b) => compareText(a.key, b.key));
}
