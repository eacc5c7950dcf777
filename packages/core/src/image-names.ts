/**
 * The parsed names of one image (its tags and repo digests), computed once
 * per image object: a cluster has hundreds of thousands of them and the
 * findings engine looks at each several times. Inventories are treated as
 * immutable. Internal to the findings engine (not re-exported).
 */
import { parseRepoDigest, repositoryOf, tagOf, tryParseImageRef } from "./image-ref.js";
import type { NodeImage } from "./inventory.js";

export interface ImageNames {
  /** The image's tags, normalised (`host/repo:tag`), with their repository (`host/repo`); invalid ones left out. */
  tags: ReadonlyMap<string, string>;
  /** Repo digests by repository, each list sorted and distinct. */
  digests: ReadonlyMap<string, readonly string[]>;
}

/** A bare image id, as kubelet hands it to containerd: never a tag. */
const IMAGE_ID = /^(?:sha256:)?[a-f0-9]{64}$/;

const cache = new WeakMap<NodeImage, ImageNames>();

/** The image's names, parsed once per image object. */
export function imageNames(image: NodeImage): ImageNames {
  const cached = cache.get(image);
  if (cached !== undefined) return cached;
  const tags = new Map<string, string>();
  for (const raw of image.repoTags) {
    const parsed = parseTag(raw);
    if (parsed !== null) tags.set(parsed.tag, parsed.repository);
  }
  const sets = new Map<string, Set<string>>();
  for (const entry of image.repoDigests) {
    const parsed = parseRepoDigest(entry);
    if (parsed === null) continue;
    const set = sets.get(parsed.repository) ?? new Set<string>();
    set.add(parsed.digest);
    sets.set(parsed.repository, set);
  }
  const digests = new Map([...sets].map(([repository, set]) => [repository, [...set].sort()]));
  const names = { tags, digests };
  cache.set(image, names);
  return names;
}

/** Whether `s` is an image id (`sha256:<hex>` or bare hex): not a reference, and parsing it would fail by a (slow) throw. */
export function isImageId(s: string): boolean {
  return IMAGE_ID.test(s);
}

/** A reference with a tag and no digest, normalised, with its repository; null otherwise. */
function parseTag(reference: string): { tag: string; repository: string } | null {
  if (reference === "") return null;
  const ref = tryParseImageRef(reference);
  const tag = ref !== null && ref.digest === null ? tagOf(ref) : null;
  return ref === null || tag === null ? null : { tag, repository: repositoryOf(ref) };
}
