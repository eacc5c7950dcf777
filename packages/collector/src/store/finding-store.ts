import type { Finding, FindingDraft } from "@imagedrift/core";
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

const severityRank = { critical: 0, warning: 1, info: 2 } as const;

/**
 * The current findings. A finding keeps its `firstSeenAt` while it lasts
 * (by key); `lastSeenAt` moves with every recompute that still finds it.
 */
export class FindingStore {
  readonly #all;
  readonly replace: (drafts: readonly FindingDraft[], now: Date) => { opened: number; closed: number };

  constructor(db: Database) {
    this.#all = db.prepare("SELECT * FROM findings");
    const keys = db.prepare("SELECT key FROM findings").pluck();
    const upsert = db.prepare(`INSERT INTO findings (key, kind, severity, reference, nodes, digests, registry_digest,
        message, remedy, pods, first_seen_at, last_seen_at)
      VALUES (@key, @kind, @severity, @reference, @nodes, @digests, @registryDigest, @message, @remedy, @pods, @now, @now)
      ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, severity = excluded.severity, reference = excluded.reference,
        nodes = excluded.nodes, digests = excluded.digests, registry_digest = excluded.registry_digest,
        message = excluded.message, remedy = excluded.remedy, pods = excluded.pods, last_seen_at = excluded.last_seen_at`);
    const remove = db.prepare("DELETE FROM findings WHERE key = ?");
    this.replace = db.transaction((drafts: readonly FindingDraft[], now: Date) => {
      const previous = new Set(keys.all() as string[]);
      let opened = 0;
      for (const d of drafts) {
        if (!previous.delete(d.key)) opened += 1;
        upsert.run({
          ...d,
          nodes: JSON.stringify(d.nodes),
          digests: JSON.stringify(d.digests),
          pods: JSON.stringify(d.pods),
          now: now.toISOString(),
        });
      }
      for (const key of previous) remove.run(key);
      return { opened, closed: previous.size };
    });
  }

  /** Findings, most severe first. */
  list(filter: { kind?: string; severity?: string } = {}): Finding[] {
    return (this.#all.all() as FindingRow[])
      .map(toFinding)
      .filter((f) => (!filter.kind || f.kind === filter.kind) && (!filter.severity || f.severity === filter.severity))
      .sort(
        (a, b) =>
          severityRank[a.severity] - severityRank[b.severity] ||
          a.kind.localeCompare(b.kind) ||
          a.reference.localeCompare(b.reference),
      );
  }
}
