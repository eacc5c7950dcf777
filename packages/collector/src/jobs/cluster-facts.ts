import type { NodeInventory, TagResolution, TagView } from "@imagedrift/core";
import type { DriftService } from "../drift/index.js";
import type { NodeStore, TagStore } from "../store/index.js";
import type { KnownNode } from "./node-selection.js";

/** What jobs need to know about the cluster, read fresh on every call. */
export interface ClusterFacts {
  knownNodes(): KnownNode[];
  tagViews(): readonly TagView[];
  /** What the registry said about each tag. */
  resolutions(): ReadonlyMap<string, TagResolution>;
  inventory(node: string): NodeInventory | undefined;
  /** Image id → ISO time last seen in use on the node, or first seen for an image never used. */
  lastUsed(node: string): Map<string, string>;
}

/** ClusterFacts from the drift service and the stores. */
export function clusterFacts(deps: { drift: DriftService; nodes: NodeStore; tags: TagStore }): ClusterFacts {
  return {
    knownNodes: () => {
      const missing = deps.drift.missingNodes;
      return deps.nodes.list().map((n) => ({
        name: n.name,
        // With the Kubernetes API, its node labels merged over the agent's --node-labels.
        labels: deps.drift.nodeLabels(n.name, n.labels),
        missing: missing.has(n.name),
        lastReportAt: n.lastReportAt,
      }));
    },
    tagViews: () => deps.drift.tagViews,
    resolutions: () => deps.tags.all(),
    inventory: (node) => deps.drift.nodeInventory(node),
    lastUsed: (node) => deps.nodes.lastUsed(node),
  };
}
