/**
 * A database write that failed, as the collector's one error type: it says
 * what was being stored and SQLite's result code (better-sqlite3's
 * `SqliteError.code`), which the logger's `{code, message}` would otherwise
 * lose, so that a full disk reads `SQLITE_FULL` in the log.
 */
import { type ErrorCode, ImagedriftError } from "@imagedrift/core";

/** By SQLite's primary result code: the disk or the file, not the data, is the trouble. */
const CODES: Readonly<Record<string, ErrorCode>> = {
  SQLITE_FULL: "resource-exhausted",
  SQLITE_IOERR: "unavailable",
  SQLITE_BUSY: "unavailable",
  SQLITE_LOCKED: "unavailable",
  SQLITE_READONLY: "unavailable",
  SQLITE_CANTOPEN: "unavailable",
};

export function storeError(thrown: unknown, what: string): ImagedriftError {
  if (thrown instanceof ImagedriftError) return thrown;
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  const code = (thrown as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !code.startsWith("SQLITE_")) {
    return new ImagedriftError("internal", `${what}: ${message}`, { cause: thrown });
  }
  // Extended codes name their primary one first: SQLITE_IOERR_WRITE.
  const primary = code.split("_").slice(0, 2).join("_");
  const hint = primary === "SQLITE_FULL" ? " (no space left on the database's disk)" : "";
  return new ImagedriftError(CODES[primary] ?? "internal", `${what}: ${code}: ${message}${hint}`, { cause: thrown });
}
