import type { CommandResult, CommandSpec, Job } from "@imagedrift/core";
import type { RegistriesConfig } from "../registry/registry-host.js";
import type { ClusterFacts } from "./cluster-facts.js";
import { protectedReferences, pruneCommand } from "./prune-facts.js";
import { withCredentials } from "./pull-credentials.js";

/** Turns a planned step into what is sent for one attempt; null when the step has nothing left to do. */
export type CommandPreparer = (
  spec: CommandSpec,
  context: { node: string; earlier: CommandResult; now: Date },
) => CommandSpec | null;

/**
 * The preparer the collector uses, right before each send:
 * - pull: credentials attached for hosts that have them (never stored);
 * - prune: facts computed again (last use, stale images, what pulls want);
 * - remove (refresh's clean-up): never an image this node's pull just
 *   returned (the same platform image reached through a re-pushed index).
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
        return pruneCommand(spec.policy, spec.dryRun, {
          node,
          tagViews: deps.cluster.tagViews(),
          lastUsed: deps.cluster.lastUsed(node),
          protect: protectedReferences(deps.recentJobs(), now),
        });
      case "remove": {
        const pulled = new Set((earlier.pulled ?? []).map((p) => p.imageId));
        const imageIds = spec.imageIds.filter((id) => !pulled.has(id));
        return imageIds.length > 0 ? { ...spec, imageIds } : null;
      }
    }
  };
}
