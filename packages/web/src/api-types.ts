/**
 * What the page reads and writes: the collector's REST API, the page's only
 * data source. The shapes live once, in core (api-types.ts); the page takes
 * them as types only, so none of core's code is bundled for the browser
 * beyond what a module imports on purpose.
 */
export type {
  ContainerItem,
  FindingItem,
  Job,
  JobNode,
  JobRequest,
  JobState,
  JobType,
  NodeImageItem,
  NodeItem,
  NodeJobState,
  PrunePolicy,
  TagHolder,
  TagStatus,
  TagView,
} from "@imagedrift/core";
