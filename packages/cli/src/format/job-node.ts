/**
 * One node's share of a job in words: what it pulled or removed (or would,
 * in a dry run), for progress lines (`worker-2 succeeded: pulled
 * 127.0.0.1:5000/shop/web:latest sha256:0123456789ab (verified)`) and the
 * RESULT column of the summary table.
 */

import type { JobNodeItem, NodeJobState, PulledImage, RemovedImage } from "@imagedrift/core";
import { formatBytes, shortDigest } from "@imagedrift/core";
import { familiarRef, listSome } from "./reference.js";
import type { Style } from "./style.js";

/** Beyond this many pulled images a node's result is counted rather than listed. */
const LISTED_PULLS = 2;

export function nodeStateCell(state: NodeJobState, style: Style): string {
  if (state === "succeeded") return style.green(state);
  if (state === "failed") return style.red(state);
  if (state === "cancelled") return style.yellow(state);
  if (state === "skipped" || state === "pending") return style.dim(state);
  return state;
}

function verification(verified: boolean | null): string {
  if (verified === true) return " (verified)";
  if (verified === false) return " (not the digest the registry gave)";
  return "";
}

/** `pulled nginx:1.27 sha256:0123456789ab (verified)`, `would pull nginx:1.27`, `nginx:1.27 failed: …`. */
export function pulledText(pulled: PulledImage, dryRun: boolean): string {
  const ref = familiarRef(pulled.ref);
  if (pulled.error !== undefined && pulled.error !== "") return `${ref} failed: ${pulled.error}`;
  if (dryRun) return pulled.alreadyPresent ? `${ref} already present` : `would pull ${ref}`;
  const what = pulled.alreadyPresent ? `${ref} already present` : `pulled ${ref}`;
  const digest = pulled.digest === null ? "" : ` ${shortDigest(pulled.digest)}`;
  return `${what}${digest}${verification(pulled.verified)}`;
}

/** `pulled 5 images (3 verified, 1 already present, 1 failed)`. */
function pulledCount(pulled: readonly PulledImage[], dryRun: boolean): string {
  const failed = pulled.filter((p) => p.error !== undefined && p.error !== "");
  const ok = pulled.filter((p) => !failed.includes(p));
  const count = (n: number, what: string) => (n > 0 ? `${n} ${what}` : "");
  const notes = [
    dryRun ? "" : count(ok.filter((p) => p.verified === true).length, "verified"),
    dryRun ? "" : count(ok.filter((p) => p.verified === false).length, "not at the registry's digest"),
    count(ok.filter((p) => p.alreadyPresent).length, "already present"),
    count(failed.length, "failed"),
  ].filter((note) => note !== "");
  const verb = dryRun ? "would pull" : "pulled";
  return `${verb} ${pulled.length} images${notes.length > 0 ? ` (${notes.join(", ")})` : ""}`;
}

/** An image as people know it: its first tag, else its short id. */
export function imageLabel(image: { id: string; repoTags: readonly string[] }): string {
  const tag = image.repoTags[0];
  return tag === undefined ? shortDigest(image.id) : familiarRef(tag);
}

export function removedBytes(removed: readonly RemovedImage[]): number {
  return removed.reduce((sum, image) => sum + image.bytes, 0);
}

/** What the node pulled, removed and kept; "" when nothing (yet). */
export function nodeResult(node: JobNodeItem, dryRun: boolean): string {
  const parts: string[] = [];
  const pulled = node.pulled ?? [];
  if (pulled.length > LISTED_PULLS) parts.push(pulledCount(pulled, dryRun));
  else parts.push(...pulled.map((p) => pulledText(p, dryRun)));
  const removed = node.removed ?? [];
  if (removed.length > 0) {
    const verb = dryRun ? "would remove" : "removed";
    parts.push(`${verb} ${listSome(removed.map(imageLabel), 2)} (${formatBytes(removedBytes(removed))})`);
  }
  const kept = node.skipped?.length ?? 0;
  if (kept > 0) parts.push(`kept ${kept} in use or protected`);
  return parts.join("; ");
}

/** The agent's count of a pull (`pulled 1, already present 0, failed 1`): the result says it image by image. */
const PULL_COUNTS = /^(?:would pull|pulled) \d+, already present \d+, failed \d+:?\s*/;

/**
 * What the node's message says beyond its result: "" when the result says it
 * all. The agent's message repeats the pull counts and each pull error the
 * result already shows (`app failed: <containerd error>`), so those parts go.
 */
export function messageBeyondResult(node: JobNodeItem, result: string): string {
  let message = node.message.trim();
  if (message === "" || result.includes(message)) return "";
  if ((node.pulled ?? []).length > 0) message = message.replace(PULL_COUNTS, "");
  for (const pulled of node.pulled ?? []) {
    const error = pulled.error?.trim() ?? "";
    if (error !== "" && result.includes(error)) message = message.replaceAll(error, "");
  }
  return message.replace(/^[\s;:,]+|[\s;:,]+$/g, "").replace(/(?:\s*;\s*){2,}/g, "; ");
}

/** A progress line: `worker-2 succeeded: pulled … (verified)`, `worker-3 failed: … (attempt 3)`. */
export function nodeLine(node: JobNodeItem, dryRun: boolean, style: Style): string {
  const result = nodeResult(node, dryRun);
  const details = [result, messageBeyondResult(node, result)].filter((part) => part !== "").join("; ");
  const attempts = node.attempts ?? 0;
  const retried = attempts > 1 && (node.state === "running" || node.state === "failed") ? ` (attempt ${attempts})` : "";
  const detail = details === "" ? retried : `: ${details}${retried}`;
  return `${node.node} ${nodeStateCell(node.state, style)}${detail}`;
}
