/**
 * The holders of every tag across a cluster, gathered in one pass over the
 * inventories without an object per image (a cluster has hundreds of
 * thousands), and the TagView of one tag built from them. computeTagViews
 * and computeFindings share this. TagColumn and columnView are exported (from
 * tag-view.ts) for callers that keep holders by column, as the collector does.
 */
import type { ClusterSnapshot, NodeTagStatus, TagHolder, TagResolution, TagStatus, TagView } from "./drift-types.js";
import { compareText } from "./finding-text.js";
import { parsedTag, repoDigestsOf } from "./image-names.js";
import type { NodeImage, NodeInventory } from "./inventory.js";
import { registryMatch } from "./registry-match.js";

/**
 * One tag's holders, as runs of holders (by index into `nodes`) that hold the
 * same image with the same candidate digests (sorted, distinct; the first is
 * the holder's digest). Most nodes of a cluster hold a tag alike, so a tag
 * takes a few runs rather than an entry per node.
 */
export interface TagColumn {
  /** The holders' nodes (shared between columns), or one entry per holder. */
  nodes: readonly string[];
  /** Run `r` covers `nodes[from[r]]` to `nodes[to[r] - 1]`. */
  from: number[];
  to: number[];
  imageIds: string[];
  candidates: (readonly string[])[];
}

/** For a tag listed on two images: prefer the one with a repo digest, then the smaller image id. */
export function preferred(
  candidate: { digest: string | null; imageId: string },
  current: { digest: string | null; imageId: string },
): boolean {
  if ((candidate.digest === null) !== (current.digest === null)) return candidate.digest !== null;
  return candidate.imageId < current.imageId;
}

/** A column while it is gathered: the tag's repository and the last repo digest entry seen, to skip parsing it again. */
interface Gathering extends TagColumn {
  repository: string;
  lastEntry: string;
  lastCandidates: readonly string[];
}

/** The columns by tag, and by the tag as images write it (one lookup per image instead of a parse and a lookup). */
interface Gatherings {
  nodes: readonly string[];
  byTag: Map<string, Gathering>;
  byRaw: Map<string, Gathering | null>;
}

function gathering(raw: string, all: Gatherings): Gathering | null {
  const known = all.byRaw.get(raw);
  if (known !== undefined) return known;
  const name = parsedTag(raw);
  let column: Gathering | null = null;
  if (name !== null) {
    column = all.byTag.get(name.tag) ?? null;
    if (column === null) {
      column = {
        nodes: all.nodes,
        from: [],
        to: [],
        imageIds: [],
        candidates: [],
        repository: name.repository,
        lastEntry: "",
        lastCandidates: [],
      };
      all.byTag.set(name.tag, column);
    }
  }
  all.byRaw.set(raw, column);
  return column;
}

/** Adds node `n`'s image as a holder of the column's tag; nodes come in order. */
function addHolder(column: Gathering, n: number, image: NodeImage): void {
  let candidates: readonly string[];
  // Most holders carry the same entry as the one before: comparing is cheaper than parsing or hashing it.
  const entry = image.repoDigests.length === 1 ? (image.repoDigests[0] ?? "") : "";
  if (entry !== "" && entry === column.lastEntry) candidates = column.lastCandidates;
  else {
    candidates = repoDigestsOf(image, column.repository);
    column.lastEntry = entry;
    column.lastCandidates = candidates;
  }
  const last = column.to.length - 1;
  const to = column.to[last] ?? -1;
  const imageId = column.imageIds[last] ?? "";
  const held = column.candidates[last] ?? [];
  if (to === n + 1) {
    // The node lists the tag twice (a runtime does not): keep the preferred image, whatever the order.
    if (!preferred({ digest: candidates[0] ?? null, imageId: image.id }, { digest: held[0] ?? null, imageId })) return;
    if (column.from[last] === n) {
      column.imageIds[last] = image.id;
      column.candidates[last] = candidates;
      return;
    }
    column.to[last] = n;
  } else if (to === n && imageId === image.id && held === candidates) {
    column.to[last] = n + 1;
    return;
  }
  column.from.push(n);
  column.to.push(n + 1);
  column.imageIds.push(image.id);
  column.candidates.push(candidates);
}

/**
 * Every tag any node holds, its holders in node order: what tagHolders says
 * for each inventory (a tag on two images of one node resolved the same way).
 * `busy`, when given, receives each inventory's images that have containers,
 * from the same pass (the findings engine indexes those next).
 */
export function tagColumns(
  snapshot: ClusterSnapshot,
  busy?: Map<NodeInventory, NodeImage[]>,
): ReadonlyMap<string, TagColumn> {
  const nodes = [...snapshot.inventories.keys()].sort(compareText);
  const all: Gatherings = { nodes, byTag: new Map(), byRaw: new Map() };
  // Indexed loops: this runs once per image of the cluster, and must not allocate.
  for (let n = 0; n < nodes.length; n++) {
    const inventory = snapshot.inventories.get(nodes[n] ?? "");
    if (inventory === undefined) continue;
    const images = inventory.images;
    let withContainers: NodeImage[] | undefined;
    for (let i = 0; i < images.length; i++) {
      const image = images[i];
      if (image === undefined) continue;
      if (busy !== undefined && image.containers.length > 0) {
        withContainers ??= [];
        withContainers.push(image);
      }
      const tags = image.repoTags;
      for (let t = 0; t < tags.length; t++) {
        const column = gathering(tags[t] ?? "", all);
        if (column !== null) addHolder(column, n, image);
      }
    }
    busy?.set(inventory, withContainers ?? []);
  }
  return all.byTag;
}

/**
 * Whether the tag has nothing to report: the registry has it and every holder
 * may hold the registry's digest, so each is `current` and the tag too.
 */
export function isQuiet(column: TagColumn, resolution: TagResolution | undefined): boolean {
  if (resolution?.state !== "found") return false;
  let checked: readonly string[] | undefined;
  for (const list of column.candidates) {
    // Runs of one image share one list: each distinct list is looked at once in a row.
    if (list === checked) continue;
    if (!list.includes(resolution.digest)) return false;
    checked = list;
  }
  return true;
}

/**
 * The one digest to show per run. With several candidates, the registry's
 * digest when among them, else the candidate most holders share (then the
 * smallest), so the same image reached through two indexes is not reported
 * as inconsistent.
 */
function chooseDigests(column: TagColumn, registryDigest: string | null): (string | null)[] {
  const { candidates } = column;
  if (candidates.every((list) => list.length <= 1)) return candidates.map((list) => list[0] ?? null);
  const votes = new Map<string, number>();
  candidates.forEach((list, r) => {
    const holders = (column.to[r] ?? 0) - (column.from[r] ?? 0);
    for (const d of list) votes.set(d, (votes.get(d) ?? 0) + holders);
  });
  return candidates.map((list) => {
    if (registryDigest !== null && list.includes(registryDigest)) return registryDigest;
    let best: string | null = null;
    for (const d of list) if (best === null || (votes.get(d) ?? 0) > (votes.get(best) ?? 0)) best = d;
    return best;
  });
}

/** The digest a holder stands for: the registry's when it holds what the registry gives its platform. */
export function effectiveDigest(holder: TagHolder, registryDigest: string | null): string | null {
  return holder.platformMatch === true ? registryDigest : holder.digest;
}

function tagStatus(holders: readonly TagHolder[], resolution: TagResolution | undefined): TagStatus {
  const registryDigest = resolution?.state === "found" ? resolution.digest : null;
  let first: string | null = null;
  let several = false;
  let stale = false;
  for (const h of holders) {
    if (h.status === "stale") stale = true;
    const digest = effectiveDigest(h, registryDigest);
    if (digest === null) continue;
    if (first === null) first = digest;
    else if (digest !== first) several = true;
  }
  if (holders.length > 0 && first === null) return "local-only";
  if (resolution?.state === "not-found") return "missing-in-registry";
  if (several) return "inconsistent";
  if (resolution?.state !== "found") return "unresolved";
  if (stale) return "stale";
  return "current";
}

function compareHolders(a: TagHolder, b: TagHolder): number {
  return compareText(a.node, b.node) || compareText(a.imageId, b.imageId);
}

/**
 * One tag across nodes (see computeTagView), from its holders in any order.
 * Holders already in order (as tagColumns gives them) are not sorted again.
 */
export function columnView(reference: string, column: TagColumn, resolution: TagResolution | undefined): TagView {
  const registryDigest = resolution?.state === "found" ? resolution.digest : null;
  const digests = chooseDigests(column, registryDigest);
  const nodes: TagHolder[] = [];
  let sorted = true;
  for (let r = 0; r < column.from.length; r++) {
    const digest = digests[r] ?? null;
    const imageId = column.imageIds[r] ?? "";
    const candidates = column.candidates[r] ?? [];
    const match = registryMatch({ candidates, imageId }, resolution);
    const status: NodeTagStatus =
      match === "digest" || match === "platform" ? "current" : match === "differs" ? "stale" : "unknown";
    const extra: Pick<TagHolder, "platformMatch" | "repoDigests"> = {
      ...(match === "platform" ? { platformMatch: true } : {}),
      ...(candidates.length > 1 ? { repoDigests: [...candidates] } : {}),
    };
    for (let n = column.from[r] ?? 0; n < (column.to[r] ?? 0); n++) {
      const holder: TagHolder = { node: column.nodes[n] ?? "", digest, imageId, status, ...extra };
      const previous = nodes[nodes.length - 1];
      if (previous !== undefined && compareHolders(previous, holder) > 0) sorted = false;
      nodes.push(holder);
    }
  }
  if (!sorted) nodes.sort(compareHolders);
  return {
    reference,
    registryDigest,
    resolvedAt: resolution !== undefined && resolution.state !== "pending" ? resolution.resolvedAt : null,
    resolvedBy: (resolution !== undefined && resolution.state !== "pending" && resolution.resolvedBy) || null,
    resolveError: resolution?.state === "error" ? resolution.error : null,
    status: tagStatus(nodes, resolution),
    nodes,
  };
}
