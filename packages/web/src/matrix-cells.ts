/**
 * The matrix's three kinds of cell, drawn from the API data. Each returns a
 * signature with its element so the grid only redraws what changed (a poll
 * that brings the same data leaves the DOM, focus included, untouched).
 */

import { shortDigest } from "@imagedrift/core";
import type { NodeItem, TagView } from "./api-types.js";
import type { RowModel } from "./digest-groups.js";
import { h } from "./dom.js";
import { formatAge, formatBytes, splitReference } from "./format.js";
import { badge, GROUP_STYLES, groupStyle, TAG_BADGES } from "./palette.js";

export const STATUS_TEXT = { current: "✓ current", stale: "✗ stale", unknown: "? unknown" } as const;

/** A holder's state against the registry in words, from its status and, when unknown, what the registry said. */
export function holderStatus(
  tag: Pick<TagView, "status">,
  status: keyof typeof STATUS_TEXT,
): { text: string; className: string } {
  if (status === "unknown" && tag.status === "missing-in-registry") {
    return { text: "⌀ not in registry", className: "s-missing" };
  }
  if (status === "unknown" && tag.status === "local-only") return { text: "⌂ never pushed", className: "s-missing" };
  return { text: STATUS_TEXT[status], className: `s-${status}` };
}

export function tagBadge(status: TagView["status"]): HTMLElement {
  return badge(TAG_BADGES[status], status);
}

export function columnHeaderSignature(node: NodeItem): string {
  return `${node.name}|${node.state}|${node.imageCount}|${node.scanMode ?? ""}`;
}

export function fillColumnHeader(el: HTMLElement, node: NodeItem): void {
  el.title = `${node.name}: ${node.state}, ${node.imageCount} images (${formatBytes(node.imageBytes)}), ${scanModeText(node)}. Enter: node detail`;
  el.replaceChildren(
    h("span", { class: "node-name" }, node.name),
    h(
      "span",
      { class: `node-meta node-${node.state}` },
      node.state === "reporting" ? "● reporting" : "✗ missing",
      ` · ${node.imageCount} img`,
    ),
  );
}

/** How the node's agent learns of changes, in words (docs/ARCHITECTURE.md, "The agent"). */
export function scanModeText(node: NodeItem): string {
  if (node.scanMode === "events") return "events: rescans on the runtime's events";
  if (node.scanMode === "polling") return "polling: rescans every interval";
  return "scan mode not said by its agent";
}

/** When and why the registry was last asked about the tag: `2m ago, on a push notification`. */
export function resolvedText(tag: Pick<TagView, "resolvedAt" | "resolvedBy">): string {
  if (tag.resolvedAt === null) return "never";
  const why = tag.resolvedBy === null || tag.resolvedBy === undefined ? "" : `, ${RESOLVED_BY_TEXT[tag.resolvedBy]}`;
  return `${formatAge(tag.resolvedAt)}${why}`;
}

const RESOLVED_BY_TEXT: Record<NonNullable<TagView["resolvedBy"]>, string> = {
  poll: "by the periodic resolve (poll)",
  event: "on a registry push notification (event)",
  job: "for a job about to pull (job)",
  inventory: "when a node first reported it (inventory)",
};

export function rowHeaderSignature(row: RowModel): string {
  const { tag } = row;
  return `${tag.reference}|${tag.status}|${tag.registryDigest}|${tag.resolvedBy}|${row.groups.length}`;
}

export function fillRowHeader(el: HTMLElement, row: RowModel): void {
  const { tag } = row;
  const { host, name } = splitReference(tag.reference);
  el.title = `${tag.reference}\nstatus: ${tag.status}\nregistry: ${tag.registryDigest ?? tag.resolveError ?? "not resolved"}\nresolved: ${resolvedText(tag)}\nEnter: tag detail`;
  const digests = row.groups.length === 1 ? "1 digest" : `${row.groups.length} digests`;
  el.replaceChildren(
    h(
      "span",
      { class: "ref" },
      host ? h("span", { class: "host" }, `${host}/`) : null,
      h("span", { class: "name" }, name),
    ),
    h(
      "span",
      { class: "rowmeta" },
      tagBadge(tag.status),
      h("span", {}, digests),
      h("span", { class: "mono" }, `reg ${tag.registryDigest ? shortDigest(tag.registryDigest) : "—"}`),
    ),
  );
}

export function cellSignature(row: RowModel, node: string): string {
  const holder = row.holders.get(node);
  if (!holder) return "-";
  return `${holder.digest ?? holder.imageId}|${holder.status}|${row.tag.status}|${row.groupOfNode.get(node)?.index}|${row.groups.length}`;
}

export function fillCell(el: HTMLElement, row: RowModel, node: string): void {
  const holder = row.holders.get(node);
  const group = row.groupOfNode.get(node);
  if (!holder || !group) {
    el.className = "cell empty";
    el.setAttribute("aria-label", `${node}: not held`);
    el.removeAttribute("title");
    el.replaceChildren();
    return;
  }
  const style = groupStyle(group.index);
  const digest = holder.digest ? shortDigest(holder.digest) : "no digest";
  const status = holderStatus(row.tag, holder.status);
  el.className = `cell g${group.index % GROUP_STYLES.length} ${status.className}`;
  const registry = holder.platformMatch
    ? ", the registry's image for its platform"
    : group.matchesRegistry
      ? ", the registry's digest"
      : "";
  el.setAttribute(
    "aria-label",
    `${node}: ${digest}, digest ${style.letter}, one of ${row.groups.length}${registry}, ${status.text.slice(2)}`,
  );
  el.title = `${holder.digest ?? "no repo digest"}\nimage ${holder.imageId}\n${status.text.slice(2)} (against the registry)`;
  el.replaceChildren(
    // A column is 136px: the cell drops the `sha256:` every digest in the grid shares; its label and title keep it.
    h("span", { class: "digest" }, digest.replace(/^sha256:/, "")),
    h(
      "span",
      { class: "meta" },
      h("span", { class: "mk", "aria-hidden": "true" }, `${style.shape}${style.letter}`),
      h("span", { class: "st" }, status.text),
    ),
  );
}
