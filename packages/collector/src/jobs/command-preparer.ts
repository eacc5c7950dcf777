import type { CommandResult, CommandSpec, Job } from "@imagedrift/core";
import type { RegistriesConfig } from "../registry/registry-host.js";
import type { ClusterFacts } from "./cluster-facts.js";
import { nodeRecoverability, protectedReferences, pruneCommand } from "./prune-facts.js";
import { withCredentials } from "./pull-credentials.js";

/** Turns a planned step into what is sent for one attempt; null when the step has nothing left to do. */
export type CommandPreparer = (
  spec: CommandSpec,
  context: { node: string; earlier: CommandResult; now: Date },
) => CommandSpec | null;

/**
 * The preparer the collector uses, right before each send:
 * - pull: credentials attached for hosts that have them (never stored);
 * - prune: facts computed again (last use, stale images, what pulls want,
 *   which images a registry serves);
 * - remove (refresh's clean-up): never an image this node's real pull just
 *   returned (the same platform image reached through a re-pushed index),
 *   with which images a registry serves. A dry run cannot know that case
 *   without pulling; otherwise it plans exactly what the real run removes.
 */
export function commandPreparer(deps: {
  cluster: ClusterFacts;
  registries: RegistriesConfig;
  /** Every job not finished, and those finished lately (for prune's protect list). */
  recentJobs: () => readonly Job[];
}): CommandPreparer {
  return (spec, { node, earlier, now }) => {
    switch (spec.type) {
      case "pull":
        return withCredentials(spec, deps.registries);
      case "prune":
        return pruneCommand(spec, {
          node,
          tagViews: deps.cluster.tagViews(),
          lastUsed: deps.cluster.lastUsed(node),
          protect: protectedReferences(deps.recentJobs(), now),
          images: deps.cluster.inventory(node)?.images ?? [],
        });
      case "remove": {
        // A dry-run pull pulled nothing: the image it names is the one the tag
        // points at now, the very image a real pull replaces. Leaving it out
        // made dry runs plan nothing while real runs removed it.
        const pulled = new Set(spec.dryRun ? [] : (earlier.pulled ?? []).map((p) => p.imageId));
        const imageIds = spec.imageIds.filter((id) => !pulled.has(id));
        if (imageIds.length === 0) return null;
        const images = deps.cluster.inventory(node)?.images ?? [];
        return { ...spec, imageIds, ...nodeRecoverability({ node, tagViews: deps.cluster.tagViews(), images }) };
      }
    }
  };
}
