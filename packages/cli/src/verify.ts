/**
 * The deploy gate (docs/ARCHITECTURE.md#cli `verify REF...`), pure: references, the
 * collector's tags and nodes in; a verdict per reference × node out. A
 * reference passes only when every selected node holds its tag at the
 * expected digest: `--digest`, else a digest pinned in the reference
 * (`app:1.2@sha256:…`), else the registry's. No expected digest, no pass.
 * Containers still running another digest of the tag are always listed; they
 * close the gate only when asked (`--fail-on-running-stale`, after a rollout):
 * before one, new images on nodes and old ones in pods is the expected state.
 */

import type { FindingItem, FindingPod, NodeItem, TagStatus, TagView } from "@imagedrift/core";
import {
  describeRegistryAnswer,
  holdsDigest,
  ImagedriftError,
  parseImageRef,
  shortDigest,
  tagOf,
} from "@imagedrift/core";
import { type DigestPrefix, parseDigestFlag, resolveDigestPrefix } from "./verify-digest.js";

export interface VerifyTarget {
  /** As the user typed it. */
  input: string;
  /** The normalised tag `host/repository:tag`. */
  reference: string;
  /** From --digest or the reference itself; null = the registry's. */
  requiredDigest: string | null;
  requiredFrom: "flag" | "reference" | null;
  /** --digest as typed when it is a prefix, resolved against the digests the collector knows (resolveTargetDigests). */
  digestPrefix?: DigestPrefix;
}

/** A container that runs another digest of a verified tag than the expected one (from the running-stale findings). */
export type StaleContainer = FindingPod;

export interface NodeVerdict {
  node: string;
  /** The digest the node holds under the tag; null when it holds none. */
  digest: string | null;
  passed: boolean;
  /** Why it failed; "" when it passed. */
  reason: string;
}

export interface ReferenceVerdict {
  input: string;
  reference: string;
  tagStatus: TagStatus | null;
  expectedDigest: string | null;
  expectedFrom: "flag" | "reference" | "registry" | null;
  passed: boolean;
  /** Why no node can pass (no digest to compare with), or null. */
  problem: string | null;
  nodes: NodeVerdict[];
  /** Containers on the checked nodes still running another digest of the tag: restart them to run the expected one. */
  runningStale: StaleContainer[];
  /** The command that restarts them (the finding's remedy), or "" when none. */
  restart: string;
}

export interface VerifyResult {
  passed: boolean;
  /** The nodes checked, in order. */
  nodes: string[];
  /** Why nothing could be checked (no reporting node), or null. */
  problem: string | null;
  references: ReferenceVerdict[];
  /** Whether containers running a stale digest close the gate (--fail-on-running-stale). */
  failOnRunningStale: boolean;
}

/** Validates the references and --digest before any request; throws ImagedriftError naming the input and the rule. */
export function parseVerifyTargets(inputs: readonly string[], digestFlag?: string): VerifyTarget[] {
  const parsed = digestFlag === undefined ? undefined : parseDigestFlag(digestFlag);
  const digest = parsed?.full ?? undefined;
  const digestPrefix = parsed !== undefined && parsed.full === null ? parsed : undefined;
  return inputs.map((input) => {
    const ref = parseImageRef(input);
    const reference = tagOf(ref);
    if (reference === null) {
      throw new ImagedriftError(
        "invalid-reference",
        `invalid reference ${JSON.stringify(input)}: verify needs a tag (name:tag or name:tag@digest), not only a digest`,
      );
    }
    const pinned = ref.digest;
    if (parsed !== undefined && pinned !== null && !pinned.startsWith(parsed.prefix)) {
      throw new ImagedriftError("invalid-argument", `${input} pins another digest than --digest ${digestFlag}`);
    }
    if (digestPrefix !== undefined && pinned === null) {
      return { input, reference, requiredDigest: null, requiredFrom: "flag", digestPrefix };
    }
    const requiredDigest = digest ?? pinned;
    const requiredFrom = parsed !== undefined ? "flag" : pinned !== null ? "reference" : null;
    return { input, reference, requiredDigest, requiredFrom };
  });
}

/**
 * Completes a --digest prefix per target from the digests the collector
 * knows for its tag (the registry's, the nodes', the running containers');
 * throws when it names none or several of them.
 */
export function resolveTargetDigests(
  targets: readonly VerifyTarget[],
  tags: readonly TagView[],
  findings: readonly FindingItem[],
): VerifyTarget[] {
  const byReference = new Map(tags.map((tag) => [tag.reference, tag]));
  return targets.map((target) => {
    if (target.digestPrefix === undefined) return target;
    const tag = byReference.get(target.reference);
    const known = [
      tag?.registryDigest ?? null,
      ...(tag?.nodes ?? []).map((holder) => holder.digest),
      ...findings.filter((f) => f.reference === target.reference).flatMap((f) => [f.registryDigest, ...f.digests]),
    ];
    const requiredDigest = resolveDigestPrefix(target.digestPrefix, known, target.input);
    return { input: target.input, reference: target.reference, requiredDigest, requiredFrom: "flag" };
  });
}

/** Throws not-found naming each --nodes entry the collector does not know, and the nodes it does. */
export function checkRequestedNodes(known: readonly NodeItem[], requested?: readonly string[]): void {
  const names = new Set(known.map((node) => node.name));
  const unknown = [...new Set(requested ?? [])].filter((name) => !names.has(name));
  if (unknown.length === 0) return;
  const knownList = known.length === 0 ? "none" : [...names].sort().join(", ");
  throw new ImagedriftError(
    "not-found",
    `unknown node${unknown.length === 1 ? "" : "s"} ${unknown.join(", ")}: the collector knows ${knownList} (see \`imagedrift nodes\`)`,
  );
}

/** The nodes to check: those named (in order, once each), else every node in state "reporting". */
export function selectNodes(known: readonly NodeItem[], requested?: readonly string[]): string[] {
  if (requested !== undefined && requested.length > 0) return [...new Set(requested)];
  return known.filter((node) => node.state === "reporting").map((node) => node.name);
}

function missingDigestProblem(tag: TagView | undefined): string {
  const hint = "pass --digest sha256:… to require a given digest";
  if (tag === undefined)
    return `no node holds this tag, so the collector has not resolved its registry digest; ${hint}`;
  return `no registry digest to compare with (${describeRegistryAnswer(tag)}); ${hint}`;
}

/** The running-stale containers of the reference on the checked nodes, but those that run the expected digest. */
function staleContainers(
  reference: string,
  findings: readonly FindingItem[],
  options: { nodes: ReadonlySet<string>; expected: string | null },
): { containers: StaleContainer[]; restart: string } {
  const relevant = findings.filter((f) => f.kind === "running-stale" && f.reference === reference);
  const containers = relevant
    .flatMap((f) => f.pods ?? [])
    .filter((pod) => options.nodes.has(pod.node) && (pod.digest === null || pod.digest !== options.expected))
    .map(({ node, namespace, pod, container, containerId, digest }) => ({
      node,
      namespace,
      pod,
      container,
      containerId,
      digest,
    }));
  const restart = containers.length === 0 ? "" : relevant.map((f) => f.remedy).join("; ");
  return { containers, restart };
}

function nodeVerdict(node: string, tag: TagView | undefined, expected: string | null, known: NodeItem | undefined) {
  const holder = tag?.nodes.find((h) => h.node === node);
  const digest = holder?.digest ?? null;
  const fail = (reason: string): NodeVerdict => ({ node, digest, passed: false, reason });
  if (known === undefined) return fail("node not known to the collector");
  if (known.state !== "reporting") return fail("the node's agent is not reporting: its cache is unknown");
  if (holder === undefined) return fail("tag not on this node");
  if (digest === null) return fail("image has no repo digest (built or imported on the node)");
  if (expected === null) return fail("no expected digest to compare with");
  // The one rule of the tag view: any repo digest of the repository, or the registry's image for its platform.
  if (!holdsDigest(holder, expected, tag?.registryDigest ?? null)) return fail(`expected ${shortDigest(expected)}`);
  return { node, digest, passed: true, reason: "" };
}

export function verifyReferences(input: {
  targets: readonly VerifyTarget[];
  tags: readonly TagView[];
  nodes: readonly NodeItem[];
  /** From --nodes; absent or empty = every reporting node. */
  requestedNodes?: readonly string[];
  /** The collector's running-stale findings (others are ignored); absent = none. */
  findings?: readonly FindingItem[];
  /** --fail-on-running-stale: containers still running another digest fail the reference. */
  failOnRunningStale?: boolean;
}): VerifyResult {
  const selected = selectNodes(input.nodes, input.requestedNodes);
  const failOnRunningStale = input.failOnRunningStale === true;
  const checked = new Set(selected);
  const known = new Map(input.nodes.map((node) => [node.name, node]));
  const tags = new Map(input.tags.map((tag) => [tag.reference, tag]));
  const references = input.targets.map((target): ReferenceVerdict => {
    const tag = tags.get(target.reference);
    const expectedDigest = target.requiredDigest ?? tag?.registryDigest ?? null;
    const expectedFrom = target.requiredFrom ?? (expectedDigest === null ? null : "registry");
    const problem = expectedDigest === null ? missingDigestProblem(tag) : null;
    const nodes = selected.map((node) => nodeVerdict(node, tag, expectedDigest, known.get(node)));
    const stale = staleContainers(target.reference, input.findings ?? [], { nodes: checked, expected: expectedDigest });
    const passed =
      problem === null &&
      nodes.length > 0 &&
      nodes.every((n) => n.passed) &&
      !(failOnRunningStale && stale.containers.length > 0);
    const { input: typed, reference } = target;
    return {
      input: typed,
      reference,
      tagStatus: tag?.status ?? null,
      expectedDigest,
      expectedFrom,
      passed,
      problem,
      nodes,
      runningStale: stale.containers,
      restart: stale.restart,
    };
  });
  const problem = selected.length === 0 ? "no node is reporting to the collector: nothing to verify against" : null;
  return {
    passed: problem === null && references.every((r) => r.passed),
    nodes: selected,
    problem,
    references,
    failOnRunningStale,
  };
}
