/**
 * Honest per-node and per-job outcomes: a node succeeds only when the agent
 * says so and its result shows every image pulled at the expected digest;
 * messages name images by reference.
 */
import {
  type CommandResult,
  type CommandSpec,
  formatBytes,
  formatImageRef,
  type JobNode,
  type JobState,
  REGISTRY_REFUSAL_CODES,
  tryParseImageRef,
} from "@imagedrift/core";

const MAX_LISTED = 5;

function names(items: readonly string[]): string {
  if (items.length <= MAX_LISTED) return items.join(", ");
  return `${items.slice(0, MAX_LISTED).join(", ")}, … (+${items.length - MAX_LISTED})`;
}

function normalised(ref: string): string {
  const parsed = tryParseImageRef(ref);
  return parsed ? formatImageRef(parsed) : ref;
}

const shortId = (id: string) => id.replace(/^sha256:/, "").slice(0, 12);

/** Results of several steps (pull, then remove) as one. */
export function mergeResults(results: readonly CommandResult[]): CommandResult {
  const merged: CommandResult = {};
  for (const r of results) {
    if (r.pulled) merged.pulled = [...(merged.pulled ?? []), ...r.pulled];
    if (r.removed) merged.removed = [...(merged.removed ?? []), ...r.removed];
    if (r.skipped) merged.skipped = [...(merged.skipped ?? []), ...r.skipped];
    if (r.reclaimedBytes !== undefined) merged.reclaimedBytes = (merged.reclaimedBytes ?? 0) + r.reclaimedBytes;
    if (r.dryRun !== undefined) merged.dryRun = (merged.dryRun ?? false) || r.dryRun;
  }
  return merged;
}

/** Why a step the agent called succeeded is not a success, or null when it is one. */
export function resultProblem(spec: CommandSpec, result: CommandResult): string | null {
  if (spec.type !== "pull") return null;
  const pulled = new Map((result.pulled ?? []).map((p) => [normalised(p.ref), p]));
  for (const item of spec.images) {
    const p = pulled.get(item.ref);
    if (p === undefined) {
      if (spec.dryRun) continue;
      return `the agent did not report pulling ${item.ref}`;
    }
    if (p.error) return p.error.includes(item.ref) ? p.error : `${item.ref}: ${p.error}`;
    if (p.verified === false) {
      return `${item.ref}: the node got ${p.digest ?? "no digest"}, not the registry's ${item.expectedDigest}`;
    }
  }
  return null;
}

/**
 * Whether a failed step would fail the same way if sent again: every pull
 * that failed was refused by the registry (no such tag, credentials refused).
 */
export function isFinalFailure(result: CommandResult): boolean {
  const failed = (result.pulled ?? []).filter((p) => p.error !== undefined);
  return failed.length > 0 && failed.every((p) => p.errorCode !== undefined && REGISTRY_REFUSAL_CODES.has(p.errorCode));
}

function describePull(result: CommandResult, dryRun: boolean): string {
  const pulled = result.pulled ?? [];
  const fetched = pulled.filter((p) => !p.alreadyPresent).map((p) => p.ref);
  const present = pulled.filter((p) => p.alreadyPresent).map((p) => p.ref);
  const parts: string[] = [];
  if (fetched.length) parts.push(`${dryRun ? "would pull" : "pulled"} ${names(fetched)}`);
  if (present.length) parts.push(`already present: ${names(present)}`);
  if (!dryRun && pulled.length > 0 && pulled.every((p) => p.verified === true)) parts.push("digests verified");
  return parts.join("; ");
}

function describeRemoval(result: CommandResult, dryRun: boolean): string {
  const removed = result.removed ?? [];
  const parts: string[] = [];
  if (removed.length) {
    const what = removed.map((r) => r.repoTags[0] ?? shortId(r.id));
    const bytes = result.reclaimedBytes ?? removed.reduce((sum, r) => sum + r.bytes, 0);
    parts.push(`${dryRun ? "would remove" : "removed"} ${names(what)} (${formatBytes(bytes)})`);
  }
  const kept = result.skipped ?? [];
  if (kept.length) parts.push(`kept ${names(kept.map((s) => `${s.repoTags[0] ?? shortId(s.id)}: ${s.reason}`))}`);
  return parts.join("; ");
}

/** A one-line summary of what a node's commands did. */
export function describeSuccess(steps: readonly CommandSpec[], result: CommandResult): string {
  const dryRun = steps.some((s) => s.dryRun);
  const parts: string[] = [];
  if (steps.some((s) => s.type === "pull")) parts.push(describePull(result, dryRun));
  if (steps.some((s) => s.type !== "pull")) parts.push(describeRemoval(result, dryRun) || "nothing to remove");
  const text = parts.filter(Boolean).join("; ") || "done";
  return dryRun ? `dry run: ${text}` : text;
}

/** What a command is about to do, for the node's message while it runs. */
export function describeStep(spec: CommandSpec): string {
  const dry = spec.dryRun ? " (dry run)" : "";
  if (spec.type === "pull") return `pulling ${names(spec.images.map((i) => i.ref))}${dry}`;
  if (spec.type === "remove") return `removing replaced ${names(spec.imageIds.map(shortId))}${dry}`;
  return `pruning (${spec.policy.mode})${dry}`;
}

/** All nodes succeeded or skipped: succeeded; none succeeded: failed; otherwise partial. */
export function finalJobState(nodes: readonly Pick<JobNode, "state">[]): JobState {
  if (nodes.every((n) => n.state === "succeeded" || n.state === "skipped")) return "succeeded";
  if (nodes.every((n) => n.state !== "succeeded")) return "failed";
  return "partial";
}
