/**
 * The holders of every tag across a cluster, gathered in one pass over the
 * inventories without an object per image (a cluster has hundreds of
 * thousands), and the TagView of one tag built from them. computeTagViews
 * and computeFindings share this; internal (not re-exported).
 */
import type { ClusterSnapshot, NodeTagStatus, TagHolder, TagResolution, TagStatus, TagView } from "./drift-types.js";
import { compareText } from "./finding-text.js";
import { parsedTag, repoDigestsOf } from "./image-names.js";
import type { NodeImage, NodeInventory } from "./inventory.js";

/**
 * One tag's holders, as parallel lists: node, image id and the candidate
 * digests of each (sorted, distinct; the first is the holder's digest).
 */
export interface TagColumn {
  nodes: string[];
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
  lastEntry: string | undefined;
  lastCandidates: readonly string[];
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
  const columns = new Map<string, Gathering>();
  // By the tag as images write it: one lookup per image instead of a parse and a lookup.
  const byRaw = new Map<string, Gathering | null>();
  const gathering = (raw: string): Gathering | null => {
    let column = byRaw.get(raw);
    if (column !== undefined) return column;
    const name = parsedTag(raw);
    column = name === null ? null : (columns.get(name.tag) ?? null);
    if (name !== null && column === null) {
      column = {
        nodes: [],
        imageIds: [],
        candidates: [],
        repository: name.repository,
        lastEntry: undefined,
        lastCandidates: [],
      };
      columns.set(name.tag, column);
    }
    byRaw.set(raw, column);
    return column;
  };
  for (const node of [...snapshot.inventories.keys()].sort(compareText)) {
    const inventory = snapshot.inventories.get(node);
    if (inventory === undefined) continue;
    let withContainers: NodeImage[] | undefined;
    for (const image of inventory.images) {
      if (busy !== undefined && image.containers.length > 0) {
        withContainers ??= [];
        withContainers.push(image);
      }
      for (const raw of image.repoTags) {
        const column = gathering(raw);
        if (column === null) continue;
        let candidates: readonly string[];
        const entry = image.repoDigests.length === 1 ? image.repoDigests[0] : undefined;
        if (entry !== undefined && entry === column.lastEntry) candidates = column.lastCandidates;
        else {
          candidates = repoDigestsOf(image, column.repository);
          column.lastEntry = entry;
          column.lastCandidates = candidates;
        }
        const last = column.nodes.length - 1;
        if (last >= 0 && column.nodes[last] === node) {
          // The node lists the tag twice (a runtime does not): keep the preferred image, whatever the order.
          const current = { digest: column.candidates[last]?.[0] ?? null, imageId: column.imageIds[last] ?? "" };
          if (preferred({ digest: candidates[0] ?? null, imageId: image.id }, current)) {
            column.imageIds[last] = image.id;
            column.candidates[last] = candidates;
          }
          continue;
        }
        column.nodes.push(node);
        column.imageIds.push(image.id);
        column.candidates.push(candidates);
      }
    }
    busy?.set(inventory, withContainers ?? []);
  }
  return columns;
}

/**
 * Whether the tag has nothing to report: the registry has it and every holder
 * may hold the registry's digest, so each is `current` and the tag too.
 */
export function isQuiet(column: TagColumn, resolution: TagResolution | undefined): boolean {
  if (resolution?.state !== "found") return false;
  let checked: readonly string[] | undefined;
  for (const list of column.candidates) {
    // Holders of one image share one list: each distinct list is looked at once in a row.
    if (list === checked) continue;
    if (!list.includes(resolution.digest)) return false;
    checked = list;
  }
  return true;
}

/**
 * The one digest to show per holder. With several candidates, the registry's
 * digest when among them, else the candidate most holders share (then the
 * smallest), so the same image reached through two indexes is not reported
 * as inconsistent.
 */
function chooseDigests(candidates: readonly (readonly string[])[], registryDigest: string | null): (string | null)[] {
  if (candidates.every((list) => list.length <= 1)) return candidates.map((list) => list[0] ?? null);
  const votes = new Map<string, number>();
  for (const list of candidates) for (const d of list) votes.set(d, (votes.get(d) ?? 0) + 1);
  return candidates.map((list) => {
    if (registryDigest !== null && list.includes(registryDigest)) return registryDigest;
    let best: string | null = null;
    for (const d of list) if (best === null || (votes.get(d) ?? 0) > (votes.get(best) ?? 0)) best = d;
    return best;
  });
}

function tagStatus(holders: readonly TagHolder[], resolution: TagResolution | undefined): TagStatus {
  let first: string | null = null;
  let several = false;
  let stale = false;
  for (const h of holders) {
    if (h.status === "stale") stale = true;
    if (h.digest === null) continue;
    if (first === null) first = h.digest;
    else if (h.digest !== first) several = true;
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
  const digests = chooseDigests(column.candidates, registryDigest);
  const nodes: TagHolder[] = [];
  let sorted = true;
  for (let i = 0; i < column.nodes.length; i++) {
    const digest = digests[i] ?? null;
    let status: NodeTagStatus = "unknown";
    if (digest !== null && registryDigest !== null) status = digest === registryDigest ? "current" : "stale";
    const holder: TagHolder = { node: column.nodes[i] ?? "", digest, imageId: column.imageIds[i] ?? "", status };
    const previous = nodes[nodes.length - 1];
    if (previous !== undefined && compareHolders(previous, holder) > 0) sorted = false;
    nodes.push(holder);
  }
  if (!sorted) nodes.sort(compareHolders);
  return {
    reference,
    registryDigest,
    resolvedAt: resolution !== undefined && resolution.state !== "pending" ? resolution.resolvedAt : null,
    resolveError: resolution?.state === "error" ? resolution.error : null,
    status: tagStatus(nodes, resolution),
    nodes,
  };
}
