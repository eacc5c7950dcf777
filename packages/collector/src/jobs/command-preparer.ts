import type { CommandResult, CommandSpec, Job, NodeImage, UnrecoverableRule } from "@imagedrift/core";
import type { RegistriesConfig } from "../registry/registry-host.js";
import type { TagCredentialSource } from "../registry/tag-credentials.js";
import type { ClusterFacts } from "./cluster-facts.js";
import { nodeRecoverability, protectedReferences, pruneCommand } from "./prune-facts.js";
import { withCredentials } from "./pull-credentials.js";
import { askRegistryByDigest, type PresenceAsk } from "./registry-recoverability.js";

/** Turns a planned step into what is sent for one attempt; null when the step has nothing left to do. */
export type CommandPreparer = (
  spec: CommandSpec,
  context: { node: string; earlier: CommandResult; now: Date },
) => Promise<CommandSpec | null>;

/**
 * The preparer the collector uses, right before each send:
 * - pull: credentials attached for hosts that have them (never stored);
 * - prune: facts computed again (last use, stale images, what pulls want,
 *   which images a registry serves);
 * - remove (refresh's clean-up): never an image this node's real pull just
 *   returned (the same platform image reached through a re-pushed index),
 *   with which images a registry serves. A dry run cannot know that case
 *   without pulling; otherwise it plans exactly what the real run removes.
 * For both removals, images whose tag moved on are asked about by digest
 * (`askByDigest`): an old version the registry still has is no only copy.
 */
export function commandPreparer(deps: {
  cluster: ClusterFacts;
  registries: RegistriesConfig;
  /** Credentials by image (the cluster's pull secrets), as the resolver uses them. */
  tagCredentials?: TagCredentialSource | undefined;
  /** Every job not finished, and those finished lately (for prune's protect list). */
  recentJobs: () => readonly Job[];
  /** Whether a registry has `host/repo@digest`; without it, images whose tag moved on stay in doubt (kept). */
  askByDigest?: PresenceAsk;
}): CommandPreparer {
  const settled = async <T extends UnrecoverableRule>(command: T, images: readonly NodeImage[]): Promise<T> => {
    if (deps.askByDigest === undefined || command.allowUnrecoverable === true) return command;
    const known = { recoverable: command.recoverable ?? [], unrecoverable: command.unrecoverable ?? {} };
    const facts = await askRegistryByDigest(known, images, deps.askByDigest);
    return { ...command, recoverable: facts.recoverable, unrecoverable: facts.unrecoverable };
  };
  return async (spec, { node, earlier, now }) => {
    switch (spec.type) {
      case "pull":
        return withCredentials(spec, deps.registries, deps.tagCredentials);
      case "prune": {
        const images = deps.cluster.inventory(node)?.images ?? [];
        const command = pruneCommand(spec, {
          node,
          tagViews: deps.cluster.tagViews(),
          lastUsed: deps.cluster.lastUsed(node),
          protect: protectedReferences(deps.recentJobs(), now),
          images,
        });
        return settled(command, images);
      }
      case "remove": {
        // A dry-run pull pulled nothing: the image it names is the one the tag
        // points at now, the very image a real pull replaces. Leaving it out
        // made dry runs plan nothing while real runs removed it.
        const pulled = new Set(spec.dryRun ? [] : (earlier.pulled ?? []).map((p) => p.imageId));
        const imageIds = spec.imageIds.filter((id) => !pulled.has(id));
        if (imageIds.length === 0) return null;
        const images = deps.cluster.inventory(node)?.images ?? [];
        return settled(
          { ...spec, imageIds, ...nodeRecoverability({ node, tagViews: deps.cluster.tagViews(), images }) },
          images,
        );
      }
    }
  };
}
