import { readFileSync } from "node:fs";
import { ImagedriftError } from "@imagedrift/core";

/** Reads the shared token from `--token-file`; an unreadable or empty file is a config error naming the file, never the token. */
export function readTokenFile(path: string): string {
  let token: string;
  try {
    token = readFileSync(path, "utf8").trim();
  } catch (error) {
    throw new ImagedriftError(
      "invalid-config",
      `--token-file: cannot read ${path}: ${(error as NodeJS.ErrnoException).code}`,
    );
  }
  if (!token) throw new ImagedriftError("invalid-config", `--token-file: ${path} is empty`);
  return token;
}
