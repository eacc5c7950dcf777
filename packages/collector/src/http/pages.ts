/**
 * The pages of the long lists of docs/ARCHITECTURE.md#rest-api. At 5,000 nodes one tag or one
 * finding names 5,000 nodes, so a page ends at `limit` items or sooner, once
 * it names PAGE_NAMES nodes (and pods); `nextCursor` (null on the last page)
 * is the `cursor` of the next. Clients that follow it (the CLI, the web page)
 * get every item; a small cluster's list is one page.
 */
import {
  compareText,
  type Finding,
  type FindingItem,
  ImagedriftError,
  type Page,
  summaryOfTag,
  type TagItem,
  type TagStatus,
} from "@imagedrift/core";
import type { DriftService } from "../drift/index.js";
import { comparePlaces, type FindingPlace, findingPlace } from "../store/index.js";

/** A page ends once its items name this many nodes and pods. */
export const PAGE_NAMES = 5_000;
export const DEFAULT_LIMIT = 500;
const MAX_LIMIT = 5_000;

export function pageLimit(value: unknown): number {
  if (value === undefined || value === "") return DEFAULT_LIMIT;
  const limit = typeof value === "string" && /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) {
    throw new ImagedriftError(
      "invalid-argument",
      `limit=${JSON.stringify(value)} is not an integer from 1 to ${MAX_LIMIT}`,
    );
  }
  return limit;
}

/** The first index of `sorted` (in `compare`'s order) whose item comes after `cursor`. */
function after<T, C>(sorted: readonly T[], cursor: C, compare: (item: T, cursor: C) => number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compare(sorted[mid] as T, cursor) <= 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * One page of tags (sorted by reference), as views or as summaries; the cursor
 * is the last reference.
 */
export function tagsPage(
  drift: DriftService,
  query: { status: TagStatus | undefined; summary: boolean; limit: number; cursor: string | undefined },
): Page<TagItem> {
  const { status, summary, limit, cursor } = query;
  const tags = drift.tags;
  const matches = (tag: string) => status === undefined || (drift.tagSummary(tag)?.status ?? status) === status;
  const items: TagItem[] = [];
  let names = 0;
  let i = cursor === undefined ? 0 : after(tags, cursor, compareText);
  for (; i < tags.length && items.length < limit && names < PAGE_NAMES; i++) {
    const tag = tags[i] ?? "";
    if (!matches(tag)) continue;
    const view = drift.tagView(tag);
    if (view === null || (status !== undefined && view.status !== status)) continue;
    const item = summary ? summaryOfTag(view) : view;
    items.push(item);
    names += "nodes" in item ? item.nodes.length : item.digests.length;
  }
  while (i < tags.length && !matches(tags[i] ?? "")) i++;
  const last = items.at(-1);
  return { items, nextCursor: i < tags.length && last !== undefined ? last.reference : null };
}

/** The cursor after a finding: opaque, and good even when that finding has closed since. */
function cursorAfter(finding: Finding): string {
  return Buffer.from(JSON.stringify(findingPlace(finding))).toString("base64url");
}

function placeOfCursor(cursor: string): FindingPlace {
  let place: unknown;
  try {
    place = JSON.parse(Buffer.from(cursor, "base64url").toString());
  } catch {
    place = undefined;
  }
  if (!Array.isArray(place) || place.length !== 4 || !place.every((part) => typeof part === "string")) {
    throw new ImagedriftError(
      "invalid-argument",
      `cursor=${JSON.stringify(cursor.slice(0, 100))} is not a cursor of GET /api/v1/findings: pass the nextCursor of the previous page`,
    );
  }
  return place as unknown as FindingPlace;
}

/**
 * One page of findings, sorted as FindingStore.list gives them, each with
 * its key as `id`; the cursor names the place of the last one.
 */
export function findingsPage(sorted: readonly Finding[], limit: number, cursor: string | undefined): Page<FindingItem> {
  let i = cursor === undefined ? 0 : after(sorted, placeOfCursor(cursor), (f, c) => comparePlaces(findingPlace(f), c));
  const items: FindingItem[] = [];
  let names = 0;
  for (; i < sorted.length && items.length < limit && names < PAGE_NAMES; i++) {
    const { key: id, ...finding } = sorted[i] as Finding;
    items.push({ id, ...finding });
    names += finding.nodes.length + finding.pods.length;
  }
  const last = sorted[i - 1];
  return { items, nextCursor: i < sorted.length && last !== undefined ? cursorAfter(last) : null };
}
