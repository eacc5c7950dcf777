import { type ClusterSnapshot, type FindingDraft, mergeFindings } from "@imagedrift/core";

/** Where a finding draft came from: one tag's view, one node's inventory, or the Kubernetes workloads. */
export type FindingSource = { kind: "tag"; tag: string } | { kind: "node"; node: string } | { kind: "workloads" };

/**
 * The finding drafts of every source, as the last recompute of each left
 * them, and the drafts of each finding key by source: one finding can have
 * several sources (running-stale has one per node), merged into one when
 * stored. A recompute replaces the drafts of the sources that are dirty and
 * asks for the merged findings of the keys that moved.
 */
export class FindingLedger {
  readonly #tags = new Map<string, FindingDraft[]>();
  readonly #nodes = new Map<string, FindingDraft[]>();
  #workloads: FindingDraft[] = [];
  /** Each key's drafts by source (the source's id: see idOf). */
  readonly #byKey = new Map<string, Map<string, FindingDraft>>();

  /** Replaces one source's drafts, adding to `touched` the keys whose merged finding may have changed. */
  set(source: FindingSource, drafts: FindingDraft[], touched: Set<string>): void {
    const id = idOf(source);
    for (const old of this.#drafts(source)) {
      this.#byKey.get(old.key)?.delete(id);
      touched.add(old.key);
    }
    this.#keep(source, drafts);
    for (const draft of drafts) {
      let group = this.#byKey.get(draft.key);
      if (group === undefined) {
        group = new Map();
        this.#byKey.set(draft.key, group);
      }
      group.set(id, draft);
      touched.add(draft.key);
    }
  }

  /** The nodes that have drafts. */
  nodes(): IterableIterator<string> {
    return this.#nodes.keys();
  }

  /** The merged finding of each touched key; null for a key no source has a draft for any more. */
  merged(touched: Iterable<string>, snapshot: ClusterSnapshot): Map<string, FindingDraft | null> {
    const changes = new Map<string, FindingDraft | null>();
    for (const key of touched) {
      const group = [...(this.#byKey.get(key)?.values() ?? [])];
      if (group.length === 0) this.#byKey.delete(key);
      changes.set(
        key,
        group.length === 0
          ? null
          : group.length === 1
            ? (group[0] ?? null)
            : (mergeFindings(group, snapshot)[0] ?? null),
      );
    }
    return changes;
  }

  #drafts(source: FindingSource): readonly FindingDraft[] {
    if (source.kind === "tag") return this.#tags.get(source.tag) ?? [];
    if (source.kind === "node") return this.#nodes.get(source.node) ?? [];
    return this.#workloads;
  }

  #keep(source: FindingSource, drafts: FindingDraft[]): void {
    if (source.kind === "workloads") {
      this.#workloads = drafts;
      return;
    }
    const map = source.kind === "tag" ? this.#tags : this.#nodes;
    const name = source.kind === "tag" ? source.tag : source.node;
    if (drafts.length === 0) map.delete(name);
    else map.set(name, drafts);
  }
}

/** A source's id in a key's group: only ever compared, never read back. */
function idOf(source: FindingSource): string {
  if (source.kind === "tag") return `t:${source.tag}`;
  if (source.kind === "node") return `n:${source.node}`;
  return "w";
}
