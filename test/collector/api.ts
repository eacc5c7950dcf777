/** Small typed reads of the collector's REST API for end-to-end tests. */
import type { FindingItem, NodeImageItem, NodeItem, Page, TagView } from "@imagedrift/core";

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
