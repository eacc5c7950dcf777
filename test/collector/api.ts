/** Small typed reads of the collector's REST API for end-to-end tests, and waits on what they read. */
import type { FindingItem, NodeImageItem, NodeItem, Page, TagView } from "@imagedrift/core";
import { waitFor } from "../lab/wait.js";

/** Every item of a list, following `nextCursor` through the pages of a paginated one (tags, findings). */
export async function getItems<T>(url: string, path: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const page: string =
      cursor === null ? path : `${path}${path.includes("?") ? "&" : "?"}cursor=${encodeURIComponent(cursor)}`;
    const response = await fetch(`${url}${page}`);
    if (!response.ok) throw new Error(`GET ${page}: ${response.status} ${await response.text()}`);
    const body = (await response.json()) as Partial<Page<T>> & Pick<Page<T>, "items">;
    items.push(...body.items);
    cursor = body.nextCursor ?? null;
  } while (cursor !== null);
  return items;
}

export const nodes = (url: string) => getItems<NodeItem>(url, "/api/v1/nodes");
export const tags = (url: string) => getItems<TagView>(url, "/api/v1/tags");
export const findings = (url: string) => getItems<FindingItem>(url, "/api/v1/findings");
export const images = (url: string, node: string) => getItems<NodeImageItem>(url, `/api/v1/nodes/${node}/images`);

export async function tag(url: string, reference: string): Promise<TagView | undefined> {
  return (await tags(url)).find((t) => t.reference === reference);
}

/** Waits until `node` is listed as reporting: its agent reached the collector and sent an inventory. */
export function waitForReporting(
  url: string,
  node: string,
  options: { what?: string; timeoutMs?: number } = {},
): Promise<NodeItem> {
  return waitFor(async () => (await nodes(url)).find((n) => n.name === node && n.state === "reporting"), {
    what: options.what ?? `${node} reporting`,
    timeoutMs: options.timeoutMs ?? 30_000,
  });
}

/** Waits until the tag `reference` is listed and passes `check`; returns it. */
export function waitForTag(url: string, reference: string, check: (t: TagView) => boolean): Promise<TagView> {
  return waitFor(
    async () => {
      const view = await tag(url, reference);
      return view !== undefined && check(view) ? view : undefined;
    },
    { what: `${reference} to be as expected`, timeoutMs: 20_000, intervalMs: 100 },
  );
}
