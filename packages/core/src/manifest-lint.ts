/**
 * `imagedrift lint`: pull-policy and tag risks in Kubernetes manifests,
 * without a cluster (docs/ARCHITECTURE.md#cli; the manifest side of #findings `pull-policy-risk`).
 * Pure: the CLI parses the YAML and hands the documents over as plain values.
 *
 * Why each rule exists (docs/ARCHITECTURE.md#the-problem):
 * - `latest-if-not-present`: `app:latest` is re-pushed by every build; with
 *   IfNotPresent a node that holds an older `latest` starts pods with it
 *   ("already present on machine", incident 1), and replicas run whatever
 *   build their node pulled last (incident 2).
 * - `mutable-never`: with Never a node without the image fails the pod
 *   (ErrImageNeverPull, incident 3); nodes with it run whatever they hold.
 * - `mutable-if-not-present`: any tag can be re-pushed. `app:v1` defaults to
 *   IfNotPresent, so a re-pushed v1 never reaches nodes that already hold it,
 *   and which build runs depends on where the pod lands (incident 2).
 * - `latest-always`: works, but every pod start pulls (a registry outage stops
 *   new pods), and a rollback cannot name the build it goes back to.
 * - `invalid-reference`, `invalid-pull-policy`: the kubelet refuses the image
 *   (InvalidImageName) or the API server refuses the manifest.
 * A digest names one image for good: a digest-pinned image has no finding.
 */
import type { Severity } from "./drift-types.js";
import { SEVERITIES } from "./drift-types.js";
import { isErrorCode } from "./errors.js";
import { type ImageRef, parseImageRef } from "./image-ref.js";
import { effectivePullPolicy, isLatestTag, isMutableTag, type PullPolicy } from "./pull-policy.js";
import { type ContainerType, workloadContainers } from "./workload-containers.js";

export * from "./pull-policy.js";
export * from "./workload-containers.js";

export const LINT_RULES = [
  "invalid-reference",
  "invalid-pull-policy",
  "latest-if-not-present",
  "mutable-never",
  "mutable-if-not-present",
  "latest-always",
] as const;
export type LintRule = (typeof LINT_RULES)[number];

/** The severity of each rule. */
export const LINT_RULE_SEVERITY: Readonly<Record<LintRule, Severity>> = {
  "invalid-reference": "critical",
  "invalid-pull-policy": "critical",
  "latest-if-not-present": "critical",
  "mutable-never": "critical",
  "mutable-if-not-present": "warning",
  "latest-always": "info",
};

/** One parsed document of a manifest file. */
export interface ManifestDocument {
  file: string;
  /** Its place in the file, 1-based, as the reader counts them (the CLI skips empty documents). */
  index: number;
  doc: unknown;
}

export interface LintFinding {
  file: string;
  /** The document's place in its file, 1-based. */
  document: number;
  kind: string;
  namespace: string | null;
  /** The workload's name. */
  name: string | null;
  container: string;
  containerType: ContainerType;
  /** As written; "" when the container has none. */
  image: string;
  /** `imagePullPolicy` as written; null when left to Kubernetes' default. */
  pullPolicy: string | null;
  /** What the kubelet applies; null when `pullPolicy` is not a value Kubernetes accepts. */
  effectivePullPolicy: PullPolicy | null;
  severity: Severity;
  rule: LintRule;
  message: string;
  remedy: string;
}

type Verdict = Pick<LintFinding, "rule" | "message" | "remedy">;

interface Checked {
  image: string;
  ref: ImageRef;
  written: string | null;
  effective: PullPolicy;
}

/** The image as written without its tag, for remedies: `registry.example.com/app:v1` → `registry.example.com/app`. */
function nameOf(image: string, ref: ImageRef): string {
  const suffix = ref.tag === null ? "" : `:${ref.tag}`;
  return suffix !== "" && image.endsWith(suffix) ? image.slice(0, -suffix.length) : image;
}

function policyPhrase(checked: Checked): string {
  return checked.written === null
    ? `defaults to imagePullPolicy ${checked.effective}`
    : `with imagePullPolicy ${checked.effective}`;
}

/** The rule a mutable tag breaks with its effective policy; null when it is fine (a version tag pulled Always). */
function tagVerdict(checked: Checked): Verdict | null {
  const { image, ref, effective } = checked;
  const name = nameOf(image, ref);
  const latest = isLatestTag(ref);
  const pinned = latest ? `${name}:<version>@sha256:…` : `${name}:${ref.tag}@sha256:…`;
  if (effective === "Never") {
    return {
      rule: "mutable-never",
      message: `${image} ${policyPhrase(checked)}: a node without it fails the pod (ErrImageNeverPull), and nodes with it run whatever build they hold`,
      remedy: `pin a digest: image: ${pinned}, and set imagePullPolicy: IfNotPresent (or pre-pull it with imagedrift prepull)`,
    };
  }
  if (effective === "IfNotPresent") {
    return latest
      ? {
          rule: "latest-if-not-present",
          message: `${image} ${policyPhrase(checked)}: a node that holds an older latest starts pods with it ("already present on machine"), so replicas run whatever build their node pulled last`,
          remedy: `pin a version and a digest: image: ${pinned}, or set imagePullPolicy: Always`,
        }
      : {
          rule: "mutable-if-not-present",
          message: `${image} ${policyPhrase(checked)}: a re-pushed ${ref.tag} never reaches nodes that already hold it, so which build runs depends on the node`,
          remedy: `pin a digest: image: ${pinned}, or set imagePullPolicy: Always`,
        };
  }
  if (!latest) return null;
  return {
    rule: "latest-always",
    message: `${image} ${policyPhrase(checked)}: works, but every pod start pulls from the registry, and a rollback cannot name the build it goes back to`,
    remedy: `pin a version and a digest: image: ${pinned}`,
  };
}

const INVALID_REMEDY = "write a valid reference, e.g. image: registry.example.com/team/app:1.4.2@sha256:…";

/** The parsed image, or why the kubelet (or the API server) refuses it. */
function parseImage(image: unknown): { ref: ImageRef; problem?: undefined } | { ref?: undefined; problem: string } {
  if (image === undefined || image === null || image === "") return { problem: "no image: the pod cannot start" };
  if (typeof image !== "string")
    return { problem: `image is a ${typeof image}, not a string: the API server rejects it` };
  try {
    return { ref: parseImageRef(image) };
  } catch (error) {
    if (!isErrorCode(error, "invalid-reference") || !(error instanceof Error)) throw error;
    return { problem: `${error.message}: the kubelet refuses it (InvalidImageName)` };
  }
}

type ContainerFinding = Omit<LintFinding, "file" | "document" | "kind" | "namespace" | "name" | "container">;

/** The finding for one container's `image` and `imagePullPolicy` fields as parsed, or null when they are safe. */
export function lintImage(image: unknown, pullPolicy: unknown, containerType: ContainerType): ContainerFinding | null {
  const written =
    pullPolicy === undefined || pullPolicy === null || pullPolicy === ""
      ? null
      : typeof pullPolicy === "string"
        ? pullPolicy
        : JSON.stringify(pullPolicy);
  const text = typeof image === "string" ? image : "";
  const effective = effectivePullPolicy(text, written ?? undefined);
  const { ref, problem } = parseImage(image);
  let verdict: Verdict | null;
  if (ref === undefined) verdict = { rule: "invalid-reference", message: problem, remedy: INVALID_REMEDY };
  else if (effective === null) {
    verdict = {
      rule: "invalid-pull-policy",
      message: `imagePullPolicy ${JSON.stringify(written)} is not Always, IfNotPresent or Never: the API server rejects it`,
      remedy: isMutableTag(ref) ? "set imagePullPolicy: Always, or pin a digest" : "set imagePullPolicy: IfNotPresent",
    };
  } else if (!isMutableTag(ref)) verdict = null;
  else verdict = tagVerdict({ image: text, ref, written, effective });
  if (verdict === null) return null;
  const severity = LINT_RULE_SEVERITY[verdict.rule];
  return { containerType, image: text, pullPolicy: written, effectivePullPolicy: effective, severity, ...verdict };
}

/** Position in SEVERITIES: 0 for critical. */
function rank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** Whether `severity` is `threshold` or worse (critical > warning > info). */
export function severityAtLeast(severity: Severity, threshold: Severity): boolean {
  return rank(severity) <= rank(threshold);
}

/** Most severe first; equal severities keep their order (file, document, container). */
export function compareLintFindings(a: LintFinding, b: LintFinding): number {
  return rank(a.severity) - rank(b.severity);
}

/** Every finding of the documents' workloads, most severe first, then in the order of the input. */
export function lintWorkloads(docs: readonly ManifestDocument[]): LintFinding[] {
  const findings: LintFinding[] = [];
  for (const { file, index, doc } of docs) {
    for (const c of workloadContainers(doc)) {
      const finding = lintImage(c.image, c.imagePullPolicy, c.containerType);
      if (finding === null) continue;
      const where = { file, document: index, kind: c.kind, namespace: c.namespace, name: c.name };
      findings.push({ ...where, container: c.container, ...finding });
    }
  }
  return findings.sort(compareLintFindings);
}
