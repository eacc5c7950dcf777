import { ImagedriftError } from "@imagedrift/core";
import BetterSqlite3, { type Database } from "better-sqlite3";
import { migrate } from "./migrations.js";

/** Opens (or creates) the collector's SQLite database: WAL, foreign keys, migrations applied. */
export function openDatabase(path: string): Database {
  let db: Database;
  try {
    db = new BetterSqlite3(path);
  } catch (error) {
    throw new ImagedriftError("invalid-config", `--db: cannot open ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (path !== ":memory:") db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  migrate(db);
  return db;
}
