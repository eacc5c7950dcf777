/**
 * What the collector knows that a node's agent does not, handed to it with a
 * prune command (SPEC §9): when each image was last used, which images'
 * tags moved away in the registry, and what active prepulls want. Pure:
 * computed again right before each attempt is sent, so a retried or resumed
 * prune works from fresh facts.
 */
import type { CommandSpec, Job, PrunePolicy, TagView } from "@imagedrift/core";

export interface PruneFacts {
  node: string;
  tagViews: readonly TagView[];
  /** Image id → ISO time last seen in use on the node (first seen when never used). */
  lastUsed: ReadonlyMap<string, string>;
  /** References no prune may remove (what pulling jobs want). */
  protect: readonly string[];
}

/**
 * Images on `node` whose tag moved away in the registry: the node's digest
 * for one of its tags is not the registry's current one, and no other tag on
 * the same image is current (an image still current under another tag stays).
 */
export function staleImageIds(node: string, tagViews: readonly TagView[]): string[] {
  const stale = new Set<string>();
  const current = new Set<string>();
  for (const view of tagViews) {
    for (const holder of view.nodes) {
      if (holder.node !== node) continue;
      if (holder.status === "stale") stale.add(holder.imageId);
      else if (holder.status === "current") current.add(holder.imageId);
    }
  }
  return [...stale].filter((id) => !current.has(id)).sort();
}

/** How long a finished pulling job still protects its images from prune. */
export const RECENT_PULL_PROTECTION_MS = 60 * 60 * 1000;

/**
 * References that pulling jobs want: every pending or running prepull and
 * refresh, and those that finished in the last hour (what someone has just
 * pre-pulled is about to be used).
 */
export function protectedReferences(jobs: readonly Job[], now: Date): string[] {
  const refs = new Set<string>();
  for (const job of jobs) {
    if (job.type === "prune") continue;
    const finished = job.finishedAt === null ? null : Date.parse(job.finishedAt);
    const active = job.state === "pending" || job.state === "running";
    if (!active && (finished === null || now.getTime() - finished > RECENT_PULL_PROTECTION_MS)) continue;
    for (const node of job.nodes) for (const pulled of node.pulled ?? []) refs.add(pulled.ref);
    for (const ref of job.request.images ?? []) refs.add(ref);
  }
  return [...refs].sort();
}

/** The prune command for one node, from the policy and the facts. */
export function pruneCommand(policy: PrunePolicy, dryRun: boolean, facts: PruneFacts): CommandSpec {
  return {
    type: "prune",
    policy,
    dryRun,
    protect: [...facts.protect],
    lastUsed: Object.fromEntries([...facts.lastUsed].sort(([a], [b]) => a.localeCompare(b))),
    staleImageIds: policy.mode === "stale" ? staleImageIds(facts.node, facts.tagViews) : [],
  };
}
