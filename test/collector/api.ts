/** Small typed reads of the collector's REST API for end-to-end tests. */
import type { Finding, TagView } from "@imagedrift/core";

export interface NodeItem {
  name: string;
  runtime: { name: string; version: string };
  lastReportAt: string;
  state: "reporting" | "missing";
  imageCount: number;
  imageBytes: number;
  imageFs: { usedBytes: number };
}

export interface ImageItem {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
  pinned: boolean;
  inUse: boolean;
  containers: { id: string; pod: string; namespace: string; container: string; state: string }[];
}

export async function getItems<T>(url: string, path: string): Promise<T[]> {
  const response = await fetch(`${url}${path}`);
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { items: T[] }).items;
}

export const nodes = (url: string) => getItems<NodeItem>(url, "/api/v1/nodes");
export const tags = (url: string) => getItems<TagView>(url, "/api/v1/tags");
export const findings = (url: string) => getItems<Finding & { id: string }>(url, "/api/v1/findings");
export const images = (url: string, node: string) => getItems<ImageItem>(url, `/api/v1/nodes/${node}/images`);

export async function tag(url: string, reference: string): Promise<TagView | undefined> {
  return (await tags(url)).find((t) => t.reference === reference);
}
