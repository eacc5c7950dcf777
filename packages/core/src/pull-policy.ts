/**
 * Kubernetes image pull policies and how a tag makes them risky (docs/ARCHITECTURE.md#the-problem, #findings
 * `pull-policy-risk`). A tag is a mutable pointer: only a digest names one
 * image for good. Whether a node sees a re-pushed tag depends on the pull
 * policy the kubelet applies, which the API server defaults from the tag when
 * the manifest leaves it out.
 */
import type { ImageRef } from "./image-ref.js";
import { tryParseImageRef } from "./image-ref.js";

export const PULL_POLICIES = ["Always", "IfNotPresent", "Never"] as const;
export type PullPolicy = (typeof PULL_POLICIES)[number];

/** The tag a reference without tag and digest gets, and the one Kubernetes defaults to `Always`. */
const LATEST = "latest";

/** Whether `value` is a policy the API server accepts (case-sensitive, as Kubernetes validates it). */
export function isPullPolicy(value: unknown): value is PullPolicy {
  return typeof value === "string" && (PULL_POLICIES as readonly string[]).includes(value);
}

/**
 * The policy the kubelet applies: the written one, else Kubernetes' default
 * (SetDefaults_Container in pkg/apis/core/v1/defaults.go): `Always` when the
 * tag is `latest` (written, or implied by a reference without tag and
 * digest), `IfNotPresent` otherwise (a digest-only reference included).
 * Kubernetes looks at the tag only, so `app:latest@sha256:…` also defaults to
 * `Always`, and an unparsable image to `IfNotPresent`. An empty string counts
 * as unset, as it does for the API server. Null when `policy` is a value the
 * API server rejects (`always`, `IfNotExists`).
 */
export function effectivePullPolicy(image: string, policy: string | undefined): PullPolicy | null {
  if (policy !== undefined && policy !== "") return isPullPolicy(policy) ? policy : null;
  return tryParseImageRef(image)?.tag === LATEST ? "Always" : "IfNotPresent";
}

/**
 * Whether the reference can point at different images over time: every tag
 * can be re-pushed, so only a digest pins the image. A reference with both a
 * tag and a digest is pinned: the digest wins.
 */
export function isMutableTag(ref: ImageRef): boolean {
  return ref.digest === null;
}

/**
 * Whether the reference is the worst case of a mutable tag: `latest`, written
 * or implied (no tag). It is re-pushed by every build, so which image a node
 * holds says nothing about which build it is.
 */
export function isLatestTag(ref: ImageRef): boolean {
  return ref.digest === null && ref.tag === LATEST;
}
