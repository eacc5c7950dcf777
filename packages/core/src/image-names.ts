/**
 * The parsed names of images (their tags and repo digests). A cluster has
 * hundreds of thousands of images but a few thousand distinct names, and the
 * findings engine looks at each image several times: every distinct name
 * string is parsed once (a bounded memo), and the common image (one tag, one
 * repo digest) is read without allocating. Results are shared and frozen.
 * Internal to the findings engine (not re-exported).
 */
import { boundedMemo, MEMO_LIMIT } from "./bounded-memo.js";
import { type ImageRef, parseRepoDigest, repositoryOf, tagOf, tryParseImageRef } from "./image-ref.js";
import type { NodeImage } from "./inventory.js";

/** A tag as an image lists it, normalised (`host/repo:tag`), with its repository (`host/repo`). */
export interface TagName {
  readonly tag: string;
  readonly repository: string;
  /** `[this]`, shared: the list of an image (or container) that has this one tag. */
  readonly alone: readonly TagName[];
}

/** A repo digest as an image lists it: the normalised repository and the digest. */
export interface RepoDigestName {
  readonly repository: string;
  readonly digest: string;
  /** `[digest]`, shared: the digest list of an image with this one repo digest for the repository. */
  readonly alone: readonly string[];
}

export interface ImageNames {
  /** The image's tags, normalised (`host/repo:tag`), with their repository (`host/repo`); invalid ones left out. */
  tags: ReadonlyMap<string, string>;
  /** Repo digests by repository, each list sorted and distinct. */
  digests: ReadonlyMap<string, readonly string[]>;
}

/** A bare image id, as kubelet hands it to containerd: never a tag. */
const IMAGE_ID = /^(?:sha256:)?[a-f0-9]{64}$/;

const NO_DIGESTS: readonly string[] = Object.freeze([]);

/** tryParseImageRef, memoised per string; the result is shared and frozen. */
export const parsedReference = boundedMemo((reference: string): Readonly<ImageRef> | null => {
  const ref = tryParseImageRef(reference);
  return ref === null ? null : Object.freeze(ref);
});

/** A reference with a tag and no digest, normalised, with its repository; null otherwise. Memoised per string. */
export const parsedTag = boundedMemo((reference: string): TagName | null => {
  if (reference === "") return null;
  const ref = tryParseImageRef(reference);
  const tag = ref !== null && ref.digest === null ? tagOf(ref) : null;
  if (ref === null || tag === null) return null;
  const alone: TagName[] = [];
  const name: TagName = Object.freeze({ tag, repository: repositoryOf(ref), alone });
  alone.push(name);
  Object.freeze(alone);
  return name;
});

/** A repoDigests entry split into repository and digest (parseRepoDigest); null when invalid. Memoised per string. */
export const parsedRepoDigest = boundedMemo((entry: string): RepoDigestName | null => {
  const parsed = parseRepoDigest(entry);
  if (parsed === null) return null;
  return Object.freeze({ ...parsed, alone: Object.freeze([parsed.digest]) });
});

/**
 * The last single repo digest entry looked up per repository, and its digest
 * list. Images that share a tag mostly carry the same entry, and comparing it
 * with the last one is cheaper than hashing it for the memo: every node's
 * inventory has its own copy of each string, and hashing a long string reads
 * it all (and first copies it, when it was built by concatenation).
 */
const recent = new Map<string, { entry: string; digests: readonly string[] }>();

/**
 * The image's repo digests for one repository, sorted and distinct (maybe
 * none). Shared and frozen; allocates only for an image with several repo
 * digests.
 */
export function repoDigestsOf(image: NodeImage, repository: string): readonly string[] {
  const entries = image.repoDigests;
  if (entries.length === 1) {
    const entry = entries[0] ?? "";
    const last = recent.get(repository);
    if (last !== undefined && last.entry === entry) return last.digests;
    const only = parsedRepoDigest(entry);
    const digests = only !== null && only.repository === repository ? only.alone : NO_DIGESTS;
    if (recent.size >= MEMO_LIMIT) recent.clear();
    recent.set(repository, { entry, digests });
    return digests;
  }
  let first: RepoDigestName | null = null;
  let set: Set<string> | null = null;
  for (const entry of entries) {
    const parsed = parsedRepoDigest(entry);
    if (parsed === null || parsed.repository !== repository) continue;
    if (first === null) first = parsed;
    else if (parsed.digest !== first.digest) {
      set ??= new Set([first.digest]);
      set.add(parsed.digest);
    }
  }
  if (set !== null) return Object.freeze([...set].sort());
  return first === null ? NO_DIGESTS : first.alone;
}

/** Whether the image has a repo digest for the repository. */
export function hasRepoDigest(image: NodeImage, repository: string): boolean {
  for (const entry of image.repoDigests) {
    if (parsedRepoDigest(entry)?.repository === repository) return true;
  }
  return false;
}

const cache = new WeakMap<NodeImage, ImageNames>();

/** The image's names, as maps, computed once per image object. */
export function imageNames(image: NodeImage): ImageNames {
  const cached = cache.get(image);
  if (cached !== undefined) return cached;
  const tags = new Map<string, string>();
  for (const raw of image.repoTags) {
    const parsed = parsedTag(raw);
    if (parsed !== null) tags.set(parsed.tag, parsed.repository);
  }
  const digests = new Map<string, readonly string[]>();
  for (const entry of image.repoDigests) {
    const parsed = parsedRepoDigest(entry);
    if (parsed !== null && !digests.has(parsed.repository)) {
      digests.set(parsed.repository, repoDigestsOf(image, parsed.repository));
    }
  }
  const names = { tags, digests };
  cache.set(image, names);
  return names;
}

/**
 * Whether `s` is an image id (`sha256:<hex>` or bare hex): not a reference, and parsing it would fail by a (slow) throw.
 * Memoised per string: every container names its image by id.
 */
export const isImageId = boundedMemo((s: string): boolean => IMAGE_ID.test(s));
