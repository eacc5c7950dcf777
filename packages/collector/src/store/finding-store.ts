import { compareText, type Finding, type FindingDraft } from "@imagedrift/core";
import type { Database } from "better-sqlite3";

interface FindingRow {
  key: string;
  kind: Finding["kind"];
  severity: Finding["severity"];
  reference: string;
  nodes: string;
  digests: string;
  registry_digest: string | null;
  message: string;
  remedy: string;
  pods: string;
  first_seen_at: string;
  last_seen_at: string;
}

function toFinding(row: FindingRow): Finding {
  return {
    key: row.key,
    kind: row.kind,
    severity: row.severity,
    reference: row.reference,
    nodes: JSON.parse(row.nodes) as string[],
    digests: JSON.parse(row.digests) as string[],
    registryDigest: row.registry_digest,
    message: row.message,
    remedy: row.remedy,
    pods: JSON.parse(row.pods) as Finding["pods"],
    firstSeenAt: row.first_seen_at,
    lastSeenAt: row.last_seen_at,
  };
}

/** Where a finding is in the list: most severe first, then by kind, reference and key (code unit order). */
export type FindingPlace = readonly [severity: string, kind: string, reference: string, key: string];

const severityRank: Readonly<Record<string, number>> = { critical: 0, warning: 1, info: 2 };

export function findingPlace(finding: Finding): FindingPlace {
  return [finding.severity, finding.kind, finding.reference, finding.key];
}

export function comparePlaces(a: FindingPlace, b: FindingPlace): number {
  return (
    (severityRank[a[0]] ?? 3) - (severityRank[b[0]] ?? 3) ||
    compareText(a[1], b[1]) ||
    compareText(a[2], b[2]) ||
    compareText(a[3], b[3])
  );
}

function compareFindings(a: Finding, b: Finding): number {
  return comparePlaces(findingPlace(a), findingPlace(b));
}

/**
 * The current findings, in SQLite and mirrored in memory. A finding keeps its
 * `firstSeenAt` while it lasts (by key); `lastSeenAt` moves with every
 * recompute that still finds it. A recompute writes only the findings it
 * opened, changed or closed, and one UPDATE for the times.
 */
export class FindingStore {
  readonly #db: Database;
  readonly #upsert;
  readonly #remove;
  readonly #seen;
  readonly #current = new Map<string, { finding: Finding; content: string }>();
  #sorted: Finding[] | undefined;
  #version = 0;

  constructor(db: Database) {
    this.#db = db;
    this.#upsert = db.prepare(`INSERT INTO findings (key, kind, severity, reference, nodes, digests, registry_digest,
        message, remedy, pods, first_seen_at, last_seen_at)
      VALUES (@key, @kind, @severity, @reference, @nodes, @digests, @registryDigest, @message, @remedy, @pods, @first, @now)
      ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, severity = excluded.severity, reference = excluded.reference,
        nodes = excluded.nodes, digests = excluded.digests, registry_digest = excluded.registry_digest,
        message = excluded.message, remedy = excluded.remedy, pods = excluded.pods, last_seen_at = excluded.last_seen_at`);
    this.#remove = db.prepare("DELETE FROM findings WHERE key = ?");
    this.#seen = db.prepare("UPDATE findings SET last_seen_at = ?");
    for (const row of db.prepare("SELECT * FROM findings").all() as FindingRow[]) {
      const finding = toFinding(row);
      this.#current.set(finding.key, { finding, content: contentOf(finding) });
    }
  }

  /** Counts up with every apply (lastSeenAt moves even when nothing else does). */
  get version(): number {
    return this.#version;
  }

  /** Makes `drafts` the whole set of findings. */
  replace(drafts: readonly FindingDraft[], now: Date): { opened: number; closed: number } {
    const changes = new Map<string, FindingDraft | null>([...this.#current.keys()].map((key) => [key, null]));
    for (const draft of drafts) changes.set(draft.key, draft);
    return this.apply(changes, now);
  }

  /** Opens or updates the findings given a draft and closes those given null, in one transaction. */
  apply(changes: ReadonlyMap<string, FindingDraft | null>, now: Date): { opened: number; closed: number } {
    const at = now.toISOString();
    const next: [string, { finding: Finding; content: string } | null][] = [];
    let opened = 0;
    let closed = 0;
    for (const [key, draft] of changes) {
      const known = this.#current.get(key);
      if (draft === null) {
        if (known !== undefined) {
          next.push([key, null]);
          closed += 1;
        }
        continue;
      }
      const content = contentOf(draft);
      if (known?.content === content) continue;
      if (known === undefined) opened += 1;
      const finding: Finding = { ...draft, firstSeenAt: known?.finding.firstSeenAt ?? at, lastSeenAt: at };
      next.push([key, { finding, content }]);
    }
    this.#db.transaction(() => {
      for (const [key, entry] of next) {
        if (entry === null) {
          this.#remove.run(key);
          continue;
        }
        const f = entry.finding;
        this.#upsert.run({
          ...f,
          nodes: JSON.stringify(f.nodes),
          digests: JSON.stringify(f.digests),
          pods: JSON.stringify(f.pods),
          first: f.firstSeenAt,
          now: at,
        });
      }
      this.#seen.run(at);
    })();
    for (const [key, entry] of next) {
      if (entry === null) this.#current.delete(key);
      else this.#current.set(key, entry);
    }
    for (const { finding } of this.#current.values()) finding.lastSeenAt = at;
    if (next.length > 0) this.#sorted = undefined;
    this.#version += 1;
    return { opened, closed };
  }

  /** Findings, most severe first. */
  list(filter: { kind?: string; severity?: string } = {}): Finding[] {
    this.#sorted ??= [...this.#current.values()].map((e) => e.finding).sort(compareFindings);
    if (!filter.kind && !filter.severity) return this.#sorted;
    return this.#sorted.filter(
      (f) => (!filter.kind || f.kind === filter.kind) && (!filter.severity || f.severity === filter.severity),
    );
  }
}

/** What makes a finding different from another with the same key. */
function contentOf(d: FindingDraft): string {
  return JSON.stringify([
    d.kind,
    d.severity,
    d.reference,
    d.nodes,
    d.digests,
    d.registryDigest,
    d.message,
    d.remedy,
    d.pods,
  ]);
}
