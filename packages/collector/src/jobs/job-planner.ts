/**
 * From a job request and what the collector knows (nodes, their labels and
 * holdings, the registry's digests) to each node's commands. Pure: data in,
 * plan out; errors name what is wrong (HTTP 400/409). Prune commands get
 * their facts right before sending (see prune-facts.ts); credentials are
 * attached only when sending (see pull-credentials.ts).
 */
import {
  type CommandSpec,
  formatImageRef,
  ImagedriftError,
  type ImageRef,
  type JobRequest,
  type NodeInventory,
  type PullItem,
  parseImageRef,
  type TagResolution,
  type TagView,
  tagOf,
} from "@imagedrift/core";
import type { NewJobNode } from "./job-store.js";
import { type KnownNode, selectNodes } from "./node-selection.js";

export interface PlanInput {
  nodes: readonly KnownNode[];
  tagViews: readonly TagView[];
  /** What the registry said about each tag (the TagStore). */
  resolutions: ReadonlyMap<string, TagResolution>;
  /** A node's last inventory (refresh looks at the tags of the images it would remove). */
  inventory(node: string): NodeInventory | undefined;
}

export interface JobPlan {
  /** The request with its images normalised: what is stored and shown. */
  request: JobRequest;
  nodes: NewJobNode[];
}

function parseImages(images: readonly string[]): { ref: string; parsed: ImageRef }[] {
  const seen = new Map<string, ImageRef>();
  for (const [index, raw] of images.entries()) {
    let parsed: ImageRef;
    try {
      parsed = parseImageRef(raw);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new ImagedriftError("invalid-reference", `images[${index}]: ${message}`, { cause: error });
    }
    seen.set(formatImageRef(parsed), parsed);
  }
  return [...seen].map(([ref, parsed]) => ({ ref, parsed }));
}

const foundDigest = (resolution: TagResolution | undefined) =>
  resolution?.state === "found" ? resolution.digest : null;

function planPrepull(request: JobRequest, input: PlanInput, targets: readonly KnownNode[]): NewJobNode[] {
  const items: PullItem[] = parseImages(request.images ?? []).map(({ ref, parsed }) => {
    const tag = tagOf(parsed);
    const expected = parsed.digest ?? (tag === null ? null : foundDigest(input.resolutions.get(tag)));
    return { ref, expectedDigest: expected };
  });
  const dryRun = request.dryRun ?? false;
  return targets.map((n) => ({
    node: n.name,
    state: "pending",
    message: "",
    steps: [{ type: "pull", images: items, dryRun }],
  }));
}

/** The tags a refresh works on, each with the registry's digest; throws naming a tag it cannot refresh. */
function refreshTags(request: JobRequest, input: PlanInput): { view: TagView; digest: string }[] {
  const views = new Map(input.tagViews.map((v) => [v.reference, v]));
  if (request.images === undefined) {
    return input.tagViews.flatMap((view) =>
      (view.status === "stale" || view.status === "inconsistent") && view.registryDigest !== null
        ? [{ view, digest: view.registryDigest }]
        : [],
    );
  }
  return parseImages(request.images).map(({ ref, parsed }) => {
    const tag = tagOf(parsed);
    if (parsed.digest !== null || tag === null) {
      throw new ImagedriftError("invalid-argument", `images: refresh takes tags, not digests: ${ref} (use prepull)`);
    }
    const view = views.get(tag);
    if (view === undefined) {
      throw new ImagedriftError("failed-precondition", `no node holds ${tag}: nothing to refresh (use prepull)`);
    }
    const resolution = input.resolutions.get(tag);
    const digest = foundDigest(resolution);
    if (digest === null) {
      const why =
        resolution?.state === "not-found"
          ? "is not in its registry (404): nothing to refresh to"
          : `has no registry digest yet (${resolution?.state === "error" ? resolution.error : "not resolved yet"}): cannot tell which nodes differ; prepull pulls it anyway`;
      throw new ImagedriftError("failed-precondition", `${tag} ${why}`);
    }
    return { view, digest };
  });
}

/** Ids of replaced images that only the refreshed tags name (removing one with other tags would take those too). */
function replacedImages(
  inventory: NodeInventory | undefined,
  ids: readonly string[],
  tags: readonly string[],
): string[] {
  const refreshed = new Set(tags);
  return [...new Set(ids)].filter(
    (id) => inventory?.images.find((i) => i.id === id)?.repoTags.every((t) => refreshed.has(t)) ?? false,
  );
}

function planRefresh(request: JobRequest, input: PlanInput, targets: readonly KnownNode[]): NewJobNode[] {
  const tags = refreshTags(request, input);
  const dryRun = request.dryRun ?? false;
  return targets.map((n): NewJobNode => {
    const items: PullItem[] = [];
    const oldIds: string[] = [];
    let current = 0;
    let localBuilds = 0;
    for (const { view, digest } of tags) {
      const holder = view.nodes.find((h) => h.node === n.name);
      if (holder === undefined) continue;
      if (holder.status === "stale") {
        items.push({ ref: view.reference, expectedDigest: digest });
        oldIds.push(holder.imageId);
      } else if (holder.digest === null) localBuilds += 1;
      else current += 1;
    }
    if (items.length === 0) {
      // Without named images nothing stale on the node means current; with them, say why it is left alone.
      let message = "already current";
      if (request.images !== undefined && current === 0) {
        message =
          localBuilds > 0
            ? "holds a local build (no repo digest): not replaced"
            : `does not hold ${tags.map((t) => t.view.reference).join(", ")}`;
      }
      return { node: n.name, state: "skipped", message, steps: [] };
    }
    const steps: CommandSpec[] = [{ type: "pull", images: items, dryRun }];
    const remove = request.removeReplaced
      ? replacedImages(
          input.inventory(n.name),
          oldIds,
          items.map((i) => i.ref),
        )
      : [];
    if (remove.length > 0) {
      const allowUnrecoverable = request.allowUnrecoverable === true;
      steps.push({ type: "remove", imageIds: remove, dryRun, allowUnrecoverable });
    }
    return { node: n.name, state: "pending", message: "", steps };
  });
}

function planPrune(request: JobRequest, targets: readonly KnownNode[]): NewJobNode[] {
  const policy = request.policy;
  if (policy === undefined) throw new ImagedriftError("invalid-argument", "policy: prune needs a policy");
  const spec: CommandSpec = {
    type: "prune",
    policy,
    dryRun: request.dryRun ?? false,
    allowUnrecoverable: request.allowUnrecoverable === true,
    protect: [],
    lastUsed: {},
    staleImageIds: [],
  };
  return targets.map((n) => ({ node: n.name, state: "pending", message: "", steps: [spec] }));
}

/** Plans a job; throws ImagedriftError naming the node, reference or field at fault. */
export function planJob(request: JobRequest, input: PlanInput): JobPlan {
  const images = request.images && parseImages(request.images).map((i) => i.ref);
  const normalised: JobRequest = images ? { ...request, images } : { ...request };
  const { targets, skipped } = selectNodes(normalised, input.nodes);
  let planned: NewJobNode[];
  if (normalised.type === "prepull") planned = planPrepull(normalised, input, targets);
  else if (normalised.type === "refresh") planned = planRefresh(normalised, input, targets);
  else planned = planPrune(normalised, targets);
  const nodes = [...planned, ...skipped].sort((a, b) => a.node.localeCompare(b.node));
  return { request: normalised, nodes };
}
