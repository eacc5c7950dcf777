import type { Database } from "better-sqlite3";
import { migrateToNodeInventories } from "./migrate-inventories.js";

/** A migration: SQL, or a function for what SQL alone cannot do (it runs in the migration's transaction). */
export type Migration = string | ((db: Database) => void);

/**
 * Numbered migrations, applied in order, each in its own transaction.
 * Never edit one that has shipped: add the next.
 */
export const migrations: readonly Migration[] = [
  /* 1: nodes, their inventories, tags, findings, history */ `
  CREATE TABLE nodes (
    name TEXT PRIMARY KEY,
    agent_version TEXT NOT NULL DEFAULT '',
    interval_ms INTEGER NOT NULL,
    labels TEXT NOT NULL DEFAULT '{}',
    first_seen_at TEXT NOT NULL,
    last_report_at TEXT NOT NULL,
    runtime_name TEXT NOT NULL DEFAULT '',
    runtime_version TEXT NOT NULL DEFAULT '',
    runtime_api_version TEXT NOT NULL DEFAULT '',
    inventory_hash TEXT,
    scanned_at TEXT,
    imagefs_mountpoint TEXT NOT NULL DEFAULT '',
    imagefs_used_bytes INTEGER NOT NULL DEFAULT 0,
    imagefs_inodes_used INTEGER
  ) STRICT;

  CREATE TABLE node_images (
    node TEXT NOT NULL REFERENCES nodes(name) ON DELETE CASCADE,
    image_id TEXT NOT NULL,
    repo_tags TEXT NOT NULL,
    repo_digests TEXT NOT NULL,
    size INTEGER NOT NULL,
    pinned INTEGER NOT NULL,
    sandbox INTEGER NOT NULL,
    in_use INTEGER NOT NULL,
    first_seen_at TEXT NOT NULL,
    PRIMARY KEY (node, image_id)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE node_containers (
    node TEXT NOT NULL REFERENCES nodes(name) ON DELETE CASCADE,
    container_id TEXT NOT NULL,
    image_id TEXT NOT NULL,
    pod TEXT NOT NULL,
    namespace TEXT NOT NULL,
    container TEXT NOT NULL,
    state TEXT NOT NULL,
    pod_uid TEXT NOT NULL,
    image TEXT NOT NULL,
    PRIMARY KEY (node, container_id)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE node_pods (
    node TEXT NOT NULL REFERENCES nodes(name) ON DELETE CASCADE,
    pod_id TEXT NOT NULL,
    name TEXT NOT NULL,
    namespace TEXT NOT NULL,
    uid TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (node, pod_id)
  ) STRICT, WITHOUT ROWID;

  -- Which digest each node holds for each tag, and since when.
  CREATE TABLE node_tags (
    node TEXT NOT NULL REFERENCES nodes(name) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    digest TEXT,
    image_id TEXT NOT NULL,
    since TEXT NOT NULL,
    PRIMARY KEY (node, tag)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX node_tags_by_tag ON node_tags (tag);

  -- When a node's digest for a tag changed (kept when the node goes away).
  CREATE TABLE tag_history (
    id INTEGER PRIMARY KEY,
    node TEXT NOT NULL,
    tag TEXT NOT NULL,
    old_digest TEXT,
    new_digest TEXT,
    old_image_id TEXT,
    new_image_id TEXT,
    changed_at TEXT NOT NULL
  ) STRICT;
  CREATE INDEX tag_history_by_tag ON tag_history (tag, changed_at);

  -- When an image was last seen in use on a node: prune's least-recently-used order.
  CREATE TABLE image_usage (
    node TEXT NOT NULL,
    image_id TEXT NOT NULL,
    last_used_at TEXT NOT NULL,
    PRIMARY KEY (node, image_id)
  ) STRICT, WITHOUT ROWID;

  -- What the registry said about each tag.
  CREATE TABLE tags (
    reference TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('found', 'not-found', 'error')),
    registry_digest TEXT,
    resolved_at TEXT NOT NULL,
    resolve_error TEXT
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE findings (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    reference TEXT NOT NULL,
    nodes TEXT NOT NULL,
    digests TEXT NOT NULL,
    registry_digest TEXT,
    message TEXT NOT NULL,
    remedy TEXT NOT NULL,
    pods TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
  ) STRICT, WITHOUT ROWID;
  `,
  /* 2: jobs, their per-node shares, the audit log. Never credentials: they travel only to the pulling agent. */ `
  CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL CHECK (type IN ('prepull', 'refresh', 'prune')),
    state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'partial', 'cancelled')),
    request TEXT NOT NULL,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    created_by TEXT NOT NULL
  ) STRICT;
  CREATE INDEX jobs_by_state ON jobs (state);
  CREATE INDEX jobs_by_created ON jobs (created_at);

  -- One node's share of a job: the planned commands (steps), how far it got, and what the agent answered.
  CREATE TABLE job_nodes (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    node TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'cancelled', 'skipped')),
    attempts INTEGER NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '',
    result TEXT,
    started_at TEXT,
    finished_at TEXT,
    command_id TEXT,
    steps TEXT NOT NULL DEFAULT '[]',
    steps_done INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, node)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
  ) STRICT;
  `,
  /*
   * 3: each node's inventory in one row (images shared by every node that holds them, in `images`), so that
   * an inventory is one write instead of a row per image, container, pod and tag; image use and first sight
   * move into it. The rows of migration 1 are carried over, then dropped.
   */
  migrateToNodeInventories,
  /* 4: why each tag was last asked of its registry (core's ResolveCause); null on rows stored before. */ `
  ALTER TABLE tags ADD COLUMN resolved_by TEXT CHECK (resolved_by IN ('poll', 'event', 'job', 'inventory'));
  `,
];

export function migrate(db: Database): number {
  db.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL) STRICT",
  );
  const current = (db.prepare("SELECT max(version) AS v FROM schema_migrations").get() as { v: number | null }).v ?? 0;
  if (current > migrations.length) {
    throw new Error(`database schema version ${current} is newer than this collector knows (${migrations.length})`);
  }
  for (let version = current + 1; version <= migrations.length; version++) {
    db.transaction(() => {
      const migration = migrations[version - 1] ?? "";
      if (typeof migration === "string") db.exec(migration);
      else migration(db);
      db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)").run(
        version,
        new Date().toISOString(),
      );
    })();
  }
  return migrations.length;
}
