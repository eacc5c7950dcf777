/**
 * The findings engine (docs/ARCHITECTURE.md#findings): pure functions from a cluster snapshot to
 * finding drafts. The collector may call tagFindings per changed tag and
 * nodeFindings per changed node, then mergeFindings; computeFindings does all.
 *
 * Choices:
 * - One finding per kind and tag; `running-stale` lists every affected
 *   container of the cluster (per-node drafts merge by key), `agent-missing`
 *   is per node.
 * - `stale-tag` is left out when the tag is `inconsistent`: the inconsistent
 *   finding already names the nodes to refresh, and counting both would
 *   report one problem twice.
 * - A tag needs at most one push: `missing-in-registry` when nodes pulled it
 *   and the registry now answers 404; `local-only` (naming the nodes without a
 *   repo digest) otherwise, including a never-pushed tag that the registry
 *   does not know.
 * - A node whose agent is missing keeps its last inventory in every finding;
 *   findings that name such a node say so.
 */

import { indexNode } from "./container-tags.js";
import type { ClusterSnapshot, FindingDraft, NodeState, TagView } from "./drift-types.js";
import { formatDuration } from "./duration.js";
import { compareText, listOf, sortedUnique } from "./finding-text.js";
import type { NodeImage, NodeInventory } from "./inventory.js";
import { mixedReplicasFindings } from "./mixed-replicas.js";
import { pullPolicyRiskFindings } from "./pull-policy-risk.js";
import { runningStaleFinding, runningStaleOnNode } from "./running-stale.js";
import { columnView, effectiveDigest, isQuiet, tagColumns } from "./tag-columns.js";
import { inconsistentTag, localOnly, missingInRegistry, staleTag } from "./tag-findings.js";

/** A node is missing after this many scan intervals without a report. */
export const MISSING_AFTER_INTERVALS = 3;

/** Whether the node's last report is more than 3 intervals before `now` (exactly 3 is not missing); an unreadable time is missing. */
export function isAgentMissing(node: NodeState, now: Date): boolean {
  const last = Date.parse(node.lastReportAt);
  if (Number.isNaN(last)) return true;
  return now.getTime() - last > MISSING_AFTER_INTERVALS * node.intervalMs;
}

/** Snapshots are treated as immutable: their missing nodes are computed once. */
const missingCache = new WeakMap<ClusterSnapshot, ReadonlySet<string>>();

function missingNodes(snapshot: ClusterSnapshot): ReadonlySet<string> {
  let missing = missingCache.get(snapshot);
  if (missing === undefined) {
    missing = new Set(snapshot.nodes.filter((n) => isAgentMissing(n, snapshot.now)).map((n) => n.name));
    missingCache.set(snapshot, missing);
  }
  return missing;
}

/** Snapshots are treated as immutable: their node states by name (the first of a name) are indexed once. */
const stateCache = new WeakMap<ClusterSnapshot, ReadonlyMap<string, NodeState>>();

function nodeState(node: string, snapshot: ClusterSnapshot): NodeState | undefined {
  let states = stateCache.get(snapshot);
  if (states === undefined) {
    const byName = new Map<string, NodeState>();
    for (const state of snapshot.nodes) if (!byName.has(state.name)) byName.set(state.name, state);
    states = byName;
    stateCache.set(snapshot, states);
  }
  return states.get(node);
}

/** Appends a note when the finding relies on the last inventory of a node whose agent is missing. */
function noteMissingAgents(draft: FindingDraft, snapshot: ClusterSnapshot): FindingDraft {
  const missing = missingNodes(snapshot);
  if (missing.size === 0) return draft;
  const named = draft.nodes.filter((node) => missing.has(node));
  if (named.length === 0) return draft;
  const note = ` No report from ${listOf(named)} for over ${MISSING_AFTER_INTERVALS} intervals: this uses the last inventory.`;
  return { ...draft, message: draft.message + note };
}

/** Whether the tag's holders hold more than one digest (holders without a digest aside). */
function holdsSeveralDigests(view: TagView): boolean {
  let first: string | null = null;
  for (const h of view.nodes) {
    const digest = effectiveDigest(h, view.registryDigest);
    if (digest === null) continue;
    if (first === null) first = digest;
    else if (digest !== first) return true;
  }
  return false;
}

/** The tag-level findings of one tag: inconsistent-tag or stale-tag, and missing-in-registry or local-only. */
export function tagFindings(view: TagView, snapshot: ClusterSnapshot): FindingDraft[] {
  const drafts: FindingDraft[] = [];
  if (holdsSeveralDigests(view)) drafts.push(inconsistentTag(view, snapshot));
  else if (view.nodes.some((h) => h.status === "stale")) drafts.push(staleTag(view, snapshot));
  if (view.status === "missing-in-registry") drafts.push(missingInRegistry(view, snapshot));
  else if (view.nodes.some((h) => h.digest === null)) drafts.push(localOnly(view, snapshot));
  return drafts.map((draft) => noteMissingAgents(draft, snapshot));
}

/** formatDuration that never throws: a bad interval must not stop every other finding. */
function duration(ms: number): string {
  return Number.isFinite(ms) ? formatDuration(ms) : `${ms}ms`;
}

function agentMissingFinding(node: NodeState, snapshot: ClusterSnapshot): FindingDraft {
  const last = Date.parse(node.lastReportAt);
  const scannedAt = snapshot.inventories.get(node.name)?.scannedAt;
  const silence = Number.isNaN(last)
    ? `has no readable last report time (${JSON.stringify(node.lastReportAt)})`
    : `has not reported for ${duration(Math.round((snapshot.now.getTime() - last) / 1000) * 1000)} ` +
      `(last report ${node.lastReportAt}; it reports every ${duration(node.intervalMs)} and counts as missing ` +
      `after ${MISSING_AFTER_INTERVALS} intervals)`;
  const inventory =
    scannedAt === undefined
      ? "No inventory of this node is known."
      : `Other findings keep using its last inventory (scanned ${scannedAt}), which may be out of date.`;
  return {
    key: `agent-missing:${node.name}`,
    kind: "agent-missing",
    severity: "critical",
    reference: node.name,
    nodes: [node.name],
    digests: [],
    registryDigest: null,
    message: `Node ${node.name}: the imagedrift agent ${silence}. ${inventory}`,
    remedy: `kubectl -n imagedrift get pods -o wide --field-selector spec.nodeName=${node.name}`,
    pods: [],
  };
}

/** The node-level findings of one node: running-stale for its containers (one draft per tag) and agent-missing. */
export function nodeFindings(node: string, snapshot: ClusterSnapshot): FindingDraft[] {
  const drafts: FindingDraft[] = [];
  for (const [tag, pods] of runningStaleOnNode(node, snapshot)) {
    drafts.push(noteMissingAgents(runningStaleFinding(tag, pods, snapshot), snapshot));
  }
  const state = nodeState(node, snapshot);
  if (state !== undefined && isAgentMissing(state, snapshot.now)) drafts.push(agentMissingFinding(state, snapshot));
  return drafts.sort((a, b) => compareText(a.key, b.key));
}

/**
 * Combines drafts that share a key, sorted by key. Only `running-stale`
 * repeats a key (one draft per node); it is rebuilt from the union of its
 * pods. Should another kind repeat a key, the draft whose message sorts first
 * wins, so the result never depends on input order.
 */
export function mergeFindings(drafts: readonly FindingDraft[], snapshot: ClusterSnapshot): FindingDraft[] {
  const byKey = new Map<string, FindingDraft[]>();
  for (const draft of drafts) {
    const group = byKey.get(draft.key);
    if (group === undefined) byKey.set(draft.key, [draft]);
    else group.push(draft);
  }
  return [...byKey.keys()].sort(compareText).flatMap((key) => {
    const group = byKey.get(key) ?? [];
    const first = group[0];
    if (first === undefined) return [];
    if (group.length === 1) return [first];
    if (first.kind === "running-stale") {
      const merged = runningStaleFinding(
        first.reference,
        group.flatMap((d) => d.pods),
        snapshot,
      );
      return [noteMissingAgents(merged, snapshot)];
    }
    return [[...group].sort((a, b) => compareText(a.message, b.message))[0] ?? first];
  });
}

/**
 * Every finding of the snapshot (docs/ARCHITECTURE.md#findings), sorted by key; pull-policy-risk and
 * mixed-replicas only with the Kubernetes API's pods (`snapshot.workloads`).
 */
export function computeFindings(snapshot: ClusterSnapshot): FindingDraft[] {
  const drafts: FindingDraft[] = [];
  const busy = new Map<NodeInventory, NodeImage[]>();
  const columns = tagColumns(snapshot, busy);
  for (const [inventory, images] of busy) indexNode(inventory, images);
  for (const tag of [...columns.keys()].sort(compareText)) {
    const column = columns.get(tag);
    const resolution = snapshot.resolutions.get(tag);
    // Most tags are current everywhere: their views would say nothing, so they are not built.
    if (column === undefined || isQuiet(column, resolution)) continue;
    for (const draft of tagFindings(columnView(tag, column, resolution), snapshot)) drafts.push(draft);
  }
  for (const node of sortedUnique([...snapshot.nodes.map((n) => n.name), ...snapshot.inventories.keys()])) {
    for (const draft of nodeFindings(node, snapshot)) drafts.push(draft);
  }
  for (const draft of pullPolicyRiskFindings(snapshot)) drafts.push(draft);
  for (const draft of mixedReplicasFindings(snapshot)) drafts.push(draft);
  return mergeFindings(drafts, snapshot);
}
