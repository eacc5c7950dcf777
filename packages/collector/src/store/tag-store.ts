import { RESOLVE_CAUSES, type ResolveCause, type TagResolution } from "@imagedrift/core";
import type { Database } from "better-sqlite3";

interface TagRow {
  reference: string;
  state: "found" | "not-found" | "error";
  registry_digest: string | null;
  resolved_at: string;
  resolve_error: string | null;
  resolved_by: string | null;
}

function toResolution(row: TagRow): TagResolution {
  const cause = (RESOLVE_CAUSES as readonly (string | null)[]).includes(row.resolved_by)
    ? { resolvedBy: row.resolved_by as ResolveCause }
    : {};
  switch (row.state) {
    case "found":
      return { state: "found", digest: row.registry_digest ?? "", resolvedAt: row.resolved_at, ...cause };
    case "not-found":
      return { state: "not-found", resolvedAt: row.resolved_at, ...cause };
    default:
      return { state: "error", error: row.resolve_error ?? "", resolvedAt: row.resolved_at, ...cause };
  }
}

/** What the registry said about each tag, with the time it said it and why it was asked. */
export class TagStore {
  readonly #upsert;
  readonly #all;

  constructor(db: Database) {
    this.#upsert =
      db.prepare(`INSERT INTO tags (reference, state, registry_digest, resolved_at, resolve_error, resolved_by)
      VALUES (@reference, @state, @digest, @resolvedAt, @error, @resolvedBy)
      ON CONFLICT (reference) DO UPDATE SET state = excluded.state, registry_digest = excluded.registry_digest,
        resolved_at = excluded.resolved_at, resolve_error = excluded.resolve_error, resolved_by = excluded.resolved_by`);
    this.#all = db.prepare("SELECT * FROM tags");
    this.save = db.transaction((resolutions: ReadonlyMap<string, TagResolution>) => {
      for (const [reference, resolution] of resolutions) {
        if (resolution.state === "pending") continue;
        this.#upsert.run({
          reference,
          state: resolution.state,
          digest: resolution.state === "found" ? resolution.digest : null,
          resolvedAt: resolution.resolvedAt,
          error: resolution.state === "error" ? resolution.error : null,
          resolvedBy: resolution.resolvedBy ?? null,
        });
      }
    });
  }

  /** Saves a batch of resolutions in one transaction. */
  readonly save: (resolutions: ReadonlyMap<string, TagResolution>) => void;

  all(): Map<string, TagResolution> {
    return new Map((this.#all.all() as TagRow[]).map((row) => [row.reference, toResolution(row)]));
  }
}
