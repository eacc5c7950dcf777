/** Which rows the matrix shows: status, free text (reference or digest prefix), namespace. Pure. */
import type { TagStatus, TagView } from "./api-types.js";

export type StatusFilter = "" | "drift" | TagStatus;

export interface TagFilter {
  status: StatusFilter;
  text: string;
  /** "" for every namespace. */
  namespace: string;
}

/** What needs a look: every status but current and unresolved. */
export const DRIFT_STATUSES: readonly TagStatus[] = ["inconsistent", "stale", "missing-in-registry", "local-only"];

const HEX = /^(sha256:)?[0-9a-f]{4,64}$/;

function matchesText(tag: TagView, text: string): boolean {
  if (tag.reference.toLowerCase().includes(text)) return true;
  if (!HEX.test(text)) return false;
  const prefix = text.replace(/^sha256:/, "");
  const hexOf = (digest: string | null) => (digest ?? "").replace(/^sha256:/, "");
  return (
    hexOf(tag.registryDigest).startsWith(prefix) ||
    tag.nodes.some((n) => hexOf(n.digest).startsWith(prefix) || hexOf(n.imageId).startsWith(prefix))
  );
}

/**
 * `namespaceTags` is the set of references pods of the chosen namespace use;
 * null while it is not known yet (the filter then shows nothing rather than everything).
 */
export function filterTags(
  tags: readonly TagView[],
  filter: TagFilter,
  namespaceTags: ReadonlySet<string> | null,
): TagView[] {
  const text = filter.text.trim().toLowerCase();
  return tags.filter((tag) => {
    if (
      filter.status === "drift" ? !DRIFT_STATUSES.includes(tag.status) : filter.status && tag.status !== filter.status
    )
      return false;
    if (text && !matchesText(tag, text)) return false;
    if (filter.namespace && !namespaceTags?.has(tag.reference)) return false;
    return true;
  });
}

export function statusCounts(tags: readonly TagView[]): Map<TagStatus, number> {
  const counts = new Map<TagStatus, number>();
  for (const tag of tags) counts.set(tag.status, (counts.get(tag.status) ?? 0) + 1);
  return counts;
}
