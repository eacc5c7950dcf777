/**
 * The one rule for "does this node hold what the tag points at": the tag view,
 * the findings, running-stale and `imagedrift verify` all ask it.
 *
 * A node holds the registry's digest when any repo digest of the tag's
 * repository on its image equals it: CRI lists one image with several repo
 * digests when the same platform image was reached through several indexes
 * (an index re-pushed with another platform changed, attestations rebuilt),
 * in no order that says which one the tag points at. When none equals it, the
 * node still holds what a fresh pull would give it if its image (the config
 * digest, per platform) is one the registry's digest gives for some platform:
 * the index moved, the node's platform did not.
 */
import type { TagHolder, TagResolution } from "./drift-types.js";

/** `digest`: a repo digest is the registry's; `platform`: the image is the registry's for its platform; `differs`; `unknown`: no repo digest or no registry answer. */
export type RegistryMatch = "digest" | "platform" | "differs" | "unknown";

/** How an image with repo digests `candidates` (for the tag's repository) and id `imageId` compares with the registry. */
export function registryMatch(
  holding: { candidates: readonly string[]; imageId: string },
  resolution: TagResolution | undefined,
): RegistryMatch {
  if (resolution?.state !== "found" || holding.candidates.length === 0) return "unknown";
  if (holding.candidates.includes(resolution.digest)) return "digest";
  return resolution.platformImages?.includes(holding.imageId) ? "platform" : "differs";
}

/**
 * The one digest to name for an image with several candidates: the
 * registry's when among them, else the first (sorted). Null without any.
 */
export function shownDigest(candidates: readonly string[], registryDigest: string | null): string | null {
  if (registryDigest !== null && candidates.length > 1 && candidates.includes(registryDigest)) return registryDigest;
  return candidates[0] ?? null;
}

/**
 * Whether a holder of a tag's view holds `expected` (`imagedrift verify`):
 * its digest or any other repo digest it has for the repository is it, or
 * `expected` is the registry's digest and the holder is current by platform.
 */
export function holdsDigest(holder: TagHolder, expected: string, registryDigest: string | null): boolean {
  if (holder.digest === expected || holder.repoDigests?.includes(expected)) return true;
  return holder.platformMatch === true && expected === registryDigest;
}
