/**
 * Whether a registry can give an image back once a node removes it. Removing
 * the only copy of an image (never pushed, deleted from its registry) turns a
 * warning into an outage, so prune and refresh's clean-up keep every image
 * not known to be recoverable unless the job allows it (`allowUnrecoverable`).
 *
 * The fact the collector has is what each tag points at in its registry now.
 * So an image counts as recoverable only when one of its repo digests is a
 * digest its registry serves now under some tag (`host/repo@digest` equal to
 * a resolved tag's `host/repo` and registry digest). Everything else is kept:
 * - no repo digest (a local build, never pushed): only copy;
 * - its tag's registry answers 404 (deleted, or never pushed): only copy;
 * - its tag's registry did not answer (down, auth error) or was not asked
 *   yet: unknown;
 * - its tag moved to another digest (stale, a dangling old version): whether
 *   the registry still stores the old digest is not known from the tag
 *   views, so unknown too; the collector then asks the registry by digest
 *   (collector: jobs/registry-recoverability.ts) before sending a removal.
 */
import type { TagView } from "./drift-types.js";
import { parsedRepoDigest } from "./image-names.js";
import { repositoryOf, tryParseImageRef } from "./image-ref.js";
import type { NodeImage } from "./inventory.js";
import { shortDigest } from "./short-digest.js";

/** What the collector tells an agent about one node's images. */
export interface RecoverabilityFacts {
  /** Ids of images a registry serves now (by one of their repo digests). */
  recoverable: string[];
  /** Image id → why it may be the only copy, for the node's other images. */
  unrecoverable: Record<string, string>;
}

export const ONLY_COPY = "only copy: no registry has this image";

/** Why an image may be the only copy when nobody told the agent anything about it. */
export function defaultUnrecoverableReason(image: Pick<NodeImage, "repoDigests">): string {
  return image.repoDigests.length === 0
    ? `${ONLY_COPY} (never pushed: no repo digest)`
    : "maybe the only copy: no registry was asked whether it still has this image";
}

/** `host/repo@digest` of every digest a registry serves now under some tag. */
function servedDigests(tagViews: readonly TagView[]): Set<string> {
  const served = new Set<string>();
  for (const view of tagViews) {
    if (view.registryDigest === null) continue;
    const ref = tryParseImageRef(view.reference);
    if (ref !== null) served.add(`${repositoryOf(ref)}@${view.registryDigest}`);
  }
  return served;
}

/** Why an image the registry does not serve now may be the only copy, from the views of its tags on the node. */
function reasonFor(image: NodeImage, views: readonly TagView[]): string {
  const gone = views.find((v) => v.status === "missing-in-registry");
  if (gone) return `${ONLY_COPY} (its registry answers 404 for ${gone.reference})`;
  if (image.repoDigests.length === 0) return defaultUnrecoverableReason(image);
  const unresolved = views.find((v) => v.registryDigest === null);
  if (unresolved) {
    const why = unresolved.resolveError ?? "not resolved yet";
    return `maybe the only copy: registry unresolved for ${unresolved.reference} (${why})`;
  }
  const moved = views[0];
  if (moved?.registryDigest) {
    return `maybe the only copy: ${moved.reference} now points at ${shortDigest(moved.registryDigest)}; whether the registry still has this image's digest is not known`;
  }
  return defaultUnrecoverableReason(image);
}

/** Facts about each of `images` (one node's, named `node` in the views), from the tag views. Pure. */
export function recoverabilityFacts(
  node: string,
  images: readonly NodeImage[],
  tagViews: readonly TagView[],
): RecoverabilityFacts {
  const served = servedDigests(tagViews);
  const viewsOf = new Map<string, TagView[]>();
  for (const view of tagViews) {
    for (const holder of view.nodes) {
      if (holder.node !== node) continue;
      const list = viewsOf.get(holder.imageId);
      if (list) list.push(view);
      else viewsOf.set(holder.imageId, [view]);
    }
  }
  const facts: RecoverabilityFacts = { recoverable: [], unrecoverable: {} };
  for (const image of images) {
    const isServed = image.repoDigests.some((entry) => {
      const name = parsedRepoDigest(entry);
      return name !== null && served.has(`${name.repository}@${name.digest}`);
    });
    if (isServed) facts.recoverable.push(image.id);
    else facts.unrecoverable[image.id] = reasonFor(image, viewsOf.get(image.id) ?? []);
  }
  facts.recoverable.sort();
  return facts;
}

/**
 * Why `image` must stay as a possible only copy, or null when a registry
 * serves it (or the job allows removing unrecoverable images).
 */
export function unrecoverableReason(
  image: NodeImage,
  facts: { recoverable: ReadonlySet<string>; unrecoverable: Readonly<Record<string, string>>; allow: boolean },
): string | null {
  if (facts.allow || facts.recoverable.has(image.id)) return null;
  return facts.unrecoverable[image.id] ?? defaultUnrecoverableReason(image);
}
