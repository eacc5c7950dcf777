/**
 * What the collector knows that a node's agent does not, handed to it with a
 * prune command (docs/ARCHITECTURE.md#jobs): when each image was last used, which images'
 * tags moved away in the registry, and what active prepulls want. Pure:
 * computed again right before each attempt is sent, so a retried or resumed
 * prune works from fresh facts.
 */
import {
  type CommandSpec,
  type Job,
  type NodeImage,
  type PrunePolicy,
  type RecoverabilityFacts,
  recoverabilityFacts,
  type TagView,
} from "@imagedrift/core";

export interface PruneFacts {
  node: string;
  tagViews: readonly TagView[];
  /** Image id → ISO time last seen in use on the node (first seen when never used). */
  lastUsed: ReadonlyMap<string, string>;
  /** References no prune may remove (what pulling jobs want). */
  protect: readonly string[];
  /** The node's images as last reported (for which of them a registry serves). */
  images: readonly NodeImage[];
}

/** Which of the node's images a registry serves, and why each other one may be the only copy. */
export function nodeRecoverability(facts: Pick<PruneFacts, "node" | "tagViews" | "images">): RecoverabilityFacts {
  return recoverabilityFacts(facts.node, facts.images, facts.tagViews);
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

/** How long a pulling job that succeeded still protects its images from prune. */
export const RECENT_PULL_PROTECTION_MS = 60 * 60 * 1000;

/**
 * References that pulling jobs want: every pending or running prepull and
 * refresh, and those that succeeded in the last hour (what someone has just
 * pre-pulled is about to be used; a partial job too: its succeeded nodes
 * pulled for real). Dry runs pulled nothing and protect nothing; nor do
 * failed or cancelled jobs (nobody is about to use what they wanted).
 */
export function protectedReferences(jobs: readonly Job[], now: Date): string[] {
  const refs = new Set<string>();
  for (const job of jobs) {
    if (job.type === "prune" || job.request.dryRun === true) continue;
    if (job.state === "pending" || job.state === "running") {
      for (const node of job.nodes) for (const pulled of node.pulled ?? []) refs.add(pulled.ref);
      for (const ref of job.request.images ?? []) refs.add(ref);
      continue;
    }
    const finished = job.finishedAt === null ? Number.NaN : Date.parse(job.finishedAt);
    if (!(now.getTime() - finished <= RECENT_PULL_PROTECTION_MS)) continue;
    if (job.state !== "succeeded" && job.state !== "partial") continue;
    for (const ref of job.request.images ?? []) refs.add(ref);
    for (const node of job.nodes) {
      if (node.state !== "succeeded") continue;
      for (const pulled of node.pulled ?? []) if (pulled.error === undefined) refs.add(pulled.ref);
    }
  }
  return [...refs].sort();
}

/** The prune command for one node, from the policy and the facts. */
export function pruneCommand(
  planned: { policy: PrunePolicy; dryRun: boolean; allowUnrecoverable?: boolean },
  facts: PruneFacts,
): Extract<CommandSpec, { type: "prune" }> {
  const { policy } = planned;
  return {
    type: "prune",
    policy,
    dryRun: planned.dryRun,
    allowUnrecoverable: planned.allowUnrecoverable === true,
    ...nodeRecoverability(facts),
    protect: [...facts.protect],
    lastUsed: Object.fromEntries([...facts.lastUsed].sort(([a], [b]) => a.localeCompare(b))),
    staleImageIds: policy.mode === "stale" ? staleImageIds(facts.node, facts.tagViews) : [],
  };
}
