/**
 * Image patterns (a prune's include, exclude and keep) are globs over normalised references:
 * `*` matches within a path segment, `**` across segments. They are
 * normalised like references (`nginx:*` → `docker.io/library/nginx:*`); a
 * leading `**`, or a `*` in the first of several segments, stands for the host
 * and is left as written. A pattern with a tag or digest (`repo:*`,
 * `repo@sha256:*`) matches the image's tags and repo digests; a pattern
 * without one (`127.0.0.1:5000/demo/**`) matches the repositories of its tags
 * and repo digests: any tag of them, and a dangling image by the repository it
 * was pulled from.
 */
import { ImagedriftError } from "./errors.js";
import { formatImageRef, repositoryOf, tryParseImageRef } from "./image-ref.js";
import type { NodeImage } from "./inventory.js";

export interface Pattern {
  source: string;
  regex: RegExp;
  /** Matches references (with tag or digest) rather than repositories. */
  withTag: boolean;
}

/** Normalises a pattern's registry host as references are: Docker Hub names get `docker.io/` (and `library/`). */
function normalisePattern(pattern: string): string {
  const slash = pattern.indexOf("/");
  const first = slash < 0 ? pattern : pattern.slice(0, slash);
  if (pattern.startsWith("**")) return pattern;
  if (slash < 0) return `docker.io/library/${pattern}`;
  if (first.includes("*")) return pattern;
  if (first === "index.docker.io") return `docker.io${pattern.slice(slash)}`;
  if (first === "localhost" || first.includes(".") || first.includes(":")) return pattern;
  return `docker.io/${pattern}`;
}

export function compilePattern(source: string): Pattern {
  if (source === "" || /\s/.test(source))
    throw new ImagedriftError(
      "invalid-argument",
      `invalid image pattern ${JSON.stringify(source)}: must be non-empty without spaces`,
    );
  const normalised = normalisePattern(source);
  const body = normalised
    .split(/(\*\*|\*)/)
    .map((part) => (part === "**" ? ".*" : part === "*" ? "[^/]*" : part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
  const last = normalised.slice(normalised.lastIndexOf("/") + 1);
  return { source, regex: new RegExp(`^${body}$`), withTag: last.includes(":") || normalised.includes("@") };
}

/** The image's normalised references (tags and repo digests) and their repositories. */
export function namesOf(image: NodeImage): { refs: string[]; repositories: string[] } {
  const refs: string[] = [];
  const repositories = new Set<string>();
  for (const raw of [...image.repoTags, ...image.repoDigests]) {
    const ref = tryParseImageRef(raw);
    refs.push(ref === null ? raw : formatImageRef(ref));
    if (ref !== null) repositories.add(repositoryOf(ref));
  }
  return { refs, repositories: [...repositories] };
}

export function matches(pattern: Pattern, names: { refs: string[]; repositories: string[] }): boolean {
  return (pattern.withTag ? names.refs : names.repositories).some((name) => pattern.regex.test(name));
}

/** Whether a pattern (as in include, exclude, keep) matches an image. Throws on an invalid pattern. */
export function imageMatchesPattern(image: NodeImage, pattern: string): boolean {
  return matches(compilePattern(pattern), namesOf(image));
}
