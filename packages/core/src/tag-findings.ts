/**
 * The findings about one tag across nodes (docs/ARCHITECTURE.md#findings): inconsistent-tag,
 * stale-tag, missing-in-registry and local-only, each built from the tag's
 * view. findings.ts decides which of them apply.
 */
import { type TagUser, tagUsers } from "./container-tags.js";
import type { ClusterSnapshot, FindingDraft, FindingKind, Severity, TagHolder, TagView } from "./drift-types.js";
import { compareText, countOf, familiarRef, listOf, sortedUnique } from "./finding-text.js";
import { shortDigest } from "./short-digest.js";

interface DraftFields {
  severity: Severity;
  nodes: readonly string[];
  digests: readonly string[];
  message: string;
  remedy: string;
  users: readonly TagUser[];
}

/** A finding lists at most this many of the containers using its tag (its message counts them all). */
export const MAX_LISTED_USERS = 100;

/** Past this many nodes, a refresh remedy leaves the nodes to the refresh job, which picks those whose digest differs. */
const MAX_LISTED_REFRESH_NODES = 20;

/** `imagedrift refresh REF --nodes a,b`; without `--nodes` when there are many and the registry's digest is known. */
function refreshCommand(familiar: string, nodes: readonly string[], view: TagView): string {
  if (nodes.length > MAX_LISTED_REFRESH_NODES && view.registryDigest !== null) {
    return `imagedrift refresh ${familiar}   # pulls it again on the ${nodes.length} nodes whose digest differs`;
  }
  return `imagedrift refresh ${familiar} --nodes ${nodes.join(",")}`;
}

function draft(kind: FindingKind, view: TagView, fields: DraftFields): FindingDraft {
  return {
    key: `${kind}:${view.reference}`,
    kind,
    severity: fields.severity,
    reference: view.reference,
    nodes: sortedUnique(fields.nodes),
    digests: sortedUnique(fields.digests),
    registryDigest: view.registryDigest,
    message: fields.message,
    remedy: fields.remedy,
    pods: fields.users.slice(0, MAX_LISTED_USERS).map((user) => user.pod),
  };
}

function digestsOf(holders: readonly TagHolder[]): string[] {
  const digests = new Set<string>();
  for (const h of holders) if (h.digest !== null) digests.add(h.digest);
  return sortedUnique(digests);
}

/** What the registry said about the tag, for a message. */
function registryPhrase(view: TagView, snapshot: ClusterSnapshot): string {
  const resolution = snapshot.resolutions.get(view.reference);
  switch (resolution?.state) {
    case "found":
      return `the registry has ${shortDigest(resolution.digest)}`;
    case "not-found":
      return "the registry has no such tag (404)";
    case "error":
      return `the registry could not be asked (${resolution.error})`;
    default:
      return "the registry has not been asked yet";
  }
}

/** `2 nodes hold 0123456789ab (a, b), 1 node holds a local image without repo digest (c)`. */
function holdings(holders: readonly TagHolder[]): string {
  const byDigest = new Map<string, string[]>();
  for (const h of holders) {
    const nodes = byDigest.get(h.digest ?? "");
    if (nodes === undefined) byDigest.set(h.digest ?? "", [h.node]);
    else nodes.push(h.node);
  }
  return [...byDigest]
    .sort(([a], [b]) => compareText(a, b))
    .map(([d, nodes]) => {
      const what = d === "" ? "a local image without repo digest" : shortDigest(d);
      return `${countOf(nodes.length, "node")} ${nodes.length === 1 ? "holds" : "hold"} ${what} (${listOf(nodes)})`;
    })
    .join(", ");
}

/** ` 1 container uses it.`, ` 2 containers use it.`, or nothing. */
function usage(users: readonly TagUser[], singular: string, plural: string): string {
  if (users.length === 0) return "";
  return ` ${countOf(users.length, "container")} ${users.length === 1 ? singular : plural} it.`;
}

/** Nodes holding one tag hold different digests of it. */
export function inconsistentTag(view: TagView, snapshot: ClusterSnapshot): FindingDraft {
  const familiar = familiarRef(view.reference);
  const nodes = view.nodes.map((h) => h.node);
  const users = tagUsers(view.reference, nodes, snapshot).filter((u) => u.active);
  const digests = digestsOf(view.nodes);
  const differing = view.nodes.filter((h) => view.registryDigest === null || h.status !== "current");
  const refresh = refreshCommand(
    familiar,
    differing.map((h) => h.node),
    view,
  );
  return draft("inconsistent-tag", view, {
    severity: users.length > 0 ? "critical" : "warning",
    nodes,
    digests,
    message:
      `${familiar} means ${countOf(digests.length, "digest")} on ${countOf(nodes.length, "node")}: ` +
      `${holdings(view.nodes)}; ${registryPhrase(view, snapshot)}. What a pod runs depends on the node it lands on.` +
      usage(users, "runs", "run"),
    remedy:
      view.status === "missing-in-registry"
        ? `docker push ${familiar}   # push the version you want, then: ${refresh}`
        : refresh,
    users,
  });
}

/** Some nodes hold another digest than the registry's (and the tag is not inconsistent). */
export function staleTag(view: TagView, snapshot: ClusterSnapshot): FindingDraft {
  const familiar = familiarRef(view.reference);
  const stale = view.nodes.filter((h) => h.status === "stale");
  const nodes = stale.map((h) => h.node);
  const digests = digestsOf(stale);
  return draft("stale-tag", view, {
    severity: "warning",
    nodes,
    digests,
    message:
      `${familiar} is out of date on ${countOf(nodes.length, "node")} (${listOf(nodes)}): ` +
      `${nodes.length === 1 ? "it holds" : "they hold"} ${digests.map(shortDigest).join(", ")}, ` +
      `the registry now has ${shortDigest(view.registryDigest ?? "")}. Pods started there with imagePullPolicy IfNotPresent get the old image.`,
    remedy: refreshCommand(familiar, nodes, view),
    users: tagUsers(view.reference, nodes, snapshot),
  });
}

/**
 * How to push an image whose only copies are in nodes' containerd (there is
 * no docker there): export it from the first node's containerd, copy the
 * archive off the node and push it from there.
 */
export function pushFromNodeCommand(reference: string, nodes: readonly string[], why: string): string {
  const node = [...nodes].sort(compareText)[0] ?? "NODE";
  const file = `${reference.slice(reference.lastIndexOf("/") + 1).replace(/[^\w.-]/g, "-")}.tar`;
  return (
    `ssh ${node} ctr -n k8s.io images export /tmp/${file} ${reference} && scp ${node}:/tmp/${file} . && ` +
    `skopeo copy oci-archive:${file} docker://${reference}   # ${why}`
  );
}

/** Nodes hold a pulled tag that the registry no longer has. */
export function missingInRegistry(view: TagView, snapshot: ClusterSnapshot): FindingDraft {
  const familiar = familiarRef(view.reference);
  const nodes = view.nodes.map((h) => h.node);
  // Any container of the cluster that wants the tag, also on nodes that no longer hold it.
  const users = tagUsers(view.reference, [...snapshot.inventories.keys()], snapshot);
  return draft("missing-in-registry", view, {
    severity: users.length > 0 ? "critical" : "warning",
    nodes,
    digests: digestsOf(view.nodes),
    message:
      `${familiar} is not in the registry (404), but ${holdings(view.nodes)}: ` +
      `a pod scheduled on a node without it fails with ErrImagePull.${usage(users, "uses", "use")}`,
    remedy: pushFromNodeCommand(
      view.reference,
      nodes,
      "the tag is gone from the registry; push the copy a node holds, or change the workload to an existing tag",
    ),
    users,
  });
}

/** Nodes hold the tag on an image without repo digest: built or imported there, never pulled. */
export function localOnly(view: TagView, snapshot: ClusterSnapshot): FindingDraft {
  const familiar = familiarRef(view.reference);
  const local = view.nodes.filter((h) => h.digest === null);
  const nodes = local.map((h) => h.node);
  const users = tagUsers(view.reference, nodes, snapshot);
  const images = local.map((h) => `image ${shortDigest(h.imageId)} on ${h.node}`);
  const others = view.nodes.filter((h) => h.digest !== null);
  const elsewhere = others.length === 0 ? "" : ` Elsewhere ${holdings(others)}.`;
  return draft("local-only", view, {
    severity: users.length > 0 ? "critical" : "warning",
    nodes,
    digests: [],
    message:
      `${familiar} has no repo digest on ${countOf(nodes.length, "node")} (${listOf(images)}): built or imported ` +
      `there, never pulled, so other nodes cannot pull this image; ${registryPhrase(view, snapshot)}.${elsewhere}` +
      usage(users, "uses", "use"),
    remedy: pushFromNodeCommand(
      view.reference,
      nodes,
      `the only copy is in ${listOf(nodes)}'s containerd: push it so that every node can pull it`,
    ),
    users,
  });
}
