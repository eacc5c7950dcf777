/**
 * The deploy gate (SPEC §10 `verify REF...`), pure: references, the
 * collector's tags and nodes in; a verdict per reference × node out. A
 * reference passes only when every selected node holds its tag at the
 * expected digest: `--digest`, else a digest pinned in the reference
 * (`app:1.2@sha256:…`), else the registry's. No expected digest, no pass.
 */
import { ImagedriftError, isDigest, parseImageRef, tagOf } from "@imagedrift/core";
import type { NodeItem, TagStatus, TagView } from "./api-types.js";
import { shortDigest } from "./format/digest.js";

export interface VerifyTarget {
  /** As the user typed it. */
  input: string;
  /** The normalised tag `host/repository:tag`. */
  reference: string;
  /** From --digest or the reference itself; null = the registry's. */
  requiredDigest: string | null;
  requiredFrom: "flag" | "reference" | null;
}

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
}

export interface VerifyResult {
  passed: boolean;
  /** The nodes checked, in order. */
  nodes: string[];
  /** Why nothing could be checked (no reporting node), or null. */
  problem: string | null;
  references: ReferenceVerdict[];
}

/** Validates the references and --digest before any request; throws ImagedriftError naming the input and the rule. */
export function parseVerifyTargets(inputs: readonly string[], digest?: string): VerifyTarget[] {
  if (digest !== undefined && !isDigest(digest)) {
    throw new ImagedriftError(
      "invalid-argument",
      `--digest ${JSON.stringify(digest)} is not a digest: want sha256: followed by 64 lowercase hex digits`,
    );
  }
  return inputs.map((input) => {
    const ref = parseImageRef(input);
    const reference = tagOf(ref);
    if (reference === null) {
      throw new ImagedriftError(
        "invalid-reference",
        `invalid reference ${JSON.stringify(input)}: verify needs a tag (name:tag or name:tag@digest), not only a digest`,
      );
    }
    if (digest !== undefined && ref.digest !== null && ref.digest !== digest) {
      throw new ImagedriftError("invalid-argument", `${input} pins another digest than --digest ${digest}`);
    }
    const requiredDigest = digest ?? ref.digest;
    const requiredFrom = digest !== undefined ? "flag" : ref.digest !== null ? "reference" : null;
    return { input, reference, requiredDigest, requiredFrom };
  });
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
  if (tag.status === "missing-in-registry") return `the tag is not found in the registry; ${hint}`;
  const why = tag.resolveError ? `: ${tag.resolveError}` : "";
  return `the registry digest is unresolved${why}; ${hint}`;
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
  if (digest !== expected) return fail(`expected ${shortDigest(expected)}`);
  return { node, digest, passed: true, reason: "" };
}

export function verifyReferences(input: {
  targets: readonly VerifyTarget[];
  tags: readonly TagView[];
  nodes: readonly NodeItem[];
  /** From --nodes; absent or empty = every reporting node. */
  requestedNodes?: readonly string[];
}): VerifyResult {
  const selected = selectNodes(input.nodes, input.requestedNodes);
  const known = new Map(input.nodes.map((node) => [node.name, node]));
  const tags = new Map(input.tags.map((tag) => [tag.reference, tag]));
  const references = input.targets.map((target): ReferenceVerdict => {
    const tag = tags.get(target.reference);
    const expectedDigest = target.requiredDigest ?? tag?.registryDigest ?? null;
    const expectedFrom = target.requiredFrom ?? (expectedDigest === null ? null : "registry");
    const problem = expectedDigest === null ? missingDigestProblem(tag) : null;
    const nodes = selected.map((node) => nodeVerdict(node, tag, expectedDigest, known.get(node)));
    const passed = problem === null && nodes.length > 0 && nodes.every((n) => n.passed);
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
    };
  });
  const problem = selected.length === 0 ? "no node is reporting to the collector: nothing to verify against" : null;
  return { passed: problem === null && references.every((r) => r.passed), nodes: selected, problem, references };
}
