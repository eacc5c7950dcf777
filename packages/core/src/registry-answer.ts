/**
 * What the registry answered for a tag, in words, from a tag view alone: the
 * one wording `imagedrift tags` and `imagedrift verify` (and anything else
 * that names a tag's registry state) share. A view keeps the resolution in
 * three fields: a digest when found, an error when the registry could not be
 * asked, and a resolve time with neither when it answered 404.
 */
import type { TagView } from "./drift-types.js";

export type RegistryAnswer = "found" | "not-found" | "error" | "not-asked";

type TagRegistryFields = Pick<TagView, "status" | "registryDigest" | "resolveError" | "resolvedAt">;

export function registryAnswerOf(tag: TagRegistryFields): RegistryAnswer {
  if (tag.registryDigest !== null) return "found";
  if (tag.resolveError !== null && tag.resolveError !== "") return "error";
  return tag.resolvedAt === null ? "not-asked" : "not-found";
}

/**
 * `registry: sha256:0123456789ab`, `not in the registry (HTTP 404)`,
 * `registry unresolved: <error>`, `registry not asked yet`; a local-only tag
 * (no node has a repo digest for it) says so first, as its status does.
 */
export function describeRegistryAnswer(tag: TagRegistryFields): string {
  const answer = registryAnswerOf(tag);
  const registry =
    answer === "found"
      ? `registry: ${tag.registryDigest?.slice(0, "sha256:".length + 12)}`
      : answer === "not-found"
        ? "not in the registry (HTTP 404)"
        : answer === "error"
          ? `registry unresolved: ${tag.resolveError}`
          : "registry not asked yet";
  if (tag.status !== "local-only") return registry;
  return `local-only: no node has a repo digest for it (built or imported there, never pulled); ${registry}`;
}
