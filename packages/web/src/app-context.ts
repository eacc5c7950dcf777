/** What the panels share: the API, the last data, and the ways to open each other. */
import type { Api } from "./api.js";
import type { FindingItem, JobRequest, NodeItem, TagView } from "./api-types.js";
import type { RowModel } from "./digest-groups.js";

export interface Snapshot {
  nodes: NodeItem[];
  tags: TagView[];
  findings: FindingItem[];
}

/** A job form filled in advance (from a tag's or a node's panel). */
export type JobDraft = Partial<Pick<JobRequest, "type" | "images" | "nodes" | "dryRun">>;

export interface AppContext {
  api: Api;
  snapshot(): Snapshot;
  rowOf(tag: TagView): RowModel;
  /** Says something to screen readers (a polite live region). */
  announce(message: string): void;
  openTag(reference: string, opener: HTMLElement | null): void;
  openNode(name: string, opener: HTMLElement | null): void;
  openJobs(draft: JobDraft | null, opener: HTMLElement | null): void;
}
