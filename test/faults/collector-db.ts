/**
 * The collector's SQLite file as a test reads it: opened read-only with
 * better-sqlite3 (never a second writer), beside or after the collector.
 */
import BetterSqlite3, { type Database } from "better-sqlite3";

/** Opens `path` read-only, runs `read`, closes. */
export function readDatabase<T>(path: string, read: (db: Database) => T): T {
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** `PRAGMA integrity_check`'s rows joined: "ok" when the file is sound. */
export function integrityCheck(path: string): string {
  return readDatabase(path, (db) => db.pragma("integrity_check", { simple: false }) as { integrity_check: string }[])
    .map((row) => row.integrity_check)
    .join("; ");
}

/** Each node's stored inventory hash. */
export function storedHashes(path: string): Map<string, string | null> {
  return readDatabase(
    path,
    (db) =>
      new Map(
        (
          db.prepare("SELECT name, inventory_hash FROM nodes").all() as {
            name: string;
            inventory_hash: string | null;
          }[]
        ).map((r) => [r.name, r.inventory_hash]),
      ),
  );
}
