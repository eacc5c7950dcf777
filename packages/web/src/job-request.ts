/** From the job form's values to the body of POST /api/v1/jobs (docs/ARCHITECTURE.md#rest-api), and a job's results in words. Pure. */
import { FINISHED_JOB_STATES, FINISHED_NODE_STATES } from "@imagedrift/core";
import type { Job, JobNode, JobRequest, JobType, PrunePolicy } from "./api-types.js";
import { formatBytes } from "./format.js";

export interface JobFormValues {
  type: JobType;
  /** References, separated by spaces, commas or new lines. */
  images: string;
  /** Ticked nodes; none ticked means every node. */
  nodes: string[];
  dryRun: boolean;
  mode: PrunePolicy["mode"];
  /** Keep-list patterns, separated like images. */
  keep: string;
  /** Prune: also remove images no registry is known to give back (off unless ticked). */
  allowUnrecoverable?: boolean;
}

const words = (text: string) => text.split(/[\s,]+/).filter(Boolean);

export function jobRequest(values: JobFormValues): JobRequest | { error: string } {
  const request: JobRequest = { type: values.type, dryRun: values.dryRun };
  const images = words(values.images);
  if (values.type === "prepull" && images.length === 0) return { error: "A prepull needs at least one image." };
  if (values.type !== "prune" && images.length > 0) request.images = images;
  if (values.type === "prune") {
    const keep = words(values.keep);
    request.policy = { mode: values.mode, ...(keep.length > 0 ? { keep } : {}) };
    if (values.allowUnrecoverable === true) request.allowUnrecoverable = true;
  }
  if (values.nodes.length > 0) request.nodes = [...values.nodes];
  return request;
}

/** Whether the job will not change again. */
export function jobFinished(job: Pick<Job, "state">): boolean {
  return FINISHED_JOB_STATES.includes(job.state);
}

export function nodeFinished(node: JobNode): boolean {
  return FINISHED_NODE_STATES.includes(node.state);
}

/** What a node's share of a job did: `pulled 1, already present 1` or `would remove 3 images`. */
export function nodeResult(node: JobNode, dryRun: boolean): string {
  const parts: string[] = [];
  if (node.pulled) {
    const fresh = node.pulled.filter((p) => !p.alreadyPresent && !p.error).length;
    const present = node.pulled.filter((p) => p.alreadyPresent).length;
    const failed = node.pulled.filter((p) => p.error).length;
    parts.push(`${dryRun ? "would pull" : "pulled"} ${fresh}`);
    if (present) parts.push(`already present ${present}`);
    if (failed) parts.push(`failed ${failed}`);
  }
  if (node.removed) {
    const n = node.removed.length;
    parts.push(`${dryRun ? "would remove" : "removed"} ${n} image${n === 1 ? "" : "s"}`);
  }
  if (node.skipped?.length) parts.push(`kept ${node.skipped.length}`);
  return parts.join(", ") || "—";
}

export function reclaimed(node: JobNode): string {
  return node.reclaimedBytes === undefined ? "—" : formatBytes(node.reclaimedBytes);
}
